-- Customers by grade (TOP / S / A / B / C, current grade) with their cumulative formal-contract
-- amount and count up to the as-of date, ranked within the grade; the portal's "TOP/S/A
-- customers" list filters grade in ('TOP', 'S', 'A').
with contracts as (
    select customer_key, amount, signed_date
    from {{ ref('fct_contracts') }}
    where signed_date is not null and signed_date <= {{ as_of_date() }} and not coalesce(is_prepayment, false)
),
agg as (
    select customer_key, sum(amount) as contract_amount, count(*) as contract_count,
        max(signed_date) as last_signed_date
    from contracts
    group by all
)
select
    c.customer_key,
    c.crm_account_id,
    c.erp_customer_code,
    c.customer_name,
    c.customer_grade,
    c.customer_type,
    c.region,
    c.owner_employee_code,
    emp.employee_name as owner_name,
    cast(coalesce(a.contract_amount, 0) as decimal(18, 2)) as cumulative_contract_amount,
    coalesce(a.contract_count, 0) as cumulative_contract_count,
    a.last_signed_date,
    dense_rank() over (
        partition by c.customer_grade order by coalesce(a.contract_amount, 0) desc
    ) as rank_in_grade,
    c.customer_grade in ('TOP', 'S', 'A') as is_key_customer
from {{ ref('dim_customers') }} as c
left join agg as a using (customer_key)
left join {{ ref('dim_employees') }} as emp
    on emp.employee_code = c.owner_employee_code and emp.is_current
where not c.is_deleted_in_crm and c.customer_grade is not null
