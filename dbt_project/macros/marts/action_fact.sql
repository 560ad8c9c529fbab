{#-
  The columns every supervision action fact shares (inspections, penalties, coercive measures): the resolved
  entity, the catalogue item and 检查实施清单 it names, and orphan flags — an action whose code is not in the
  catalogue is kept and flagged, never dropped. `checklist_expression` is the action's 检查实施清单编码 (an
  inspection names it; penalties and coercive measures inherit it from the inspection they cite).
-#}
{% macro action_fact_columns(alias, model_name, id_column, checklist_expression, action_date) -%}
        coalesce(resolved.entity_key, {{ unknown_entity_key() }}) as entity_key,
        coalesce(resolved.match_reason, 'unresolved') as entity_match_reason,
        {{ alias }}.item_code,
        items.item_name,
        {{ checklist_expression }} as checklist_code,
        checklists.checklist_name,
        {{ alias }}.item_code is not null and items.item_code is null as is_orphan_item,
        {{ checklist_expression }} is not null and checklists.checklist_code is null as is_orphan_checklist,
        {{ alias }}.department_code,
        {{ alias }}.region_code,
        {{ alias }}.implementing_agency_name,
        {{ alias }}.officer_certificate_nos,
        {{ action_date }} as action_date,
        date_format({{ action_date }}, 'yyyy-MM') as action_month
{%- endmacro %}

{% macro action_fact_joins(alias, model_name, id_column, checklist_expression) -%}
    left join {{ ref('int_entities_resolved') }} as resolved
        on resolved.source_model = '{{ model_name }}'
        and resolved.source_id = {{ alias }}.{{ id_column }}
    left join {{ ref('stg_catalog__supervision_items') }} as items
        on {{ alias }}.item_code = items.item_code
    left join {{ ref('stg_catalog__inspection_checklists') }} as checklists
        on {{ checklist_expression }} = checklists.checklist_code
{%- endmacro %}
