-- One row per real party (enterprise, individual business, other legal person, or a party known only by name +
-- region) across every library, plus the unknown member. entity_key is a hash of the anchor, so it is stable.
with

resolved as (

    select * from {{ ref('int_entities_resolved') }}
    where anchor is not null

),

mentions as (

    select * from {{ ref('int_entity_mentions') }}

),

joined as (

    select
        resolved.entity_key,
        resolved.anchor,
        resolved.match_reason,
        mentions.*,
        -- registry rows (the registration itself) describe an entity best, then the most frequent wording
        case when mentions.is_registry then 1 else 0 end as registry_rank
    from resolved
    inner join mentions
        on resolved.source_model = mentions.source_model
        and resolved.source_id = mentions.source_id

),

name_counts as (

    select entity_key, party_name, max(registry_rank) as registry_rank, count(*) as mentions
    from joined
    where party_name is not null
    group by entity_key, party_name

),

preferred_names as (

    select entity_key, max_by(party_name, struct(registry_rank, mentions, party_name)) as entity_name
    from name_counts
    group by entity_key

),

profiles as (

    select
        entity_key,
        min(anchor) as anchor,
        max_by(region_code, struct(registry_rank, region_code is not null)) as region_code,
        max_by(entity_type, registry_rank) as registry_entity_type,
        max_by(registration_status_code, registry_rank) as registration_status_code,
        max(is_registry) as is_registered,
        count(*) as mention_count,
        array_join(sort_array(collect_set(source_model)), ',') as source_models,
        array_join(sort_array(collect_set(match_reason)), ',') as match_reasons
    from joined
    group by entity_key

),

entities as (

    select
        profiles.entity_key,
        profiles.anchor,
        case when profiles.anchor like 'uscc:%' then substr(profiles.anchor, 6) end as uscc,
        preferred_names.entity_name,
        profiles.region_code,
        coalesce(
            profiles.registry_entity_type,
            case when profiles.anchor like 'uscc:%' then 'referenced_by_uscc' else 'referenced_by_name' end
        ) as entity_type,
        profiles.registration_status_code,
        profiles.is_registered,
        profiles.mention_count,
        profiles.source_models,
        profiles.match_reasons
    from profiles
    left join preferred_names on profiles.entity_key = preferred_names.entity_key

),

unknown_member as (

    select
        {{ unknown_entity_key() }} as entity_key,
        'unknown' as anchor,
        cast(null as string) as uscc,
        '未知主体' as entity_name,
        cast(null as string) as region_code,
        'unknown' as entity_type,
        cast(null as string) as registration_status_code,
        false as is_registered,
        cast(0 as bigint) as mention_count,
        cast(null as string) as source_models,
        'unresolved' as match_reasons

),

final as (

    select * from entities
    union all
    select * from unknown_member

)

select * from final
