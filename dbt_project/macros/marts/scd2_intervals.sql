{#-
  SCD2 intervals (slowly changing dimension, type 2) over a relation holding versions of some keyed records.

  relation: a relation or CTE name with one row per (keys, changed_at);
  keys: the columns naming one record; tracked: the columns whose changes open a new interval;
  changed_at: when a version took effect; carried: other columns, taken from the version that opened the interval.

  A version whose tracked values equal the previous version's (null-safe) is no change and opens no interval.
  Output per interval: keys, tracked, carried, valid_from (inclusive), valid_to (exclusive; null while current),
  is_current, version_no (1, 2, … per key), and key_last_ingested_at — the newest `ingested_at` among all the
  key's versions (an incremental model recomputes only keys with versions ingested after its own maximum).
  The same versions always give the same intervals, so a recomputation of a key replaces its history exactly.
-#}
{% macro scd2_intervals(relation, keys, tracked, changed_at, carried=[]) -%}
  {%- set key_list = keys | join(', ') -%}
  {%- set state -%}named_struct({% for column in tracked %}'{{ column }}', {{ column }}{% if not loop.last %}, {% endif %}{% endfor %}){%- endset %}
select
    {{ key_list }},
    {%- for column in tracked + carried %}
    {{ column }},
    {%- endfor %}
    valid_from,
    lead(valid_from) over (partition by {{ key_list }} order by valid_from) as valid_to,
    lead(valid_from) over (partition by {{ key_list }} order by valid_from) is null as is_current,
    row_number() over (partition by {{ key_list }} order by valid_from) as version_no,
    key_last_ingested_at
from (
    select
        *,
        {{ changed_at }} as valid_from,
        not ({{ state }} <=> lag({{ state }}) over (partition by {{ key_list }} order by {{ changed_at }}))
            as is_change,
        max(ingested_at) over (partition by {{ key_list }}) as key_last_ingested_at
    from {{ relation }}
) as ordered_versions
where is_change
{%- endmacro %}


{#- The keys an incremental history model recomputes: those with a version ingested after the newest it holds. -#}
{% macro scd2_changed_keys(versions_model, keys) -%}
select distinct {{ keys | join(', ') }}
from {{ ref(versions_model) }}
where ingested_at > (select coalesce(max(key_last_ingested_at), timestamp'1900-01-01 00:00:00') from {{ this }})
{%- endmacro %}
