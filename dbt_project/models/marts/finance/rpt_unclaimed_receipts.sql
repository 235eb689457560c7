-- Unclaimed receipts (未认领来款) on the as-of date: bank money received on or before it that
-- no approved payment claim dated on or before it names. The pool has its own age: days
-- since the money arrived, bucketed with the ar_aging_buckets seed (age 0 counts as 1 day;
-- the seed's "not due" bucket never applies). A receipt with a claim still in approval is
-- listed with has_pending_claim.
with receipts as (
    select * from {{ ref('fct_bank_receipts') }}
    where is_received_as_of and not is_claimed
),
buckets as (
    select * from {{ ref('ar_aging_buckets') }}
    where coalesce(max_days_past_due, 2147483647) >= 1
),
aged as (
    select r.*, r.as_of_date - r.received_date as days_unclaimed
    from receipts as r
)
select
    a.bank_txn_id,
    a.account_no,
    a.bank_serial_no,
    a.bank_name,
    a.received_at,
    a.received_date,
    a.payer_name,
    a.payer_account,
    a.payer_bank,
    a.amount,
    a.memo,
    a.source_file,
    a.has_pending_claim,
    a.pending_claim_no,
    a.likely_erp_customer_code,
    a.days_unclaimed,
    b.bucket_code as age_bucket_code,
    b.bucket_label_en as age_bucket_label_en,
    b.sort_order as age_bucket_sort_order,
    a.as_of_date
from aged as a
left join buckets as b
    on greatest(a.days_unclaimed, 1) >= coalesce(b.min_days_past_due, -2147483648)
    and greatest(a.days_unclaimed, 1) <= coalesce(b.max_days_past_due, 2147483647)
