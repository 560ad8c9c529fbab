{#-
  `is_incremental()` for the project's `lake_incremental` materialization (dbt's own checks for a relation of
  type table, which the embedded target exposes as a view). Other materializations keep dbt's behaviour.
  A staging model (meta `bronze_table`) is incremental only when the runner could expose what bronze received
  since the model's last build (var `lake_bronze_changes`, see jianguan.marts.dbt_run.expose_bronze_changes);
  otherwise — first build, bronze rewritten or its old commits cleaned up — it is rebuilt in full. Any other
  lake_incremental model is rebuilt in full when it reads a staging model rebuilt over its rows.
-#}
{% macro is_incremental() -%}
  {%- if not execute -%}
    {{ return(false) }}
  {%- elif model.config.materialized == 'lake_incremental' -%}
    {%- if should_full_refresh() or not lake_table_exists(lake_path(model.config.get('layer', 'silver'), model.alias)) -%}
      {{ return(false) }}
    {%- elif bronze_table_of(model) -%}
      {{ return(model.alias in var('lake_bronze_changes', {})) }}
    {%- else -%}
      {{ return(not lake_depends_on_replaced_staging(model)) }}
    {%- endif -%}
  {%- else -%}
    {%- set relation = adapter.get_relation(this.database, this.schema, this.table) -%}
    {{ return(relation is not none and relation.type == 'table'
              and model.config.materialized == 'incremental' and not should_full_refresh()) }}
  {%- endif -%}
{%- endmacro %}


{#-
  Whether a model reads, directly or through other models, a staging model this run rebuilds in full over rows
  it already held (var `lake_replaced_staging`, from the runner's plan: bronze rows deleted or rewritten, the
  standard changed …). Rows may be gone from such a table, and an increment only adds and replaces: the
  incremental models downstream recompute in full.
-#}
{% macro lake_depends_on_replaced_staging(node) -%}
  {%- set replaced = var('lake_replaced_staging', []) -%}
  {%- if not replaced -%}{{ return(false) }}{%- endif -%}
  {%- set targets = [] -%}
  {%- for name in replaced -%}{%- do targets.append('model.' ~ project_name ~ '.' ~ name) -%}{%- endfor -%}
  {{ return(lake_reaches(node.depends_on.nodes, targets)) }}
{%- endmacro %}


{#- Whether any of `node_ids` or their ancestors (breadth first, level by level) is one of `targets`. -#}
{% macro lake_reaches(node_ids, targets, depth=0) -%}
  {%- set parents = [] -%}
  {%- for node_id in node_ids -%}
    {%- if node_id in targets -%}{{ return(true) }}{%- endif -%}
    {%- if node_id in graph.nodes -%}{%- do parents.extend(graph.nodes[node_id].depends_on.nodes) -%}{%- endif -%}
  {%- endfor -%}
  {%- if not parents or depth > 100 -%}{{ return(false) }}{%- endif -%}
  {{ return(lake_reaches(parents | unique | list, targets, depth + 1)) }}
{%- endmacro %}


{#- The bronze table a staging model is built from (its generated meta), or none for every other model. -#}
{% macro bronze_table_of(node) -%}
  {{ return((node.get('meta') or {}).get('bronze_table')) }}
{%- endmacro %}


{#- The rows bronze received since a staging model's last build (a change-feed view made by the runner). -#}
{% macro bronze_changes_relation(identifier) -%}
  global_temp.`{{ identifier }}__bronze_changes`
{%- endmacro %}
