{#-
  One select of int_entity_mentions: how a staging model names a party (subject of a registration, an action, a
  credit record, a complaint or a third-party signal). Arguments are SQL expressions over the staging model.
  `legal_rep_token` is the token of the legal representative / operator (never the name itself).
-#}
{% macro entity_mention(model_name, source_id, uscc, party_name, region_code, address='null',
                        legal_rep_token='null', is_registry=false, entity_type='null', status_code='null') -%}
    select
        '{{ model_name }}' as source_model,
        cast({{ source_id }} as string) as source_id,
        cast({{ uscc }} as string) as uscc,
        cast({{ party_name }} as string) as party_name,
        cast({{ region_code }} as string) as region_code,
        cast({{ address }} as string) as address,
        cast({{ legal_rep_token }} as string) as legal_rep_token,
        {{ 'true' if is_registry else 'false' }} as is_registry,
        cast({{ entity_type }} as string) as entity_type,
        cast({{ status_code }} as string) as registration_status_code
    from {{ ref(model_name) }}
{%- endmacro %}

{#- The surrogate key of an anchor (stable across runs: a hash of the anchor text, not a sequence). -#}
{% macro entity_key(anchor) -%}
  substr(sha2({{ anchor }}, 256), 1, 16)
{%- endmacro %}

{#- The key of the unknown member of dim_entities (unresolvable references point here). -#}
{% macro unknown_entity_key() -%}
  '0000000000000000'
{%- endmacro %}
