-- Supervision activity per department, region and month for analysts: inspections (random ones apart),
-- penalties and fines, coercive measures, complaints, and actions whose catalogue codes are orphans.
-- Grain: one row per (department_code, region_code, activity_month).
with

activity as (

    select department_code, region_code, action_month as activity_month, 1 as inspections,
           cast(is_random_inspection as int) as random_inspections, 0 as penalties,
           cast(0 as decimal(18, 2)) as fine_amount, 0 as coercive_measures, 0 as complaints,
           cast(is_orphan_item or is_orphan_checklist as int) as orphan_actions
    from {{ ref('fct_inspections') }}
    union all
    select department_code, region_code, action_month, 0, 0, 1, coalesce(fine_amount, 0), 0, 0,
           cast(is_orphan_item or is_orphan_checklist as int)
    from {{ ref('fct_penalties') }}
    union all
    select department_code, region_code, action_month, 0, 0, 0, 0, 1, 0,
           cast(is_orphan_item or is_orphan_checklist as int)
    from {{ ref('fct_coercive_measures') }}
    union all
    select department_code, region_code, accepted_month, 0, 0, 0, 0, 0, 1, 0
    from {{ ref('fct_complaints') }}

),

final as (

    select
        coalesce(department_code, 'UNKNOWN') as department_code,
        coalesce(region_code, 'UNKNOWN') as region_code,
        coalesce(activity_month, 'UNKNOWN') as activity_month,
        sum(inspections) as inspection_count,
        sum(random_inspections) as random_inspection_count,
        sum(penalties) as penalty_count,
        cast(sum(fine_amount) as decimal(20, 2)) as fine_amount,
        sum(coercive_measures) as coercive_measure_count,
        sum(complaints) as complaint_count,
        sum(orphan_actions) as orphan_action_count
    from activity
    group by 1, 2, 3

)

select * from final
