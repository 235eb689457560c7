-- Σ amount of the approved contracts in fct_contracts = Σ amount on their approval forms in
-- staging + Σ (after − before) of their change requests archived on or before the as-of date,
-- computed straight from staging. Fails when a rejected, pending or late change moves an
-- amount, when an approved change is lost, or when a change's "before" amount does not
-- continue from the contract's amount at the time (a broken change chain).
with as_of as (
    select {{ as_of_date() }} as as_of_date
),
requests as (
    select oa_request_id, request_status, {{ local_date('last_operated_at') }} as operated_date
    from {{ ref('stg_oa__workflow_requests') }}
    where source_system = 'oa'
),
forms as (
    select f.contract_no, f.original_amount
    from {{ ref('stg_oa__contract_forms') }} as f
    join requests as r using (oa_request_id)
    cross join as_of as a
    where r.request_status = '归档' and r.operated_date <= a.as_of_date
),
changes as (
    select c.contract_no, sum(c.amount_after - c.amount_before) as delta
    from {{ ref('stg_oa__contract_change_forms') }} as c
    join requests as r using (oa_request_id)
    cross join as_of as a
    where r.request_status = '归档' and r.operated_date <= a.as_of_date
    group by all
),
expected as (
    select sum(f.original_amount + coalesce(c.delta, 0)) as amount
    from forms as f
    left join changes as c using (contract_no)
),
actual as (
    select sum(amount) as amount
    from {{ ref('fct_contracts') }}
    where is_approved and not is_form_missing
)
select e.amount as expected_amount, a.amount as actual_amount
from expected as e, actual as a
where e.amount is distinct from a.amount
