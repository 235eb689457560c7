-- One row per contract change request (合同变更): the amounts before and after as written on
-- the form, the approval outcome, and whether the change counts toward the contract amount
-- (archived on or before the as-of date). The effective change is the counting change
-- approved last: its amount after is fct_contracts.amount.
with changes as (
    select
        change_request_id,
        contract_no,
        change_seq,
        amount_before,
        amount_after,
        amount_delta,
        change_reason,
        change_date,
        request_status,
        approval_outcome,
        submitted_date,
        approved_date,
        counts_toward_amount,
        is_effective_change
    from {{ ref('int_contracts__change_requests') }}
),
contracts as (
    select contract_no, original_amount
    from {{ ref('int_contracts__approvals') }}
)
select
    ch.change_request_id,
    ch.contract_no,
    ch.change_seq,
    ch.amount_before,
    ch.amount_after,
    ch.amount_delta,
    case
        when ch.amount_before <> 0 then cast(ch.amount_delta / ch.amount_before as decimal(9, 4))
    end as amount_change_ratio,
    ch.change_reason,
    ch.change_date,
    ch.request_status,
    ch.approval_outcome,
    ch.submitted_date,
    ch.approved_date,
    ch.counts_toward_amount,
    ch.is_effective_change,
    c.contract_no is not null as is_contract_known
from changes as ch
left join contracts as c using (contract_no)
