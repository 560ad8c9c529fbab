-- Complaint deduplication: which source records are the same real event. Grain: one row per source record.
-- Two records are linked when
--   * a 12315 complaint names the 12345 work order it was transferred from (explicit link), or
--   * they come from different records with the same complainant phone token, the same target (resolved
--     entity, or the same region when neither names a target), accepted within
--     {{ var('complaint_match_days', 5) }} days of each other, and with similar text (normalised edit distance
--     of the first 120 characters ≤ {{ var('complaint_text_distance', 0.5) }}).
-- Linked records form a group (two rounds of min-label propagation: the chains here are at most three records
-- long — 12345 → 12315 → national); the group's id is a hash of its earliest record.
with

records as (

    select * from {{ ref('int_complaints_unioned') }}

),

explicit_links as (

    select consumer.record_key as left_key, hotline.record_key as right_key, 'linked_order_no' as link_reason
    from records as consumer
    inner join records as hotline
        on consumer.linked_order_no = hotline.source_id
        and hotline.channel_code = '12345'
    where consumer.channel_code = '12315'

),

similar_pairs as (

    select
        a.record_key as left_key,
        b.record_key as right_key,
        'complainant_target_time_text' as link_reason
    from records as a
    inner join records as b
        on a.complainant_phone_token = b.complainant_phone_token
        and a.record_key < b.record_key
    where
        abs(unix_timestamp(a.accepted_at) - unix_timestamp(b.accepted_at))
            <= {{ var('complaint_match_days', 5) }} * 86400
        and (
            (a.entity_key = b.entity_key and a.entity_key != {{ unknown_entity_key() }})
            or (a.entity_key = {{ unknown_entity_key() }} and b.entity_key = {{ unknown_entity_key() }}
                and a.region_code = b.region_code)
        )
        and levenshtein(substr(a.text_key, 1, 120), substr(b.text_key, 1, 120))
            <= {{ var('complaint_text_distance', 0.5) }}
               * greatest(length(substr(a.text_key, 1, 120)), length(substr(b.text_key, 1, 120)), 1)

),

links as (

    select * from explicit_links
    union
    select * from similar_pairs

),

edges as (

    select left_key as record_key, right_key as other_key from links
    union
    select right_key as record_key, left_key as other_key from links
    union
    select record_key, record_key as other_key from records

),

round_one as (

    select record_key, min(other_key) as group_key from edges group by record_key

),

round_two as (

    select edges.record_key, min(round_one.group_key) as group_key
    from edges
    inner join round_one on edges.other_key = round_one.record_key
    group by edges.record_key

),

reasons as (

    select record_key, array_join(sort_array(collect_set(link_reason)), ',') as link_reasons
    from (
        select left_key as record_key, link_reason from links
        union all
        select right_key as record_key, link_reason from links
    )
    group by record_key

),

first_records as (

    -- the group's earliest record (by acceptance time) names it
    select
        round_two.group_key,
        min_by(records.record_key, struct(records.accepted_at, records.record_key)) as first_record_key
    from round_two
    inner join records on round_two.record_key = records.record_key
    group by round_two.group_key

),

final as (

    select
        records.record_key,
        records.channel_code,
        records.source_id,
        substr(sha2(first_records.first_record_key, 256), 1, 16) as complaint_id,
        coalesce(reasons.link_reasons, 'single') as match_reason
    from records
    inner join round_two on records.record_key = round_two.record_key
    inner join first_records on round_two.group_key = first_records.group_key
    left join reasons on records.record_key = reasons.record_key

)

select * from final
