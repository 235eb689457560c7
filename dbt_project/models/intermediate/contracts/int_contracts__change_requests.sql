-- One row per contract change request (合同变更) with its approval outcome and whether it
-- counts toward the contract amount: a change counts only when its workflow is archived
-- (approved) on or before the as-of date. The effective change of a contract is the counting
-- change approved last (archive instant; ties: later change date, then higher request id);
-- its amount after is the contract amount.
with as_of as (
    select {{ as_of_date() }} as as_of_date
),
changes as (
    select
        oa_request_id,
        contract_no,
        amount_before,
        amount_after,
        change_reason,
        change_date
    from {{ ref('stg_oa__contract_change_forms') }}
),
requests as (
    select
        oa_request_id,
        request_status,
        is_known_as_of,
        approval_outcome,
        created_at,
        submitted_date,
        approved_at,
        approved_date
    from {{ ref('int_contracts__requests') }}
),
flagged as (
    select
        c.oa_request_id as change_request_id,
        c.contract_no,
        cast(c.amount_before as decimal(18, 2)) as amount_before,
        cast(c.amount_after as decimal(18, 2)) as amount_after,
        c.change_reason,
        c.change_date,
        r.request_status,
        coalesce(r.approval_outcome, 'unknown') as approval_outcome,
        r.created_at,
        r.submitted_date,
        r.approved_at,
        r.approved_date,
        coalesce(r.approval_outcome = 'approved' and r.approved_date <= a.as_of_date, false)
            as counts_toward_amount
    from changes as c
    cross join as_of as a
    left join requests as r using (oa_request_id)
    where coalesce(r.is_known_as_of, true)
)
select
    change_request_id,
    contract_no,
    row_number() over (
        partition by contract_no order by change_date, created_at, change_request_id
    ) as change_seq,
    amount_before,
    amount_after,
    cast(amount_after - amount_before as decimal(18, 2)) as amount_delta,
    change_reason,
    change_date,
    request_status,
    approval_outcome,
    submitted_date,
    approved_at,
    approved_date,
    counts_toward_amount,
    counts_toward_amount and row_number() over (
        partition by contract_no, counts_toward_amount
        order by approved_at desc, change_date desc, change_request_id desc
    ) = 1 as is_effective_change
from flagged
