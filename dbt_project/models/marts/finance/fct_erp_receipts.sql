-- One row per ERP receipt bill (收款单, AR_RECEIVEBILL): the ERP's booking of money received,
-- made by finance after the OA payment claim, with the claim and the bank receipt it points
-- to. Warehouse collections come from the approved OA claims (fct_payment_claims); this is the
-- ERP's side of the same money, for reconciliation.
with bills as (
    select * from {{ ref('stg_erp__receipt_bills') }}
),
claims as (
    select claim_no, min(oa_request_id) as oa_request_id, min(claim_amount) as claim_amount,
        bool_or(counts_as_collection) as is_claim_counted
    from {{ ref('fct_payment_claims') }}
    group by all
),
bank as (
    select bank_serial_no, min(bank_txn_id) as bank_txn_id, min(received_date) as received_date,
        sum(amount) as bank_amount
    from {{ ref('stg_bank__statements') }}
    group by all
),
customers as (
    select customer_key, erp_customer_code
    from {{ ref('dim_customers') }}
    where erp_customer_code is not null
)
select
    b.erp_receipt_id,
    b.erp_receipt_no,
    b.receipt_date,
    cu.customer_key,
    b.erp_customer_code,
    b.payer_name,
    b.amount,
    b.bank_serial_no,
    bk.bank_txn_id,
    bk.received_date as bank_received_date,
    bk.bank_amount,
    b.oa_claim_no,
    c.oa_request_id as claim_oa_request_id,
    c.claim_amount,
    coalesce(c.is_claim_counted, false) as is_claim_counted,
    b.contract_no,
    b.invoice_number,
    b.settle_org,
    b.document_status,
    b.is_audited,
    b.is_deleted,
    b.is_audited and not b.is_deleted as is_counted,
    b.modified_at
from bills as b
left join claims as c on c.claim_no = b.oa_claim_no
left join bank as bk on bk.bank_serial_no = b.bank_serial_no
left join customers as cu on cu.erp_customer_code = b.erp_customer_code
