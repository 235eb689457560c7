-- Every event a salesperson gets credit for, with the org assignment in force on the event
-- date (point in time): a formal contract signed (签约), its first project started (启动), and
-- money collected against it (回款). Prepayment contracts (预付款) are not "signed" credit:
-- the formal contract they turn into is; their money counts as collected when claimed.
with contracts as (
    select
        contract_no, owner_employee_code, form_region, business_type, is_prepayment,
        signed_date, amount, is_started, first_start_date
    from {{ ref('fct_contracts') }}
),
events as (
    select 'signed' as event_type, contract_no, signed_date as event_date, amount
    from contracts
    where signed_date is not null and not coalesce(is_prepayment, false)
    union all
    select 'started', contract_no, first_start_date, amount
    from contracts
    where is_started and first_start_date is not null and not coalesce(is_prepayment, false)
    union all
    select 'collected', contract_no, claim_date, claim_amount
    from {{ ref('int_contract_collections') }}
    where contract_no is not null
)
select
    e.event_type,
    e.contract_no,
    e.event_date,
    e.amount,
    c.business_type,
    c.owner_employee_code,
    emp.employee_name as owner_name,
    emp.team_oa_department_id,
    emp.team_name,
    coalesce(emp.region, c.form_region) as region
from events as e
join contracts as c using (contract_no)
left join {{ ref('dim_employees') }} as emp
    on emp.employee_code = c.owner_employee_code
    and e.event_date >= emp.valid_from and e.event_date < emp.valid_to
