{#-
  The whole SQL of a staging model, derived from the bronze source's columns in the generated sources YAML
  (itself rendered from schemas/): no field list is typed twice.

  Per column (meta from schemas/):
    * free text (PII class free_text): trimmed, written as it was (narrative text keeps its punctuation);
    * USCC / organisation code: upper case, separators removed;
    * codes (a code list, a code format, or a name ending in _code/_codes): clean text, upper case;
    * other text: half-width, trimmed, whitespace collapsed, '' → null;
    * every other type: cast to its declared type (bronze is typed already; the cast pins the contract);
    * `<field>_token` columns are kept as they are; of the lineage columns batch_id, source_system,
      logical_date and ingested_at are kept.
  Then, per field that names a party (meta `match_key`, from schemas/), `<field>_match_key`: its matching form
  (`match_key_of`, macros/staging/standardise.sql), computed from the standardised value — in the latest-version
  model only (entity resolution reads it; the `_versions` models feed the histories).
  Grain: the latest version per business key — ordered by the model's `merge_order` (generated from schemas/: the
  table's `order_by` column, then the delivery: logical_date, ingested_at, batch_id), then the row number in the
  file, newest first.
  With versions=true (tables that declare `history` fields): every version per business key — one row per
  (business key, `order_by` value), the latest delivery of each (a redelivered version is not a change).

  Incremental (`is_incremental()`, the model's table exists): only the bronze rows delivered since the model's
  last build are standardised — locally the bronze change feed the runner exposes as
  `global_temp.<model>__bronze_changes` (jianguan.marts.dbt_run.expose_bronze_changes), on a cluster the rows
  ingested after the model's newest `ingested_at`. They are ranked together with the model's current rows (the
  winners of every earlier version), so a late delivery of an older version does not replace a newer one, and
  the select gives the whole new table — equal to a full rebuild's (incremental_strategy insert_overwrite
  locally; merge by the grain on a cluster). Locally, a model whose strategy is `merge` (the `_versions` models:
  most new versions are new grain rows) selects the newest new rows per grain only, and `lake_merge` ranks them
  with the current rows of the data files holding their keys by the same `merge_order`: a feed of new keys only
  becomes an append.
-#}
{% macro stage_bronze(source_name, table_name, versions=false) -%}
  {%- set relation = source(source_name, table_name) -%}
  {%- if not execute -%}
    select * from {{ relation }}
  {%- else -%}
    {%- set node = graph.sources['source.' ~ project_name ~ '.' ~ source_name ~ '.' ~ table_name] -%}
    {%- set keys = node.meta.business_key -%}
    {%- set order_by = node.meta.order_by -%}
    {%- set kept_lineage = ['batch_id', 'source_system', 'logical_date', 'ingested_at'] -%}
    {%- set identifier_formats = ['uscc', 'org_code'] -%}
    {%- set code_formats = ['item_code', 'checklist_code', 'region_code', 'party_code'] -%}
    {%- set grain = keys + ([order_by] if versions else []) -%}
    {%- set merge_order = model.config.get('merge_order') -%}
    {%- if not merge_order -%}
      {{ exceptions.raise_compiler_error(model.name ~ ': staging models need merge_order (generated from schemas/)') }}
    {%- endif -%}
    {%- set incremental = is_incremental() -%}
    {%- set output = [] -%}
with

source as (

    {%- if not incremental %}
    select * from {{ relation }}
    {%- elif target.name == 'local' %}
    select * from {{ bronze_changes_relation(model.alias) }}
    {%- else %}
    select * from {{ relation }}
    where ingested_at > (select coalesce(max(ingested_at), timestamp'1900-01-01 00:00:00') from {{ this }})
    {%- endif %}

),

standardised as (

    select
    {%- for column in node.columns.values() %}
      {%- set meta = column.meta or {} -%}
      {%- set role = meta.get('role') -%}
      {%- set name = column.name -%}
      {%- set quoted = '`' ~ name ~ '`' -%}
      {%- if role == 'lineage' %}
        {%- if name in kept_lineage %}{% do output.append(name) %}{% endif %}
        {{ quoted }},
      {%- elif role == 'token' %}
        {%- do output.append(name) %}
        {{ quoted }},
      {%- else %}
        {%- do output.append(name) -%}
        {%- if column.data_type != 'string' %}
        cast({{ quoted }} as {{ column.data_type }}) as {{ quoted }},
        {%- elif meta.get('pii') == 'free_text' %}
        nullif(trim({{ quoted }}), '') as {{ quoted }},
        {%- elif meta.get('format') in identifier_formats %}
        {{ clean_identifier(quoted) }} as {{ quoted }},
        {%- elif meta.get('code_list') or meta.get('format') in code_formats
              or name.endswith('_code') or name.endswith('_codes') %}
        {{ clean_code(quoted) }} as {{ quoted }},
        {%- else %}
        {{ clean_text(quoted) }} as {{ quoted }},
        {%- endif %}
      {%- endif %}
    {%- endfor %}
        1 as _one
    from source

),

matched as (

    -- a name is matched once here and read twice by its key (party_name_key)
    select
        {%- for column in node.columns.values() if (column.meta or {}).get('match_key') == 'name' and not versions %}
        {{ match_name('`' ~ column.name ~ '`') }} as `__{{ column.name }}_name_match`,
        {%- endfor %}
        *
    from standardised

),

keyed as (

    select
        {%- for column in node.columns.values() if (column.meta or {}).get('match_key') and not versions %}
        {%- set key_name = column.name ~ '_match_key' %}
        {%- do output.append(key_name) %}
        {%- if column.meta['match_key'] == 'name' %}
        {{ party_name_key('`__' ~ column.name ~ '_name_match`') }} as `{{ key_name }}`,
        {%- else %}
        {{ match_key_of(column.meta['match_key'], '`' ~ column.name ~ '`') }} as `{{ key_name }}`,
        {%- endif %}
        {%- endfor %}
        *
    from matched

),

candidates as (

    select {% for name in output %}`{{ name }}`, {% endfor %}source_row_number
    from keyed
    {%- if incremental and not (target.name == 'local' and model.config.get('incremental_strategy') == 'merge') %}
    union all
    -- the model's current rows (the winners of all earlier versions) compete with the new versions
    select {% for name in output %}`{{ name }}`, {% endfor %}cast(null as bigint) as source_row_number
    from {{ this }}
    {%- endif %}

),

ranked as (

    select
        *,
        row_number() over (
            partition by {% for key in grain %}`{{ key }}`{% if not loop.last %}, {% endif %}{% endfor %}
            order by {{ merge_order | join(', ') }}, source_row_number desc
        ) as _version_rank
    from candidates

),

final as (

    select
    {%- for name in output %}
        `{{ name }}`{% if not loop.last %},{% endif %}
    {%- endfor %}
    from ranked
    where _version_rank = 1

)

select * from final
  {%- endif -%}
{%- endmacro %}
