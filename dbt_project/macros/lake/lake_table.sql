{#-
  lake_table: build a model as a Delta table through the offline `delta` connector, in one commit.

  1. the model's SQL becomes a temporary view (nothing is computed yet);
  2. a temporary view bound to the Delta path, declared with the model's columns (so the first run creates the
     table), receives INSERT OVERWRITE: Spark tasks write Parquet, the driver makes one Delta commit;
  3. the model's global temporary view is recreated over the new snapshot, so `ref()` sees the new version.
  History is kept (time travel works); a failed step leaves the previous version in place.
-#}
{% materialization lake_table, adapter='spark' %}
  {%- set identifier = model['alias'] -%}
  {%- set layer = config.get('layer', 'silver') -%}
  {%- set path = lake_path(layer, identifier) -%}
  {%- set target_relation = api.Relation.create(identifier=identifier, schema='global_temp', type='view') -%}

  {{ run_hooks(pre_hooks) }}
  {%- call statement('main') -%}
    {{ lake_write(identifier, path, sql, 'overwrite') }}
  {%- endcall -%}
  {{ run_hooks(post_hooks) }}
  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}


{#- The statements shared by lake_table, lake_incremental and lake_seed (run one by one; returns the last). -#}
{% macro lake_write(identifier, path, select_sql, mode) -%}
  {%- set staging = identifier ~ '__dbt_new' -%}
  {%- set sink = identifier ~ '__dbt_sink' -%}
  {%- do run_query('create or replace temporary view ' ~ staging ~ ' as ' ~ select_sql) -%}
  {%- set columns = adapter.get_columns_in_relation(api.Relation.create(identifier=staging)) -%}
  {%- set column_list = [] -%}
  {%- for column in columns -%}
    {%- do column_list.append('`' ~ column.name ~ '` ' ~ column.data_type) -%}
  {%- endfor -%}
  {%- do run_query('create or replace temporary view ' ~ sink ~ ' (' ~ column_list | join(', ') ~ ')'
        ~ " using delta options (path '" ~ path ~ "', overwriteSchema '" ~ ('true' if mode == 'overwrite' else 'false')
        ~ "', description '" ~ (model.description | replace("'", "\\'") | truncate(500, True, '')) ~ "')") -%}
  {%- if mode == 'overwrite' -%}
    {%- do run_query('insert overwrite table ' ~ sink ~ ' select * from ' ~ staging) -%}
  {%- else -%}
    {%- do run_query('insert into table ' ~ sink ~ ' select * from ' ~ staging) -%}
  {%- endif -%}
  {%- do run_query('drop view if exists ' ~ staging) -%}
  {%- do run_query('drop view if exists ' ~ sink) -%}
  create or replace global temporary view {{ identifier }} using delta options (path '{{ path }}')
{%- endmacro %}
