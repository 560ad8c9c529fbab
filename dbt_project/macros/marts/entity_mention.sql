{#-
  One select of int_entity_mentions: how a staging model names a party (subject of a registration, an action, a
  credit record, a complaint or a third-party signal). Arguments are SQL expressions over the staging model.
  `legal_rep_token` is the token of the legal representative / operator (never the name itself).
  `source_ingested_at` is the staging row's `ingested_at`. An incremental build reads only the staging rows
  ingested after the newest it holds from that model (a staging row changes only when a newer version of it is
  ingested).
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
        cast({{ status_code }} as string) as registration_status_code,
        ingested_at as source_ingested_at
    from {{ ref(model_name) }}
    {%- if is_incremental() %}
    -- the same aggregate in every branch: Spark computes it once (exchange reuse)
    left join (
        select source_model as mentioned_model, max(source_ingested_at) as mentioned_until
        from {{ this }}
        group by source_model
    ) as watermarks
        on watermarks.mentioned_model = '{{ model_name }}'
    where watermarks.mentioned_until is null or ingested_at > watermarks.mentioned_until
    {%- endif %}
{%- endmacro %}

{#- The surrogate key of an anchor (stable across runs: a hash of the anchor text, not a sequence). -#}
{% macro entity_key(anchor) -%}
  substr(sha2({{ anchor }}, 256), 1, 16)
{%- endmacro %}

{#- The key of the unknown member of dim_entities (unresolvable references point here). -#}
{% macro unknown_entity_key() -%}
  '0000000000000000'
{%- endmacro %}


{#-
  The hash of a mention's USCC profile (USCC, address key, legal representative token) when it is one — a valid
  USCC in a usable (name key, region) block — else null. Unanchored mentions of a block are resolved against its
  profiles, so an incremental resolution redoes a block only when a profile in it appeared, went or changed.
-#}
{% macro uscc_profile_hash(relation) -%}
  case
    when {{ relation }}.has_valid_uscc and {{ relation }}.name_key is not null and {{ relation }}.region_code is not null
      then xxhash64({{ relation }}.uscc, {{ relation }}.address_key, {{ relation }}.legal_rep_token)
  end
{%- endmacro %}
