-- One row per real complaint/report event across 12345, 12315 and national dispatches (deduplicated), with
-- every source id kept and working-day SLA metrics measured on the calendar seed.
with

records as (

    select
        unioned.*,
        dedup.complaint_id,
        dedup.match_reason
    from {{ ref('int_complaints_unioned') }} as unioned
    inner join {{ ref('int_complaints_deduplicated') }} as dedup
        on unioned.record_key = dedup.record_key

),

calendar as (

    select * from {{ ref('int_calendar_working_days') }}

),

grouped as (

    select
        complaint_id,
        min_by(record_key, struct(accepted_at, record_key)) as first_record_key,
        min(accepted_at) as first_accepted_at,
        max(closed_at) as closed_at,
        min(due_at) as due_at,
        min(acceptance_decision_date) as acceptance_decision_date,
        count(*) as source_record_count,
        array_join(sort_array(collect_set(channel_code)), ',') as channel_codes,
        array_join(sort_array(collect_list(case when channel_code = '12345' then source_id end)), ',')
            as hotline_work_order_nos,
        array_join(sort_array(collect_list(case when channel_code = '12315' then source_id end)), ',')
            as consumer_complaint_nos,
        array_join(sort_array(collect_list(case when channel_code = 'NATIONAL' then source_id end)), ',')
            as national_dispatch_ids,
        max_by(complainant_phone_token, complainant_phone_token is not null) as complainant_phone_token,
        max_by(entity_key, entity_key != {{ unknown_entity_key() }}) as entity_key,
        max_by(region_code, region_code is not null) as region_code,
        max_by(department_code, department_code is not null) as department_code,
        max_by(item_code, item_code is not null) as item_code,
        max_by(request_type_code, channel_code = '12345') as request_type_code,
        max_by(satisfaction_code, satisfaction_code is not null) as satisfaction_code,
        max(coalesce(source_is_overdue, false)) as source_is_overdue,
        array_join(sort_array(collect_set(match_reason)), ',') as match_reasons
    from records
    group by complaint_id

),

with_sla as (

    select
        grouped.*,
        records.channel_code as first_channel_code,
        records.title,
        date '{{ var("logical_date") }}' as as_of_date,
        accepted_day.working_day_number as accepted_working_day,
        decision_day.working_day_number - accepted_day.working_day_number as working_days_to_acceptance,
        closed_day.working_day_number - accepted_day.working_day_number as working_days_to_close
    from grouped
    inner join records on grouped.first_record_key = records.record_key
    left join calendar as accepted_day on to_date(grouped.first_accepted_at) = accepted_day.calendar_date
    left join calendar as decision_day on grouped.acceptance_decision_date = decision_day.calendar_date
    left join calendar as closed_day on to_date(grouped.closed_at) = closed_day.calendar_date

),

final as (

    select
        complaint_id,
        first_channel_code,
        channel_codes,
        source_record_count,
        hotline_work_order_nos,
        consumer_complaint_nos,
        national_dispatch_ids,
        match_reasons,
        complainant_phone_token,
        entity_key,
        region_code,
        department_code,
        item_code,
        request_type_code,
        title,
        first_accepted_at,
        to_date(first_accepted_at) as accepted_date,
        date_format(first_accepted_at, 'yyyy-MM') as accepted_month,
        due_at,
        closed_at,
        closed_at is not null as is_closed,
        acceptance_decision_date,
        working_days_to_acceptance,
        working_days_to_close,
        -- 12315: the acceptance decision is due within 7 working days of registration
        case
            when acceptance_decision_date is null then null
            else working_days_to_acceptance <= {{ var('acceptance_working_days', 7) }}
        end as is_accepted_in_time,
        case when closed_at is not null and due_at is not null then closed_at <= due_at end as is_handled_on_time,
        coalesce(
            source_is_overdue
            or (closed_at is not null and due_at is not null and closed_at > due_at)
            or (closed_at is null and due_at is not null and to_date(due_at) < as_of_date),
            false
        ) as is_overdue,
        satisfaction_code,
        case when satisfaction_code is null then null else satisfaction_code != '0' end as is_satisfied
    from with_sla

)

select * from final
