{{ config(materialized=('lake_view' if var('lake_views_only', false) else 'lake_incremental') if target.name == 'local' else 'incremental',
          unique_key=['source_model', 'source_id'], incremental_strategy='merge',
          incremental_delete_when='entity_key is null') }}
-- Entity resolution: every mention → one anchor (a valid USCC, or a standardised name + region), with the reason.
-- Rules, in order:
--   1. a valid USCC (structure + GB 32100 check character) is the anchor itself;
--   2. otherwise the standardised name + region is looked up among the parties known by a valid USCC; a single
--      candidate, or the one whose address or legal representative token also agrees, gives its USCC;
--   3. otherwise the entity is known only by name + region (an unregistered or unresolvable party);
--   4. no usable name or region: the unknown member.
-- A mention's resolution depends only on itself and on the USCC profiles of its block (the same name key +
-- region). Incremental: a nightly build resolves again only the mentions that changed since (newer
-- source_ingested_at per source model) and the unanchored mentions of every block where a USCC profile appeared,
-- went or changed (profile_hash); mentions that are gone get a row without entity_key, which deletes theirs
-- (locally: incremental_delete_when). The rows equal a full rebuild's.
with

all_mentions as (

    select * from {{ ref('int_entity_mentions') }}

),

{% if is_incremental() %}
previous as (

    select source_model, source_id, name_key, region_code, profile_hash, source_ingested_at from {{ this }}

),

watermarks as (

    select source_model, max(source_ingested_at) as resolved_until
    from previous
    group by source_model

),

changed as (

    select all_mentions.*
    from all_mentions
    left join watermarks on all_mentions.source_model = watermarks.source_model
    where watermarks.resolved_until is null or all_mentions.source_ingested_at > watermarks.resolved_until

),

gone as (

    select previous.*
    from previous
    left anti join all_mentions
        on previous.source_model = all_mentions.source_model
        and previous.source_id = all_mentions.source_id

),

profile_changes as (

    -- changed mentions whose USCC profile (or its block) is not what it was
    select
        changed.name_key,
        changed.region_code,
        {{ uscc_profile_hash('changed') }} as profile_hash,
        previous.name_key as previous_name_key,
        previous.region_code as previous_region_code,
        previous.profile_hash as previous_profile_hash
    from changed
    left join previous
        on changed.source_model = previous.source_model
        and changed.source_id = previous.source_id
    where not (
        {{ uscc_profile_hash('changed') }} <=> previous.profile_hash
        and changed.name_key <=> previous.name_key
        and changed.region_code <=> previous.region_code
    )

),

touched_blocks as (

    -- the blocks whose set of USCC profiles may have changed
    select name_key, region_code from profile_changes where profile_hash is not null
    union
    select previous_name_key, previous_region_code from profile_changes where previous_profile_hash is not null
    union
    select name_key, region_code from gone where profile_hash is not null

),

mentions as (

    -- the changed mentions, and the unanchored mentions of touched blocks
    select * from changed
    union
    select all_mentions.*
    from all_mentions
    left semi join touched_blocks
        on all_mentions.name_key = touched_blocks.name_key
        and all_mentions.region_code = touched_blocks.region_code
    where not all_mentions.has_valid_uscc

),

profiled_blocks as (

    select distinct name_key, region_code
    from mentions
    where not has_valid_uscc and name_key is not null and region_code is not null

),

profile_sources as (

    select all_mentions.*
    from all_mentions
    left semi join profiled_blocks
        on all_mentions.name_key = profiled_blocks.name_key
        and all_mentions.region_code = profiled_blocks.region_code

),
{% else %}
mentions as (

    select * from all_mentions

),

profile_sources as (

    select * from all_mentions

),
{% endif %}

uscc_profiles as (

    select distinct uscc, name_key, region_code, address_key, legal_rep_token
    from profile_sources
    where has_valid_uscc and name_key is not null and region_code is not null

),

unanchored as (

    select * from mentions
    where not has_valid_uscc and name_key is not null and region_code is not null

),

candidates as (

    select
        unanchored.source_model,
        unanchored.source_id,
        uscc_profiles.uscc,
        max(coalesce(unanchored.address_key = uscc_profiles.address_key, false)) as address_agrees,
        max(coalesce(unanchored.legal_rep_token = uscc_profiles.legal_rep_token, false)) as legal_rep_agrees
    from unanchored
    inner join uscc_profiles
        on unanchored.name_key = uscc_profiles.name_key
        and unanchored.region_code = uscc_profiles.region_code
    group by unanchored.source_model, unanchored.source_id, uscc_profiles.uscc

),

ranked_candidates as (

    select
        *,
        count(*) over (partition by source_model, source_id) as candidate_count,
        row_number() over (
            partition by source_model, source_id
            order by cast(legal_rep_agrees as int) + cast(address_agrees as int) desc, uscc
        ) as candidate_rank
    from candidates

),

chosen as (

    select *
    from ranked_candidates
    where candidate_rank = 1
        and (candidate_count = 1 or legal_rep_agrees or address_agrees)

),

resolved as (

    select
        mentions.source_model,
        mentions.source_id,
        case
            when mentions.has_valid_uscc then concat('uscc:', mentions.uscc)
            when chosen.uscc is not null then concat('uscc:', chosen.uscc)
            when mentions.name_key is not null and mentions.region_code is not null
                then concat('name:', mentions.name_key, '|', mentions.region_code)
        end as anchor,
        case
            when mentions.has_valid_uscc then 'uscc'
            when chosen.legal_rep_agrees then 'name_region_legal_rep'
            when chosen.address_agrees then 'name_region_address'
            when chosen.uscc is not null then 'name_region'
            when mentions.name_key is not null and mentions.region_code is not null then 'name_region_only'
            else 'unresolved'
        end as match_reason,
        mentions.name_key,
        mentions.region_code,
        {{ uscc_profile_hash('mentions') }} as profile_hash,
        mentions.source_ingested_at
    from mentions
    left join chosen
        on mentions.source_model = chosen.source_model
        and mentions.source_id = chosen.source_id

),

final as (

    select
        source_model,
        source_id,
        coalesce({{ entity_key('anchor') }}, {{ unknown_entity_key() }}) as entity_key,
        anchor,
        match_reason,
        name_key,
        region_code,
        profile_hash,
        source_ingested_at
    from resolved
    {%- if is_incremental() and target.name == 'local' %}
    union all
    -- tombstones: delete the rows of mentions that are gone (incremental_delete_when)
    select
        source_model,
        source_id,
        cast(null as string) as entity_key,
        cast(null as string) as anchor,
        cast(null as string) as match_reason,
        name_key,
        region_code,
        profile_hash,
        source_ingested_at
    from gone
    {%- endif %}

)

select * from final
