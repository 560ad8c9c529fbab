{{ config(materialized=('lake_view' if var('lake_views_only', false) else 'lake_incremental') if target.name == 'local' else 'incremental',
          unique_key='uscc', incremental_strategy='merge') }}
-- 企业信用风险分类历史 (SCD2): one interval per A–D class an enterprise held under the SAMR classification, from
-- every rating (latest correction of each), ordered by rated date. Incremental: only enterprises with a rating
-- ingested since the last run are recomputed — from all their ratings — and replace their history (merge by uscc).
with

ratings as (

    select * from {{ ref('stg_credit__credit_ratings') }}
    -- rating_source 01 = 市场监管企业信用风险分类 (schemas/codes/rating_source.yaml); other sources grade differently
    where rating_source_code = '01' and risk_class_code is not null
    {% if is_incremental() %}
        and uscc in ({{ scd2_changed_keys('stg_credit__credit_ratings', ['uscc']) }})
    {% endif %}

),

history as (

    {{ scd2_intervals('ratings', ['uscc'], ['risk_class_code'], 'rated_date',
                      ['credit_score', 'model_version', 'rating_authority_name', 'rating_source_code',
                       'batch_id']) }}

),

resolved as (

    select source_id, entity_key
    from {{ ref('int_entities_resolved') }}
    where source_model = 'stg_credit__credit_ratings'

),

final as (

    select
        history.uscc,
        coalesce(resolved.entity_key, {{ unknown_entity_key() }}) as entity_key,
        history.version_no,
        history.risk_class_code,
        history.valid_from,
        history.valid_to,
        history.is_current,
        history.credit_score,
        history.model_version,
        history.rating_authority_name,
        history.batch_id,
        history.key_last_ingested_at
    from history
    left join resolved
        on resolved.source_id = concat_ws('|', history.uscc, history.rating_source_code, cast(history.valid_from as string))

)

select * from final
