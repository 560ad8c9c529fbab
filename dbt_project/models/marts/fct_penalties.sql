-- One row per administrative penalty case (行政处罚), linked to the entity, the catalogue item and (through the
-- inspection it cites) the 检查实施清单; orphans flagged. Amounts in yuan.
with

penalties as (

    select * from {{ ref('stg_actions__penalties') }}

),

inspections as (

    select inspection_code, checklist_code from {{ ref('stg_actions__inspections') }}

),

final as (

    select
        penalties.penalty_action_code,
        penalties.penalty_decision_no,
        penalties.inspection_code,
        {{ action_fact_columns('penalties', 'stg_actions__penalties', 'penalty_action_code',
                               'cited.checklist_code', 'coalesce(penalties.penalty_decision_date, penalties.case_filing_date)') }},
        penalties.case_source_code,
        penalties.punishment_procedure_code,
        penalties.punishment_type_codes,
        penalties.case_filing_date,
        penalties.penalty_decision_date,
        penalties.case_closed_date,
        penalties.fine_amount,
        penalties.confiscated_income_amount,
        penalties.confiscated_property_amount,
        penalties.paid_fine_amount,
        penalties.is_major_case,
        penalties.is_hearing_held
    from penalties
    left join inspections as cited on penalties.inspection_code = cited.inspection_code
    {{ action_fact_joins('penalties', 'stg_actions__penalties', 'penalty_action_code', 'cited.checklist_code') }}

)

select * from final
