{#-
  Accepted-codes test: every value of the given coded columns is a code of its code list (seed `code_lists`,
  rendered from schemas/codes/) — all columns of a model in one query. `columns` maps column → code list;
  columns in `multi_value` hold several codes separated as the ingestion rules accept (, ， ; ； 、).
  Codes compare upper-cased (staging upper-cases codes). Returns each offending (column, value) with its count.
-#}
{% test lake_accepted_codes(model, columns, multi_value=[]) %}
with

observed as (
    {%- for column, code_list in columns.items() %}
    select '{{ column }}' as column_name, '{{ code_list }}' as code_list, trim(value) as value
    from (
        select {% if column in multi_value %}explode(split(`{{ column }}`, '[,，;；、]')){% else %}`{{ column }}`{% endif %} as value
        from {{ model }}
    ) as {{ column }}_values
    where nullif(trim(value), '') is not null
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

allowed as (
    select code_list, upper(code) as code from {{ ref('code_lists') }}
)

select observed.column_name, observed.code_list, observed.value, count(*) as occurrences
from observed
left anti join allowed
    on observed.code_list = allowed.code_list and upper(observed.value) = allowed.code
group by observed.column_name, observed.code_list, observed.value
{% endtest %}
