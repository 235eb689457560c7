-- On the as-of date, the KPI stocks of the running period equal the contract billing status
-- (computed there per contract from the same facts, without the running-balance trick).
with kpi as (
    select delivered_not_invoiced_amount as dni, invoiced_not_collected_amount as inc
    from {{ ref('rpt_leadership_kpis') }}
    where is_company_total and period_type = 'year'
    qualify row_number() over (order by period_start desc) = 1
),
billing as (
    select
        sum(delivered_not_invoiced_incl_tax) as dni,
        sum(invoiced_not_collected_incl_tax) as inc
    from {{ ref('rpt_contract_billing_status') }}
)
select kpi.dni, billing.dni, kpi.inc, billing.inc
from kpi cross join billing
where abs(kpi.dni - billing.dni) > 0.01 or abs(kpi.inc - billing.inc) > 0.01
