-- 监管信息链: per entity, every supervision-relevant event in time order — registration, licences, inspections
-- (incl. 双随机), penalties, coercive measures, other actions, credit events (incl. court dishonesty records),
-- complaints and third-party signals — joined to the 监管事项 catalogue and the acting officer.
-- Grain: one row per (entity_key, event_kind, event_id).
with

registrations as (

    select resolved.entity_key, 'registration' as event_kind, enterprises.entity_pripid as event_id,
           cast(enterprises.established_date as timestamp) as event_at, cast(null as string) as item_code,
           cast(null as string) as officer_certificate_no, cast(null as string) as department_code,
           enterprises.region_code, enterprises.registration_status_code as detail_code
    from {{ ref('stg_objects__enterprises') }} as enterprises
    inner join {{ ref('int_entities_resolved') }} as resolved
        on resolved.source_model = 'stg_objects__enterprises' and resolved.source_id = enterprises.entity_pripid

),

inspections as (

    select entity_key, case when is_random_inspection then 'random_inspection' else 'inspection' end,
           inspection_code, cast(action_date as timestamp), item_code,
           element_at(split(officer_certificate_nos, '[,;，；]'), 1), department_code, region_code,
           check_result_code
    from {{ ref('fct_inspections') }}

),

penalties as (

    select entity_key, 'penalty', penalty_action_code, cast(action_date as timestamp), item_code,
           element_at(split(officer_certificate_nos, '[,;，；]'), 1), department_code, region_code,
           punishment_type_codes
    from {{ ref('fct_penalties') }}

),

coercive as (

    select entity_key, 'coercive_measure', coercive_action_code, cast(action_date as timestamp), item_code,
           element_at(split(officer_certificate_nos, '[,;，；]'), 1), department_code, region_code,
           coercive_measure_type_code
    from {{ ref('fct_coercive_measures') }}

),

other_actions as (

    select coalesce(resolved.entity_key, {{ unknown_entity_key() }}), 'other_action', actions.other_action_code,
           cast(actions.start_date as timestamp), actions.item_code,
           element_at(split(actions.officer_certificate_nos, '[,;，；]'), 1), actions.department_code,
           actions.region_code, cast(null as string)
    from {{ ref('stg_actions__other_actions') }} as actions
    left join {{ ref('int_entities_resolved') }} as resolved
        on resolved.source_model = 'stg_actions__other_actions' and resolved.source_id = actions.other_action_code

),

credit as (

    select entity_key, credit_event_type, credit_event_id, cast(event_date as timestamp), cast(null as string),
           cast(null as string), department_code, region_code, reason_code
    from {{ ref('fct_credit_events') }}

),

complaints as (

    select entity_key, 'complaint', complaint_id, first_accepted_at, item_code, cast(null as string),
           department_code, region_code, channel_codes
    from {{ ref('fct_complaints') }}

),

opinions as (

    select coalesce(resolved.entity_key, {{ unknown_entity_key() }}), 'public_opinion', opinion.opinion_id,
           opinion.published_at, opinion.item_code, cast(null as string), cast(null as string),
           opinion.region_code, opinion.sentiment_code
    from {{ ref('stg_third_party__public_opinion') }} as opinion
    left join {{ ref('int_entities_resolved') }} as resolved
        on resolved.source_model = 'stg_third_party__public_opinion' and resolved.source_id = opinion.opinion_id

),

events as (

    select * from registrations
    union all select * from inspections
    union all select * from penalties
    union all select * from coercive
    union all select * from other_actions
    union all select * from credit
    union all select * from complaints
    union all select * from opinions

),

final as (

    select
        events.entity_key,
        entities.entity_name,
        entities.uscc,
        row_number() over (
            partition by events.entity_key order by events.event_at nulls last, events.event_kind, events.event_id
        ) as chain_seq,
        events.event_at,
        to_date(events.event_at) as event_date,
        events.event_kind,
        events.event_id,
        events.detail_code,
        events.item_code,
        items.item_name,
        items.item_type_code,
        events.item_code is not null and items.item_code is null as is_orphan_item,
        events.officer_certificate_no,
        officers.organisation_name as officer_organisation_name,
        officers.department_code as officer_department_code,
        coalesce(events.department_code, officers.department_code) as department_code,
        events.region_code
    from events
    left join {{ ref('dim_entities') }} as entities on events.entity_key = entities.entity_key
    left join {{ ref('stg_catalog__supervision_items') }} as items on events.item_code = items.item_code
    left join {{ ref('stg_officers__officers') }} as officers
        on events.officer_certificate_no = officers.officer_certificate_no
    where events.entity_key != {{ unknown_entity_key() }}

)

select * from final
