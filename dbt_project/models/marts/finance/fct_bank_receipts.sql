-- One row per incoming bank payment (来款, bank statement line), with its payment claim
-- (来款认领) and ERP receipt bill (收款单) as of the as-of date. A receipt is claimed when an
-- approved claim dated on or before the as-of date names its bank serial number; one that is
-- only pending is not claimed yet (has_pending_claim).
-- likely_erp_customer_code: for any receipt, the customer most often behind claimed receipts
-- from the same payer account (helps finance find the owner of unclaimed money).
with as_of as (
    select {{ as_of_date() }} as as_of_date
),
statements as (
    select * from {{ ref('stg_bank__statements') }}
),
claims as (
    select
        c.bank_serial_no,
        c.oa_request_id,
        c.claim_no,
        c.claim_date,
        c.claim_amount,
        c.approval_outcome,
        c.counts_as_collection,
        c.contract_no,
        c.erp_customer_code
    from {{ ref('fct_payment_claims') }} as c
),
claim_summary as (
    select
        bank_serial_no,
        count(*) filter (where counts_as_collection) as counted_claim_count,
        count(*) filter (where approval_outcome in ('pending', 'draft_or_returned')) as pending_claim_count,
        -- the first claim (same day: the lowest claim number, not the scan order)
        arg_min(claim_no, (claim_date, claim_no)) filter (where counts_as_collection and claim_date is not null) as claim_no,
        min(claim_date) filter (where counts_as_collection) as claim_date,
        sum(claim_amount) filter (where counts_as_collection) as claimed_amount,
        min(contract_no) filter (where counts_as_collection) as contract_no,
        min(erp_customer_code) filter (where counts_as_collection) as erp_customer_code,
        arg_min(claim_no, (claim_date, claim_no)) filter (where approval_outcome in ('pending', 'draft_or_returned') and claim_date is not null)
            as pending_claim_no
    from claims
    where bank_serial_no is not null
    group by all
),
payer_customers as (
    select
        s.payer_account,
        mode(cs.erp_customer_code) as likely_erp_customer_code
    from statements as s
    join claim_summary as cs using (bank_serial_no)
    where cs.erp_customer_code is not null and s.payer_account is not null
    group by all
),
receipt_bills as (
    select bank_serial_no, min(erp_receipt_no) as erp_receipt_no, min(receipt_date) as erp_receipt_date
    from {{ ref('stg_erp__receipt_bills') }}
    where not is_deleted and bank_serial_no is not null
    group by all
),
customers as (
    select customer_key, erp_customer_code
    from {{ ref('dim_customers') }}
    where erp_customer_code is not null
)
select
    s.bank_txn_id,
    s.account_no,
    s.bank_serial_no,
    s.bank_name,
    s.received_at,
    s.received_date,
    s.payer_name,
    s.payer_account,
    s.payer_bank,
    s.amount,
    s.memo,
    s.source_file,
    s.source_row,
    coalesce(cs.counted_claim_count, 0) > 0 as is_claimed,
    coalesce(cs.pending_claim_count, 0) > 0 as has_pending_claim,
    cs.claim_no,
    cs.claim_date,
    cast(cs.claimed_amount as decimal(18, 2)) as claimed_amount,
    cs.pending_claim_no,
    cs.contract_no,
    cu.customer_key,
    cs.erp_customer_code,
    pc.likely_erp_customer_code,
    cs.claim_date - s.received_date as days_to_claim,
    rb.erp_receipt_no,
    rb.erp_receipt_date,
    s.received_date <= a.as_of_date as is_received_as_of,
    a.as_of_date
from statements as s
cross join as_of as a
left join claim_summary as cs using (bank_serial_no)
left join payer_customers as pc using (payer_account)
left join receipt_bills as rb using (bank_serial_no)
left join customers as cu on cu.erp_customer_code = cs.erp_customer_code
