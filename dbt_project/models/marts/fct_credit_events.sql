-- Credit events of every party, one row per event: listing in/removal from 经营异常名录 and 严重违法失信名单,
-- 失信被执行人 filings, 联合惩戒 records, credit ratings, public (双公示) penalties and licences.
with

resolved as (

    select * from {{ ref('int_entities_resolved') }}

),

events as (

    select 'stg_credit__abnormal_operations' as source_model, abnormal_id as source_id,
           'abnormal_operation_listed' as credit_event_type, inclusion_date as event_date,
           inclusion_reason_code as reason_code, inclusion_authority_name as authority_name,
           cast(null as string) as department_code, region_code
    from {{ ref('stg_credit__abnormal_operations') }}
    union all
    select 'stg_credit__abnormal_operations', abnormal_id, 'abnormal_operation_removed', removal_date,
           removal_reason_code, removal_authority_name, cast(null as string), region_code
    from {{ ref('stg_credit__abnormal_operations') }}
    where removal_date is not null
    union all
    select 'stg_credit__serious_violations', serious_violation_id, 'serious_violation_listed', inclusion_date,
           inclusion_reason_code, inclusion_authority_name, cast(null as string), region_code
    from {{ ref('stg_credit__serious_violations') }}
    union all
    select 'stg_credit__serious_violations', serious_violation_id, 'serious_violation_removed', removal_date,
           cast(null as string), removal_authority_name, cast(null as string), region_code
    from {{ ref('stg_credit__serious_violations') }}
    where removal_date is not null
    union all
    select 'stg_credit__dishonest_debtors', dishonest_id, 'dishonest_debtor_listed',
           coalesce(publish_date, filing_date), performance_status_code, court_name, cast(null as string),
           region_code
    from {{ ref('stg_credit__dishonest_debtors') }}
    union all
    select 'stg_credit__joint_punishments', punishment_record_id, 'joint_punishment', list_inclusion_date,
           list_type_code, listing_authority_name, department_code, region_code
    from {{ ref('stg_credit__joint_punishments') }}
    union all
    select 'stg_credit__public_penalties', concat_ws('|', penalty_decision_no, authority_uscc),
           'public_penalty', decision_date, punishment_type_codes, authority_name, department_code, region_code
    from {{ ref('stg_credit__public_penalties') }}
    union all
    select 'stg_credit__public_licences', concat_ws('|', licence_decision_no, licensing_authority_uscc),
           'licence_granted', decision_date, licence_category_code, licensing_authority_name, department_code,
           region_code
    from {{ ref('stg_credit__public_licences') }}
    union all
    -- ratings name their party by USCC only; int_entity_mentions lists them, so a rated party no other feed
    -- names still has its dim_entities row
    select 'stg_credit__credit_ratings', concat_ws('|', uscc, rating_source_code, cast(rated_date as string)),
           'credit_rating', rated_date, risk_class_code, rating_authority_name, department_code, region_code
    from {{ ref('stg_credit__credit_ratings') }}

),

final as (

    select
        concat(events.source_model, ':', events.source_id, ':', events.credit_event_type) as credit_event_id,
        coalesce(resolved.entity_key, {{ unknown_entity_key() }}) as entity_key,
        events.credit_event_type,
        events.event_date,
        events.reason_code,
        events.authority_name,
        events.department_code,
        events.region_code,
        events.source_model,
        events.source_id
    from events
    left join resolved
        on events.source_model = resolved.source_model
        and events.source_id = resolved.source_id

)

select * from final
