{#-
  `is_incremental()` for the project's `lake_incremental` materialization (dbt's own checks for a relation of
  type table, which the embedded target exposes as a view). Other materializations keep dbt's behaviour.
  A staging model (meta `bronze_table`) is incremental only when the runner could expose what bronze received
  since the model's last build (var `lake_bronze_changes`, see jianguan.marts.dbt_run.expose_bronze_changes);
  otherwise — first build, bronze rewritten or its old commits cleaned up — it is rebuilt in full.
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
      {{ return(true) }}
    {%- endif -%}
  {%- else -%}
    {%- set relation = adapter.get_relation(this.database, this.schema, this.table) -%}
    {{ return(relation is not none and relation.type == 'table'
              and model.config.materialized == 'incremental' and not should_full_refresh()) }}
  {%- endif -%}
{%- endmacro %}


{#- The bronze table a staging model is built from (its generated meta), or none for every other model. -#}
{% macro bronze_table_of(node) -%}
  {{ return((node.get('meta') or {}).get('bronze_table')) }}
{%- endmacro %}


{#- The rows bronze received since a staging model's last build (a change-feed view made by the runner). -#}
{% macro bronze_changes_relation(identifier) -%}
  global_temp.`{{ identifier }}__bronze_changes`
{%- endmacro %}
