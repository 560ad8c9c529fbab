-- The three complaint channels in one shape: one row per source record (12345 work order, 12315 complaint,
-- national dispatch). The complainant is known only by tokens; texts are the masked bronze texts.
with

hotline as (

    select
        '12345' as channel_code,
        work_order_no as source_id,
        accepted_at,
        coalesce(contact_phone_token, caller_phone_token) as complainant_phone_token,
        reporter_name_token as complainant_name_token,
        request_type_code,
        title,
        content,
        target_uscc,
        target_name,
        region_code,
        department_code,
        item_code,
        inspection_code,
        cast(null as string) as linked_order_no,
        due_at,
        coalesce(closed_at, solved_at) as closed_at,
        satisfaction_code,
        is_overdue as source_is_overdue,
        cast(null as date) as acceptance_decision_date
    from {{ ref('stg_complaints__hotline_work_orders') }}

),

consumer as (

    select
        '12315' as channel_code,
        complaint_no as source_id,
        accepted_at,
        consumer_phone_token as complainant_phone_token,
        consumer_name_token as complainant_name_token,
        complaint_category_code as request_type_code,
        cast(null as string) as title,
        content,
        target_uscc,
        target_name,
        region_code,
        department_code,
        item_code,
        inspection_code,
        hotline_work_order_no as linked_order_no,
        cast(null as timestamp) as due_at,
        closed_at,
        cast(null as string) as satisfaction_code,
        cast(null as boolean) as source_is_overdue,
        acceptance_decision_date
    from {{ ref('stg_complaints__consumer_complaints') }}

),

national as (

    select
        'NATIONAL' as channel_code,
        dispatch_id as source_id,
        dispatched_at as accepted_at,
        complainant_phone_token,
        complainant_name_token,
        origin_type_code as request_type_code,
        title,
        content,
        target_uscc,
        target_name,
        region_code,
        department_code,
        item_code,
        inspection_code,
        cast(null as string) as linked_order_no,
        cast(deadline_date as timestamp) + interval 1 day - interval 1 second as due_at,
        feedback_at as closed_at,
        cast(null as string) as satisfaction_code,
        cast(null as boolean) as source_is_overdue,
        cast(null as date) as acceptance_decision_date
    from {{ ref('stg_complaints__national_dispatches') }}

),

unioned as (

    select * from hotline
    union all
    select * from consumer
    union all
    select * from national

),

final as (

    select
        concat(unioned.channel_code, ':', unioned.source_id) as record_key,
        unioned.*,
        coalesce(resolved.entity_key, {{ unknown_entity_key() }}) as entity_key,
        {{ match_name('coalesce(unioned.content, unioned.title)') }} as text_key
    from unioned
    left join {{ ref('int_entities_resolved') }} as resolved
        on resolved.source_model = case unioned.channel_code
            when '12345' then 'stg_complaints__hotline_work_orders'
            when '12315' then 'stg_complaints__consumer_complaints'
            else 'stg_complaints__national_dispatches'
        end
        and resolved.source_id = unioned.source_id

)

select * from final
