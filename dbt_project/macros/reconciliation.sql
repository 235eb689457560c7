{#- Shared pieces of the reconciliation checks (models/intermediate/reconciliation/). -#}

{#- The enabled issue types of one check with their grace days and amount tolerance
    (seeds/reconciliation_checks.csv). -#}
{% macro recon_rules(check_code) -%}
    select issue_type, grace_days, amount_tolerance
    from {{ ref('reconciliation_checks') }}
    where check_code = '{{ check_code }}' and enabled
{%- endmacro %}

{#- The issues of one check: the union of its issue CTEs (each with issue_type and
    reference_date), kept once their grace period has passed on the as-of date; first_seen =
    reference_date + grace days. Needs CTEs `rules` and `as_of` in the calling model. -#}
{% macro recon_emit(check_code, issue_ctes) -%}
issues as (
    select * from {{ issue_ctes[0] }}
    {%- for cte in issue_ctes[1:] %}
    union all by name select * from {{ cte }}
    {%- endfor %}
)
select
    '{{ check_code }}' as check_code,
    i.*,
    i.reference_date + r.grace_days as first_seen
from issues as i
join rules as r using (issue_type)
cross join as_of as a
where i.reference_date + r.grace_days <= a.as_of_date
{%- endmacro %}
