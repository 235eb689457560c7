{#- The last sales action before a date, decided deterministically (docs/decisions.md,
    "Deterministic rebuilds"): the latest day; on the same day the action furthest along the
    sales cycle, then the highest action id — never the scan order. For arg_max over
    int_sales__actions rows. -#}
{% macro last_sales_action_order(date_col='action_date', type_col='action_type', id_col='action_id') -%}
(
            {{ date_col }},
            case {{ type_col }}
                when 'visit' then 1 when 'stage_change' then 2 when 'contract_submitted' then 3
                when 'contract_signed' then 4 when 'contract_changed' then 5 when 'order' then 6 else 0
            end,
            {{ id_col }}
        )
{%- endmacro %}
