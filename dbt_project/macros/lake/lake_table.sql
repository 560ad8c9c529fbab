{#-
  The project's materializations for the embedded target (`local`), design (a) of docs/marts.md: every model is
  written as a Delta table through the offline `delta` connector and exposed as `global_temp.<model>`.

  lake_table — full rewrite, ONE Delta commit per model per run:
    1. the model's SQL becomes a session temporary view (nothing is computed yet);
    2. its columns (from DESCRIBE) make the column list of a temporary view bound to the Delta path with
       `overwriteSchema 'true'` and `columnComments` (the column descriptions of the model's YAML); INSERT OVERWRITE into it runs Spark
       tasks that write Parquet files, then the driver makes one `CREATE OR REPLACE TABLE` commit carrying the
       new schema (column comments), the table name and description, and the new files;
    3. the model's global temporary view is recreated over the new snapshot (a view's snapshot is fixed when it is
       created), so `ref()` and the tests see the new version — read by Spark's Parquet reader where it can
       (`lake_expose`).
  The table's history is kept (time travel, `history()`); a failed step leaves the previous version in place.
  A model whose SQL and inputs are those of its last build is kept as it is: its SQL does not run, no commit
  (`lake_inputs_fingerprint`, macros/lake/fingerprint.sql; `--full-refresh` always rebuilds).
-#}
{% materialization lake_table, adapter='spark' %}
  {%- set identifier = model['alias'] -%}
  {%- set path = lake_path(config.get('layer', 'silver'), identifier) -%}
  {%- set target_relation = api.Relation.create(identifier=identifier, schema='global_temp', type='view') -%}

  {%- set fingerprint, unchanged = lake_inputs_fingerprint(model, sql, path) -%}

  {{ run_hooks(pre_hooks) }}
  {%- call statement('main') -%}
    {%- if unchanged and not should_full_refresh() -%}
      {{ lake_keep(identifier, path) }}
    {%- else -%}
      {{ lake_write(identifier, path, sql, 'replace', config.get('partition_by'),
                    lake_fingerprint_metadata(fingerprint)) }}
    {%- endif -%}
  {%- endcall -%}
  {{ run_hooks(post_hooks) }}
  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}


{#-
  lake_incremental — the model's SQL computes only what is new (`is_incremental()` is true once the table
  exists), and the result is committed in one Delta commit with the configured strategy:
    * `append`: INSERT INTO (an append commit);
    * `insert_overwrite`: the model's incremental SQL gives the whole new table from its current rows (`this`)
      and the new input; INSERT OVERWRITE (an overwrite commit, same schema) — the staging models;
    * `merge` (needs `unique_key`): a copy-on-write MERGE by the key (`lake_merge` below): only the data files
      holding a key of the new rows are rewritten; the `_versions` staging models use it with `merge_order`.
  A first run or `--full-refresh` rebuilds the table as lake_table does; so does a staging model whose columns no
  longer match schemas/ (the runner's plan). Another model whose columns changed needs `--full-refresh`: the
  overwrite and append keep the table's schema.
  Staging models (meta `bronze_table`) record in their commit's userMetadata the bronze version they cover
  (`{"bronze_version": n}`, var `lake_bronze_versions`), which is where the runner starts the next build's
  bronze change feed; when bronze received nothing since, the table is left as it is (no commit). Every other
  lake_incremental model (and a staging model whose bronze table does not exist yet) records its input
  fingerprint instead and is kept as it is while that is unchanged (macros/lake/fingerprint.sql).
-#}
{% materialization lake_incremental, adapter='spark' %}
  {%- set identifier = model['alias'] -%}
  {%- set path = lake_path(config.get('layer', 'silver'), identifier) -%}
  {%- set target_relation = api.Relation.create(identifier=identifier, schema='global_temp', type='view') -%}
  {%- set strategy = config.get('incremental_strategy') or 'merge' -%}
  {%- set unique_key = config.get('unique_key') -%}
  {%- set rebuild = not is_incremental() -%}
  {%- set bronze_table = bronze_table_of(model) -%}
  {%- set bronze_versions = var('lake_bronze_versions', {}) -%}
  {%- if bronze_table and bronze_table in bronze_versions -%}
    {#- staging models follow the bronze change feed instead (a feed with nothing new keeps the table); one
        whose bronze table does not exist yet reads an empty view and is fingerprinted like the others -#}
    {%- set unchanged = false -%}
    {%- set user_metadata = tojson({'bronze_version': bronze_versions[bronze_table]}) -%}
  {%- else -%}
    {%- set fingerprint, unchanged = lake_inputs_fingerprint(model, sql, path) -%}
    {%- set user_metadata = lake_fingerprint_metadata(fingerprint) -%}
  {%- endif -%}

  {{ run_hooks(pre_hooks) }}
  {%- call statement('main') -%}
    {%- if unchanged and not should_full_refresh() -%}
      {{ lake_keep(identifier, path) }}
    {%- elif rebuild -%}
      {{ lake_write(identifier, path, sql, 'replace', config.get('partition_by'), user_metadata) }}
    {%- elif bronze_table and var('lake_bronze_changes', {}).get(identifier) == 0 -%}
      {#- nothing new in bronze: the table stays as it is -#}
      {{ lake_expose(identifier, path) }}
    {%- elif strategy == 'append' -%}
      {{ lake_write(identifier, path, sql, 'append', none, user_metadata) }}
    {%- elif strategy == 'insert_overwrite' -%}
      {{ lake_write(identifier, path, sql, 'overwrite', none, user_metadata) }}
    {%- elif strategy == 'merge' -%}
      {%- if not unique_key -%}
        {{ exceptions.raise_compiler_error('lake_incremental merge needs unique_key on ' ~ identifier) }}
      {%- endif -%}
      {{ lake_merge(identifier, path, sql, [unique_key] if unique_key is string else unique_key,
                    config.get('merge_order'), user_metadata) }}
    {%- else -%}
      {{ exceptions.raise_compiler_error('lake_incremental: unknown incremental_strategy ' ~ strategy) }}
    {%- endif -%}
  {%- endcall -%}
  {{ run_hooks(post_hooks) }}
  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}


{#-
  Whether the model's Delta table exists: the runner exposes every existing lakehouse table as a global
  temporary view before dbt starts, and the materializations create the view when they write the table.
-#}
{% macro lake_table_exists(path) -%}
  {%- if not execute -%}{{ return(false) }}{%- endif -%}
  {%- set found = run_query("show views in global_temp like '" ~ path.split('/')[-1] ~ "'") -%}
  {{ return(found.rows | selectattr(1, 'equalto', path.split('/')[-1]) | list | length > 0) }}
{%- endmacro %}


{#- A Spark SQL string literal. -#}
{% macro lake_literal(text) -%}
  '{{ (text or '') | replace('\\', '\\\\') | replace("'", "\\'") | replace('\n', ' ') }}'
{%- endmacro %}


{#-
  The statements shared by the lake materializations (run one by one; the last one is returned for `main`).
  mode: replace (new schema, one CREATE OR REPLACE TABLE commit), overwrite (same schema), append.
  user_metadata: text kept in the commit's userMetadata (history()).
  replace_files (mode append): data files of the table the same commit removes (the connector's `replaceFiles`).
-#}
{% macro lake_write(identifier, path, select_sql, mode, partition_by=none, user_metadata=none, replace_files=none) -%}
  {%- set staging = identifier ~ '__dbt_new' -%}
  {%- set sink = identifier ~ '__dbt_sink' -%}
  {%- do run_query('create or replace temporary view ' ~ staging ~ ' as ' ~ select_sql) -%}
  {%- set described = run_query('describe ' ~ staging) -%}
  {%- set column_list = [] -%}
  {%- set comments = {} -%}
  {%- for row in described.rows -%}
    {%- if row[0] and not row[0].startswith('#') -%}
      {%- set documented = model.columns.get(row[0]) -%}
      {%- if documented and documented.description -%}
        {%- do comments.update({row[0]: documented.description}) -%}
      {%- endif -%}
      {%- do column_list.append('`' ~ row[0] ~ '` ' ~ row[1]) -%}
    {%- endif -%}
  {%- endfor -%}
  {%- set options = ["path " ~ lake_literal(path)] -%}
  {%- if user_metadata -%}
    {%- do options.append("userMetadata " ~ lake_literal(user_metadata)) -%}
  {%- endif -%}
  {%- if replace_files -%}
    {%- do options.append("replaceFiles " ~ lake_literal(tojson(replace_files))) -%}
  {%- endif -%}
  {%- if mode == 'replace' -%}
    {%- do options.append("overwriteSchema 'true'") -%}
    {%- do options.append("columnComments " ~ lake_literal(tojson(comments))) -%}
    {%- do options.append("tableName " ~ lake_literal(identifier)) -%}
    {%- do options.append("description " ~ lake_literal(model.description | truncate(1000, True, ''))) -%}
    {%- if partition_by -%}
      {%- set partitions = [partition_by] if partition_by is string else partition_by -%}
      {%- do options.append("partitionBy " ~ lake_literal(partitions | join(','))) -%}
    {%- endif -%}
  {%- endif -%}
  {%- do run_query('create or replace temporary view ' ~ sink ~ ' (' ~ column_list | join(', ') ~ ')'
        ~ ' using delta options (' ~ options | join(', ') ~ ')') -%}
  {%- if mode == 'append' -%}
    {%- do run_query('insert into table ' ~ sink ~ ' select * from ' ~ staging) -%}
  {%- else -%}
    {%- do run_query('insert overwrite table ' ~ sink ~ ' select * from ' ~ staging) -%}
  {%- endif -%}
  {%- do run_query('drop view if exists ' ~ staging) -%}
  {%- do run_query('drop view if exists ' ~ sink) -%}
  {{ lake_expose(identifier, path) }}
{%- endmacro %}


{#-
  The statement of a model kept as it is (its inputs are those of its last build): the runner exposed its table
  before dbt started, so the view stays; without one (dbt run by hand) it is created.
-#}
{% macro lake_keep(identifier, path) -%}
  {{ log('lake: ' ~ identifier ~ ' kept: its SQL and inputs are those of its last build', info=true) }}
  {%- if lake_table_exists(path) -%}
    select '{{ identifier }}' as kept
  {%- else -%}
    {{ lake_expose(identifier, path) }}
  {%- endif -%}
{%- endmacro %}


{#-
  The statement that (re)creates `global_temp.<identifier>` over the table's latest snapshot. When Spark's own
  Parquet reader can read the snapshot's files as they are (jianguan.lake.native_scan: local, unpartitioned,
  plain file names), the view reads them natively: columns pruned, row groups skipped, no Python. Otherwise
  it reads through the `delta` data source. Either way the view is pinned to that snapshot.
-#}
{% macro lake_expose(identifier, path) -%}
  {%- set scan = lake_scan(identifier, path) -%}
  {%- if scan[0] -%}
    create or replace global temporary view {{ identifier }} ({{ scan[1] }})
    using parquet options (path {{ lake_literal(scan[0]) }})
  {%- else -%}
    create or replace global temporary view {{ identifier }} using delta options (path {{ lake_literal(path) }})
  {%- endif -%}
{%- endmacro %}


{#- The latest snapshot of the table at `path` as the `delta_scan` source gives it: (parquet_path, columns, files,
    bytes);
    parquet_path is none when Spark's Parquet reader cannot read it natively. -#}
{% macro lake_scan(identifier, path) -%}
  {%- set scan_view = identifier ~ '__dbt_scan' -%}
  {%- do run_query('create or replace temporary view ' ~ scan_view ~ ' using delta_scan options (path '
        ~ lake_literal(path) ~ ')') -%}
  {%- set scan = run_query('select parquet_path, columns, files, bytes from ' ~ scan_view).rows[0] -%}
  {%- do run_query('drop view if exists ' ~ scan_view) -%}
  {{ return(scan) }}
{%- endmacro %}


{#-
  A copy-on-write MERGE by `keys` of the rows `select_sql` gives (the increment) into the table, in one commit:
    1. the increment is computed once (cached when first read);
    2. the data files of the current snapshot holding one of its keys are found (`input_file_name()` over the
       natively read view, only the key columns are read; `_metadata` does not resolve through a view);
    3. the rows of those files and the increment become the files' replacement: without `merge_order` the new
       rows replace every current row of their key; with it (a list of ORDER BY terms, e.g. the staging models'
       "newest version first") the first row per key over both wins, so an older version arriving late does not
       replace a newer one;
    4. one commit adds the written files and removes the replaced ones (the connector's `replaceFiles`); the
       other files stay as they are.
  When every file is touched, the table is one small file (under var `lake_merge_min_bytes`, 32 MiB: any update
  rewrites it, and finding out costs a Spark job), or it is not read natively, the whole table is rewritten
  instead (an overwrite commit: same rows, and small files are compacted).
-#}
{% macro lake_merge(identifier, path, select_sql, keys, merge_order=none, user_metadata=none) -%}
  {%- set increment = identifier ~ '__dbt_increment' -%}
  {%- set key_columns -%}{% for key in keys %}`{{ key }}`{% if not loop.last %}, {% endif %}{% endfor %}{%- endset -%}
  {%- set key_match -%}
    {% for key in keys %}current_rows.`{{ key }}` <=> new_rows.`{{ key }}`{% if not loop.last %} and {% endif %}{% endfor %}
  {%- endset -%}
  {%- do run_query('cache lazy table ' ~ increment ~ ' as ' ~ select_sql) -%}
  {%- set scan = lake_scan(identifier, path) -%}
  {%- set touched = none -%}
  {%- set current = 'global_temp.' ~ identifier -%}
  {%- if scan[0] and (scan[2] > 1 or scan[3] >= var('lake_merge_min_bytes')) -%}
    {%- set found = run_query('select distinct file_path from (select input_file_name() as file_path, '
          ~ key_columns ~ ' from global_temp.' ~ identifier
          ~ ') as current_rows left semi join ' ~ increment ~ ' as new_rows on ' ~ key_match) -%}
    {%- set touched = found.rows | map(attribute=0) | list -%}
    {%- if touched | length >= scan[2] -%}
      {%- set touched = none -%}
    {%- elif touched -%}
      {#- the rows of the touched files only, read natively (the table's files sit at its root) -#}
      {%- set current = identifier ~ '__dbt_touched' -%}
      {%- set names = [] -%}
      {%- for file in touched -%}{%- do names.append(file.split('/')[-1]) -%}{%- endfor -%}
      {%- do run_query('create or replace temporary view ' ~ current ~ ' (' ~ scan[1] ~ ') using parquet options (path '
            ~ lake_literal(scan[0].rsplit('/', 1)[0] ~ '/{' ~ names | join(',') ~ '}') ~ ')') -%}
    {%- else -%}
      {%- set current = '(select * from global_temp.' ~ identifier ~ ' where false)' -%}
    {%- endif -%}
  {%- endif -%}
  {%- if merge_order -%}
    {%- set columns = [] -%}
    {%- for row in run_query('describe ' ~ increment).rows -%}
      {%- if row[0] and not row[0].startswith('#') -%}{%- do columns.append('`' ~ row[0] ~ '`') -%}{%- endif -%}
    {%- endfor -%}
    {%- set merged -%}
      select {{ columns | join(', ') }} from (
        select *, row_number() over (
            partition by {{ key_columns }}
            order by {{ merge_order | join(', ') }}) as __merge_rank
        from (select {{ columns | join(', ') }} from {{ current }} as current_rows
              union all
              select {{ columns | join(', ') }} from {{ increment }}) as candidates
      ) as ranked
      where __merge_rank = 1
    {%- endset -%}
  {%- else -%}
    {%- set merged -%}
      select current_rows.* from {{ current }} as current_rows
      left anti join {{ increment }} as new_rows on {{ key_match }}
      union all
      select * from {{ increment }}
    {%- endset -%}
  {%- endif -%}
  {%- if touched is none -%}
    {{ lake_write(identifier, path, merged, 'overwrite', none, user_metadata) }}
  {%- else -%}
    {{ lake_write(identifier, path, merged, 'append', none, user_metadata, touched) }}
  {%- endif -%}
  {%- do run_query('uncache table if exists ' ~ increment) -%}
  {%- do run_query('drop view if exists ' ~ increment) -%}
  {%- do run_query('drop view if exists ' ~ identifier ~ '__dbt_touched') -%}
{%- endmacro %}


{#-
  Seeds. Locally a seed CSV is written as a Delta table (one CREATE OR REPLACE TABLE commit when it changed), typed by
  the seed's `column_types` (otherwise the type dbt infers) and exposed as `global_temp.<seed>` like the models.
  dbt only accepts `materialized: seed` for seeds, so this overrides the seed materialization for Spark and hands
  the cluster target back to dbt's own.
-#}
{% materialization seed, adapter='spark' %}
  {%- if target.name != 'local' -%}
    {{ return(dbt.materialization_seed_default()) }}
  {%- endif -%}
  {%- set identifier = model['alias'] -%}
  {%- set path = lake_path(config.get('layer', 'silver'), identifier) -%}
  {%- set target_relation = api.Relation.create(identifier=identifier, schema='global_temp', type='view') -%}
  {%- set agate_table = load_agate_table() -%}
  {%- do store_result('agate_table', response='OK', agate_table=agate_table) -%}
  {%- set column_types = config.get('column_types') or {} -%}
  {%- set casts = [] -%}
  {%- for column_name in agate_table.column_names -%}
    {%- set data_type = column_types.get(column_name) or adapter.convert_type(agate_table, loop.index0) -%}
    {%- do casts.append('cast(`' ~ column_name ~ '` as ' ~ data_type ~ ') as `' ~ column_name ~ '`') -%}
  {%- endfor -%}
  {%- set rows = [] -%}
  {%- for row in agate_table.rows -%}
    {%- set values = [] -%}
    {%- for value in row -%}
      {%- do values.append('null' if value is none else lake_literal(value | string)) -%}
    {%- endfor -%}
    {%- do rows.append('(' ~ values | join(', ') ~ ')') -%}
  {%- endfor -%}
  {%- set select_sql -%}
    select {{ casts | join(', ') }}
    from values {{ rows | join(', ') }}
      as seed_rows({% for name in agate_table.column_names %}`{{ name }}`{% if not loop.last %}, {% endif %}{% endfor %})
  {%- endset -%}

  {%- set fingerprint, unchanged = lake_inputs_fingerprint(model, select_sql, path) -%}

  {{ run_hooks(pre_hooks) }}
  {%- call statement('main') -%}
    {%- if unchanged and not should_full_refresh() -%}
      {{ lake_keep(identifier, path) }}
    {%- else -%}
      {{ lake_write(identifier, path, select_sql, 'replace', none, lake_fingerprint_metadata(fingerprint)) }}
    {%- endif -%}
  {%- endcall -%}
  {{ run_hooks(post_hooks) }}
  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}


{#-
  lake_view — a global temporary view over the model's SQL (no Delta table): for cheap intermediate steps that
  only feed other models in the same run, where a write would cost more than recomputing.
-#}
{% materialization lake_view, adapter='spark' %}
  {%- set identifier = model['alias'] -%}
  {%- set target_relation = api.Relation.create(identifier=identifier, schema='global_temp', type='view') -%}
  {{ run_hooks(pre_hooks) }}
  {%- call statement('main') -%}
    create or replace global temporary view {{ identifier }} as {{ sql }}
  {%- endcall -%}
  {{ run_hooks(post_hooks) }}
  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}
