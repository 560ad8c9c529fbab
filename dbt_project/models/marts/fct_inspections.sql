-- One row per administrative inspection (行政检查, incl. 双随机 draws through plan_id), linked to the entity,
-- the catalogue item and the 检查实施清单; orphans flagged.
with

inspections as (

    select * from {{ ref('stg_actions__inspections') }}

),

final as (

    select
        inspections.inspection_code,
        inspections.inspection_name,
        inspections.plan_id,
        inspections.plan_id is not null as is_random_inspection,
        {{ action_fact_columns('inspections', 'stg_actions__inspections', 'inspection_code',
                               'inspections.checklist_code', 'inspections.check_date') }},
        inspections.check_type_code,
        inspections.check_mode_code,
        inspections.check_form_code,
        inspections.check_result_code,
        inspections.is_joint_inspection,
        inspections.credit_risk_class_code,
        inspections.rectification_due_date
    from inspections
    {{ action_fact_joins('inspections', 'stg_actions__inspections', 'inspection_code', 'inspections.checklist_code') }}

)

select * from final
