-- One row per contract number: the original amount from the approval form and the contract
-- amount = the latest approved amount after changes (the amount after of the effective change,
-- else the original amount).
with contracts as (
    select
        contract_no,
        original_amount
    from {{ ref('int_contracts__approvals') }}
),
changes as (
    select
        contract_no,
        amount_after,
        approved_date,
        counts_toward_amount,
        is_effective_change
    from {{ ref('int_contracts__change_requests') }}
),
per_contract as (
    select
        contract_no,
        count(*) as change_request_count,
        count(*) filter (where counts_toward_amount) as approved_change_count,
        max(approved_date) filter (where counts_toward_amount) as last_change_approved_date,
        max(amount_after) filter (where is_effective_change) as effective_amount_after
    from changes
    group by all
)
select
    c.contract_no,
    c.original_amount,
    cast(coalesce(p.effective_amount_after, c.original_amount) as decimal(18, 2)) as amount,
    coalesce(p.change_request_count, 0) as change_request_count,
    coalesce(p.approved_change_count, 0) as approved_change_count,
    p.last_change_approved_date
from contracts as c
left join per_contract as p using (contract_no)
