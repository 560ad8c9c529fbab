{{ config(materialized=('lake_view' if var('lake_views_only', false) else 'lake_incremental') if target.name == 'local' else 'incremental',
          unique_key=['source_channel_code', 'event_id'], incremental_strategy='merge') }}
-- The lifecycle of every complaint record (登记 → 派单 → 签收 → … → 办结 → 回访), linked to the deduplicated
-- complaint. Grain: one row per lifecycle event (source channel + event id). Incremental: a run reads only the
-- events ingested after the newest one already in the table, merged by event key (redeliveries replace).
with

events as (

    select * from {{ ref('stg_complaints__complaint_events') }}
    {% if is_incremental() %}
    where ingested_at > (select coalesce(max(ingested_at), timestamp'1900-01-01 00:00:00') from {{ this }})
    {% endif %}

),

records as (

    select * from {{ ref('int_complaints_deduplicated') }}

),

calendar as (

    select * from {{ ref('int_calendar_working_days') }}

),

final as (

    select
        events.source_channel_code,
        events.event_id,
        events.source_order_no,
        records.complaint_id,
        events.event_seq,
        events.event_type_code,
        events.event_at,
        to_date(events.event_at) as event_date,
        events.department_code,
        events.target_department_code,
        events.officer_certificate_no,
        events.operator_name_token,
        events.due_at,
        events.satisfaction_code,
        case when events.due_at is not null then events.event_at > events.due_at end as is_after_due,
        event_day.working_day_number - due_day.working_day_number as working_days_past_due,
        events.ingested_at
    from events
    left join records
        on events.source_channel_code = records.channel_code
        and events.source_order_no = records.source_id
    left join calendar as event_day on to_date(events.event_at) = event_day.calendar_date
    left join calendar as due_day on to_date(events.due_at) = due_day.calendar_date

)

select * from final
