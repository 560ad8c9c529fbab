{#-
  One select of int_entity_mentions: how a staging model names a party (subject of a registration, an action, a
  credit record, a complaint or a third-party signal). `source_id`, `region_code`, `legal_rep_token`, `entity_type`
  and `status_code` are SQL expressions over the staging model; `uscc`, `party_name` and `address` are its columns
  whose matching form staging already computed (`<column>_match_key`, from the field's `match_key` in schemas/),
  or 'null'. `legal_rep_token` is the token of the legal representative / operator (never the name itself).
-#}
{% macro entity_mention(model_name, source_id, uscc, party_name, region_code, address='null',
                        legal_rep_token='null', is_registry=false, entity_type='null', status_code='null') -%}
    select
        '{{ model_name }}' as source_model,
        cast({{ source_id }} as string) as source_id,
        cast({{ uscc }} as string) as uscc,
        {{ mention_match_key(model_name, uscc) }} is not null as has_valid_uscc,
        cast({{ party_name }} as string) as party_name,
        {{ mention_match_key(model_name, party_name) }} as name_key,
        cast({{ region_code }} as string) as region_code,
        {{ mention_match_key(model_name, address) }} as address_key,
        cast({{ legal_rep_token }} as string) as legal_rep_token,
        {{ 'true' if is_registry else 'false' }} as is_registry,
        cast({{ entity_type }} as string) as entity_type,
        cast({{ status_code }} as string) as registration_status_code
    from {{ ref(model_name) }}
{%- endmacro %}

{#- The staged match key of `column` (its `<column>_match_key`), or a null string for 'null'. A column without
    one is a compile error naming the schemas/ field that needs `match_key`. -#}
{% macro mention_match_key(model_name, column) -%}
  {%- if column == 'null' -%}
    cast(null as string)
  {%- else -%}
    {%- if execute -%}
      {%- set node = graph.nodes.get('model.' ~ project_name ~ '.' ~ model_name) -%}
      {%- if node and (column ~ '_match_key') not in node.columns -%}
        {{ exceptions.raise_compiler_error(model_name ~ ' has no ' ~ column ~ '_match_key: give its field `'
              ~ column ~ '` a match_key in schemas/') }}
      {%- endif -%}
    {%- endif -%}
    `{{ column }}_match_key`
  {%- endif -%}
{%- endmacro %}

{#- The surrogate key of an anchor (stable across runs: a hash of the anchor text, not a sequence). -#}
{% macro entity_key(anchor) -%}
  substr(sha2({{ anchor }}, 256), 1, 16)
{%- endmacro %}

{#- The key of the unknown member of dim_entities (unresolvable references point here). -#}
{% macro unknown_entity_key() -%}
  '0000000000000000'
{%- endmacro %}
