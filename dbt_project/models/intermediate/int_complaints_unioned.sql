-- The three complaint channels in one shape: one row per source record (12345 work order, 12315 complaint,
-- national dispatch). The complainant is known only by tokens; texts are the masked bronze texts.
-- Each channel maps the shared columns below; a column a channel does not list is its staging column of the
-- same name, and `null:<type>` is a typed null (the channel does not record it).
{%- set columns = [
    'source_id', 'accepted_at', 'complainant_phone_token', 'complainant_name_token', 'request_type_code', 'title',
    'content', 'target_uscc', 'target_name', 'region_code', 'department_code', 'item_code', 'inspection_code',
    'linked_order_no', 'due_at', 'closed_at', 'satisfaction_code', 'source_is_overdue', 'acceptance_decision_date',
] %}
{%- set channels = [
    {
        'cte': 'hotline',
        'code': '12345',
        'model': 'stg_complaints__hotline_work_orders',
        'columns': {
            'source_id': 'work_order_no',
            'complainant_phone_token': 'coalesce(contact_phone_token, caller_phone_token)',
            'complainant_name_token': 'reporter_name_token',
            'linked_order_no': 'null:string',
            'closed_at': 'coalesce(closed_at, solved_at)',
            'source_is_overdue': 'is_overdue',
            'acceptance_decision_date': 'null:date',
        },
    },
    {
        'cte': 'consumer',
        'code': '12315',
        'model': 'stg_complaints__consumer_complaints',
        'columns': {
            'source_id': 'complaint_no',
            'complainant_phone_token': 'consumer_phone_token',
            'complainant_name_token': 'consumer_name_token',
            'request_type_code': 'complaint_category_code',
            'title': 'null:string',
            'linked_order_no': 'hotline_work_order_no',
            'due_at': 'null:timestamp',
            'satisfaction_code': 'null:string',
            'source_is_overdue': 'null:boolean',
        },
    },
    {
        'cte': 'national',
        'code': 'NATIONAL',
        'model': 'stg_complaints__national_dispatches',
        'columns': {
            'source_id': 'dispatch_id',
            'accepted_at': 'dispatched_at',
            'request_type_code': 'origin_type_code',
            'linked_order_no': 'null:string',
            'due_at': "cast(deadline_date as timestamp) + interval 1 day - interval 1 second",
            'closed_at': 'feedback_at',
            'satisfaction_code': 'null:string',
            'source_is_overdue': 'null:boolean',
            'acceptance_decision_date': 'null:date',
        },
    },
] %}

with

{% for channel in channels %}
{{ channel.cte }} as (

    select
        '{{ channel.code }}' as channel_code,
        {%- for column in columns %}
        {%- set expression = channel.columns.get(column, column) %}
        {%- if expression.startswith('null:') %}
        cast(null as {{ expression[5:] }}) as {{ column }}{{ ',' if not loop.last }}
        {%- elif expression == column %}
        {{ column }}{{ ',' if not loop.last }}
        {%- else %}
        {{ expression }} as {{ column }}{{ ',' if not loop.last }}
        {%- endif %}
        {%- endfor %}
    from {{ ref(channel.model) }}

),

{% endfor %}
unioned as (

    {% for channel in channels %}
    select * from {{ channel.cte }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

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
            {%- for channel in channels %}
            when '{{ channel.code }}' then '{{ channel.model }}'
            {%- endfor %}
        end
        and resolved.source_id = unioned.source_id

)

select * from final
