{#-
  Grain test: the combination of `columns` is never null and unique (one query instead of one not_null test per
  column plus a uniqueness test). Returns the offending keys.
-#}
{% test lake_unique_combination(model, columns) %}
with keys as (
    select
        {% for column in columns %}`{{ column }}`{% if not loop.last %}, {% endif %}{% endfor %},
        count(*) as occurrences
    from {{ model }}
    group by {% for column in columns %}`{{ column }}`{% if not loop.last %}, {% endif %}{% endfor %}
)
select * from keys
where occurrences > 1
   {%- for column in columns %} or `{{ column }}` is null{% endfor %}
{% endtest %}
