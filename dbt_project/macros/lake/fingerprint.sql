{#-
  Keeping a model whose inputs have not changed (embedded target).

  A model's output is a function of its compiled SQL, its inputs and how it is written. Its input fingerprint is
  an MD5 of all of them: the compiled SQL (vars such as `logical_date` are rendered into it), the version of
  every table it reads (`depends_on`: models and seeds at their latest version, bronze sources at the version
  the runner pinned them to), the materialization, layer and partitioning, and the descriptions written into
  the table's schema. Each build records it in its commit's userMetadata (`{"inputs": "<md5>"}`). When the
  next build computes the same fingerprint, the table already holds what the build would write: the model is
  kept (its SQL does not run, no commit, its version unchanged), and so, in turn, is every model downstream whose
  inputs are then all unchanged. A rerun of a night, or a night in which a library received nothing, rebuilds
  only what changed (the data tests still run).

  Never kept: `--full-refresh`; a model that reads something without a Delta table (a `lake_view` model);
  a table whose last commit was made by something else (maintenance, an older build): its userMetadata holds
  no fingerprint. A change to the materialization code itself is not seen: build with `--full-refresh` after
  one (or bump `format` in lake_inputs_fingerprint: every model is then rebuilt once).
  An incremental model whose increment is empty makes no commit, so it records no new fingerprint: it runs its
  (empty) increment again on the next build, and its version, which its descendants see, stays the same.
-#}


{#-
  The input fingerprint of `node` built from `compiled_sql`, and whether its table's last commit recorded the
  same one: (fingerprint, unchanged). fingerprint is none when the model cannot be fingerprinted.
-#}
{% macro lake_inputs_fingerprint(node, compiled_sql, path) -%}
  {%- set paths = [path] -%}
  {#- input node → the version the runner pinned it to (bronze), or the path of the table to ask for it -#}
  {%- set read_from = {} -%}
  {%- set bronze_versions = var('lake_bronze_versions', {}) -%}
  {%- for node_id in node.depends_on.nodes | sort -%}
    {%- if node_id in graph.sources -%}
      {%- set source_node = graph.sources[node_id] -%}
      {%- set name = source_node.identifier or source_node.name -%}
      {%- if name in bronze_versions -%}
        {%- do read_from.update({node_id: bronze_versions[name]}) -%}
      {%- else -%}
        {%- do paths.append(lake_path('bronze', name)) -%}
        {%- do read_from.update({node_id: paths[-1]}) -%}
      {%- endif -%}
    {%- elif node_id in graph.nodes -%}
      {%- set parent = graph.nodes[node_id] -%}
      {%- if parent.resource_type == 'seed' or parent.config.materialized in ('lake_table', 'lake_incremental') -%}
        {%- do paths.append(lake_path(parent.config.get('layer', 'silver'), parent.alias)) -%}
        {%- do read_from.update({node_id: paths[-1]}) -%}
      {%- else -%}
        {{ return((none, false)) }}
      {%- endif -%}
    {%- else -%}
      {{ return((none, false)) }}
    {%- endif -%}
  {%- endfor -%}
  {%- set commits = lake_latest_commits(node.alias, paths) -%}
  {%- set inputs = {} -%}
  {%- for node_id, value in read_from.items() -%}
    {%- do inputs.update({node_id: commits[value][0] if value is string else value}) -%}
  {%- endfor -%}
  {%- set comments = {} -%}
  {%- for name, column in node.columns.items() -%}
    {%- do comments.update({name: column.description}) -%}
  {%- endfor -%}
  {%- set described = {
        'format': 1,
        'materialized': node.config.materialized,
        'layer': node.config.get('layer', 'silver'),
        'partition_by': node.config.get('partition_by'),
        'unique_key': node.config.get('unique_key'),
        'incremental_strategy': node.config.get('incremental_strategy'),
        'description': node.description,
        'columns': comments,
        'inputs': inputs,
        'sql': compiled_sql,
      } -%}
  {%- set fingerprint = local_md5(tojson(described, sort_keys=true)) -%}
  {%- set recorded = commits[path][1] -%}
  {%- set previous = none -%}
  {%- if recorded -%}
    {%- set parsed = fromjson(recorded) -%}
    {%- if parsed is mapping -%}{%- set previous = parsed.get('inputs') -%}{%- endif -%}
  {%- endif -%}
  {{ return((fingerprint, previous == fingerprint)) }}
{%- endmacro %}


{#- path → (version, userMetadata) of the latest commit of each table (version none: no table there). -#}
{% macro lake_latest_commits(identifier, paths) -%}
  {%- set view = identifier ~ '__dbt_commits' -%}
  {%- do run_query('create or replace temporary view ' ~ view ~ ' using delta_commits options (paths '
        ~ lake_literal(tojson(paths | unique | list)) ~ ')') -%}
  {%- set commits = {} -%}
  {%- for row in run_query('select path, version, user_metadata from ' ~ view).rows -%}
    {%- do commits.update({row[0]: ((row[1] | int) if row[1] is not none else none, row[2])}) -%}
  {%- endfor -%}
  {%- do run_query('drop view if exists ' ~ view) -%}
  {{ return(commits) }}
{%- endmacro %}


{#- The userMetadata a build records: its input fingerprint. -#}
{% macro lake_fingerprint_metadata(fingerprint) -%}
  {{ return(tojson({'inputs': fingerprint}) if fingerprint else none) }}
{%- endmacro %}
