-- One row per administrative coercive measure (行政强制), linked to the entity, the catalogue item and (through
-- the inspection it cites) the 检查实施清单; orphans flagged.
with

measures as (

    select * from {{ ref('stg_actions__coercive_measures') }}

),

inspections as (

    select inspection_code, checklist_code from {{ ref('stg_actions__inspections') }}

),

final as (

    select
        measures.coercive_action_code,
        measures.coercive_decision_no,
        measures.inspection_code,
        {{ action_fact_columns('measures', 'stg_actions__coercive_measures', 'coercive_action_code',
                               'cited.checklist_code', 'measures.measure_start_date') }},
        measures.coercive_category_code,
        measures.coercive_measure_type_code,
        measures.coercive_execution_type_code,
        measures.measure_start_date,
        measures.measure_end_date
    from measures
    left join inspections as cited on measures.inspection_code = cited.inspection_code
    {{ action_fact_joins('measures', 'stg_actions__coercive_measures', 'coercive_action_code', 'cited.checklist_code') }}

)

select * from final
