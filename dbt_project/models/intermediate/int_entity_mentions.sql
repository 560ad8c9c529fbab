-- Every place a party is named across the eight libraries, one row per (source model, source record). The
-- matching keys (valid USCC, name key, address key) come from staging, which computes them once per delivered row.
with

mentions as (

    {{ entity_mention('stg_objects__enterprises', 'entity_pripid', 'uscc', 'party_name', 'region_code',
                      'domicile', 'legal_representative_name_token', true, "'enterprise'", 'registration_status_code') }}
    union all
    {{ entity_mention('stg_objects__individual_businesses', 'entity_pripid', 'uscc', 'party_name', 'region_code',
                      'operating_address', 'operator_name_token', true, "'individual_business'", 'registration_status_code') }}
    union all
    {{ entity_mention('stg_objects__other_legal_persons', 'uscc', 'uscc', 'party_name', 'region_code',
                      'registered_address', 'legal_representative_name_token', true, "'other_legal_person'") }}
    union all
    {{ entity_mention('stg_actions__inspections', 'inspection_code', 'uscc', 'party_name', 'region_code',
                      'operating_address') }}
    union all
    {{ entity_mention('stg_actions__penalties', 'penalty_action_code', 'uscc', 'party_name', 'region_code',
                      'operating_address', 'legal_representative_name_token') }}
    union all
    {{ entity_mention('stg_actions__coercive_measures', 'coercive_action_code', 'uscc', 'party_name',
                      'region_code', 'operating_address') }}
    union all
    {{ entity_mention('stg_actions__other_actions', 'other_action_code', 'uscc', 'party_name', 'region_code',
                      'operating_address') }}
    union all
    {{ entity_mention('stg_credit__abnormal_operations', 'abnormal_id', 'uscc', 'party_name', 'region_code') }}
    union all
    {{ entity_mention('stg_credit__serious_violations', 'serious_violation_id', 'uscc', 'party_name',
                      'region_code', 'null', 'legal_representative_name_token') }}
    union all
    {{ entity_mention('stg_credit__dishonest_debtors', 'dishonest_id', 'uscc', 'party_name', 'region_code',
                      'null', 'legal_representative_name_token') }}
    union all
    {{ entity_mention('stg_credit__joint_punishments', 'punishment_record_id', 'uscc', 'party_name',
                      'region_code', 'null', 'legal_representative_name_token') }}
    union all
    {{ entity_mention('stg_credit__public_licences', "concat_ws('|', licence_decision_no, licensing_authority_uscc)",
                      'uscc', 'party_name', 'region_code', 'null', 'legal_representative_name_token') }}
    union all
    {{ entity_mention('stg_credit__public_penalties', "concat_ws('|', penalty_decision_no, authority_uscc)",
                      'uscc', 'party_name', 'region_code', 'null', 'legal_representative_name_token') }}
    union all
    {{ entity_mention('stg_credit__credit_ratings',
                      "concat_ws('|', uscc, rating_source_code, cast(rated_date as string))", 'uscc', 'null',
                      'region_code') }}
    union all
    {{ entity_mention('stg_complaints__hotline_work_orders', 'work_order_no', 'target_uscc', 'target_name',
                      'region_code') }}
    union all
    {{ entity_mention('stg_complaints__consumer_complaints', 'complaint_no', 'target_uscc', 'target_name',
                      'region_code', 'target_address') }}
    union all
    {{ entity_mention('stg_complaints__national_dispatches', 'dispatch_id', 'target_uscc', 'target_name',
                      'region_code') }}
    union all
    {{ entity_mention('stg_third_party__online_shops', "concat_ws('|', platform_code, shop_id)", 'uscc',
                      'shop_name', 'region_code', 'operating_address') }}
    union all
    {{ entity_mention('stg_third_party__public_opinion', 'opinion_id', 'uscc', 'party_name', 'region_code') }}

),

final as (

    select *
    from mentions
    -- a mention that names nobody (no code, no name or only a placeholder such as 未知商家) is no entity
    where uscc is not null or name_key is not null

)

select * from final
