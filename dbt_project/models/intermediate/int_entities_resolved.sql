-- Entity resolution: every mention → one anchor (a valid USCC, or a standardised name + region), with the reason.
-- Rules, in order:
--   1. a valid USCC (structure + GB 32100 check character) is the anchor itself;
--   2. otherwise the standardised name + region is looked up among the parties known by a valid USCC; a single
--      candidate, or the one whose address or legal representative token also agrees, gives its USCC;
--   3. otherwise the entity is known only by name + region (an unregistered or unresolvable party);
--   4. no usable name or region: the unknown member.
with

mentions as (

    select * from {{ ref('int_entity_mentions') }}

),

uscc_profiles as (

    select distinct uscc, name_key, region_code, address_key, legal_rep_token
    from mentions
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
        end as match_reason
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
        match_reason
    from resolved

)

select * from final
