{#-
  `is_incremental()` for the project's `lake_incremental` materialization (dbt's own checks for a relation of
  type table, which the embedded target exposes as a view). Other materializations keep dbt's behaviour.
-#}
{% macro is_incremental() -%}
  {%- if not execute -%}
    {{ return(false) }}
  {%- elif model.config.materialized == 'lake_incremental' -%}
    {{ return(lake_table_exists(lake_path(model.config.get('layer', 'silver'), model.alias)) and not should_full_refresh()) }}
  {%- else -%}
    {%- set relation = adapter.get_relation(this.database, this.schema, this.table) -%}
    {{ return(relation is not none and relation.type == 'table'
              and model.config.materialized == 'incremental' and not should_full_refresh()) }}
  {%- endif -%}
{%- endmacro %}
