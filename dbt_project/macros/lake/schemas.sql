{#-
  Where models live. Locally every model is a global temporary view over its Delta table (the connector cannot
  back persistent catalog tables), so the schema is `global_temp`; on a cluster it is the model's layer.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
  {%- if target.name == 'local' -%}
    global_temp
  {%- else -%}
    {{ node.config.get('layer', custom_schema_name or target.schema) }}
  {%- endif -%}
{%- endmacro %}

{#- `global_temp` is Spark's reserved database for global temporary views: it always exists. -#}
{% macro spark__create_schema(relation) -%}
  {%- if relation.schema != 'global_temp' -%}
    {%- call statement('create_schema') -%}
      create schema if not exists {{ relation }}
    {%- endcall -%}
  {%- endif -%}
{%- endmacro %}

{% macro lake_path(layer, identifier) -%}
  {{ var('lakehouse_root') }}/{{ layer }}/{{ identifier }}
{%- endmacro %}
