{{ config(materialized=('lake_view' if var('lake_views_only', false) else 'lake_incremental') if target.name == 'local' else 'incremental',
          unique_key='entity_pripid', incremental_strategy='merge') }}
-- 企业登记状态历史 (SCD2): one interval per registration status an enterprise held, from every version the
-- registration system delivered (ordered by its updated_at, so a late-arriving version lands in its place).
-- Incremental: only enterprises with a version ingested since the last run are recomputed — from all their
-- versions — and replace their previous history (merge by entity_pripid).
with

versions as (

    select * from {{ ref('stg_objects__enterprises_versions') }}
    {% if is_incremental() %}
    where entity_pripid in ({{ scd2_changed_keys('stg_objects__enterprises_versions', ['entity_pripid']) }})
    {% endif %}

),

history as (

    {{ scd2_intervals('versions', ['entity_pripid'], ['registration_status_code'], 'updated_at',
                      ['registration_status_name', 'revoked_date', 'uscc', 'party_name', 'region_code',
                       'batch_id']) }}

),

resolved as (

    select source_id, entity_key
    from {{ ref('int_entities_resolved') }}
    where source_model = 'stg_objects__enterprises'

),

final as (

    select
        history.entity_pripid,
        coalesce(resolved.entity_key, {{ unknown_entity_key() }}) as entity_key,
        history.version_no,
        history.registration_status_code,
        history.registration_status_name,
        history.valid_from,
        history.valid_to,
        history.is_current,
        history.revoked_date,
        history.uscc,
        history.party_name,
        history.region_code,
        history.batch_id,
        history.key_last_ingested_at
    from history
    left join resolved on history.entity_pripid = resolved.source_id

)

select * from final
