-- Money that can settle invoices, one row per credit, as of the as-of date; `is_counted`
-- marks the credits that count (the others are claims not approved, or dated, after it):
--   claim                    an approved payment claim (来款认领 archived on or before the
--                            as-of date), dated on its claim date (rlrq), for its amount;
--   prepayment_transfer_in   an approved prepayment transfer (合同转账) credited to the formal
--                            contract on the transfer date (the prepayment's cash now pays it);
--   prepayment_transfer_out  the same transfer debited (negative) from the prepayment
--                            contract: it takes that contract's unapplied cash away and is
--                            never applied to invoices.
-- A claim's contract is the one it names, else its order's, else its invoice's; its customer
-- is that contract's ERP customer, else the order's, the invoice's, or the ERP receipt bill's.
with requests as (
    select oa_request_id, approval_outcome, archived_date, as_of_date
    from {{ ref('int_finance__form_requests') }}
),
claims as (
    select
        f.*,
        r.archived_date,
        r.as_of_date,
        coalesce(r.approval_outcome = 'approved' and f.claim_date <= r.as_of_date, false) as is_counted
    from {{ ref('stg_oa__payment_claim_forms') }} as f
    join requests as r using (oa_request_id)
),
transfers as (
    select f.*, r.archived_date, r.as_of_date
    from {{ ref('stg_oa__prepayment_transfer_forms') }} as f
    join requests as r using (oa_request_id)
    where r.approval_outcome = 'approved' and f.transfer_date <= r.as_of_date
),
orders as (
    select erp_order_no, min(contract_no) as contract_no, min(erp_customer_code) as erp_customer_code
    from {{ ref('stg_erp__sales_order_lines') }}
    where not is_deleted
    group by erp_order_no
),
invoices as (
    select invoice_number, contract_no, erp_customer_code
    from {{ ref('int_finance__invoices') }}
),
receipt_bills as (
    select oa_claim_no, min(erp_customer_code) as erp_customer_code
    from {{ ref('stg_erp__receipt_bills') }}
    where not is_deleted and oa_claim_no is not null
    group by oa_claim_no
),
contracts as (
    select contract_no, erp_customer_code
    from {{ ref('fct_contracts') }}
),
claim_credits as (
    select
        'claim:' || c.oa_request_id as credit_id,
        'claim' as credit_type,
        c.oa_request_id,
        c.claim_no as document_no,
        c.claim_date as credit_date,
        c.claim_amount as amount,
        c.invoice_number as named_invoice_number,
        c.erp_order_no,
        coalesce(c.contract_no, o.contract_no, i.contract_no) as contract_no,
        case
            when c.contract_no is not null then 'claim'
            when o.contract_no is not null then 'order'
            when i.contract_no is not null then 'invoice'
        end as contract_source,
        c.bank_serial_no,
        coalesce(o.erp_customer_code, i.erp_customer_code, rb.erp_customer_code) as fallback_customer_code,
        c.is_counted,
        c.as_of_date
    from claims as c
    left join orders as o on o.erp_order_no = c.erp_order_no
    left join invoices as i on i.invoice_number = c.invoice_number
    left join receipt_bills as rb on rb.oa_claim_no = c.claim_no
),
transfer_credits as (
    select
        'transfer_in:' || oa_request_id as credit_id,
        'prepayment_transfer_in' as credit_type,
        oa_request_id,
        transfer_no as document_no,
        transfer_date as credit_date,
        transfer_amount as amount,
        null as named_invoice_number,
        null as erp_order_no,
        formal_contract_no as contract_no,
        'transfer' as contract_source,
        null as bank_serial_no,
        null as fallback_customer_code,
        true as is_counted,
        as_of_date
    from transfers
    union all
    select
        'transfer_out:' || oa_request_id,
        'prepayment_transfer_out',
        oa_request_id,
        transfer_no,
        transfer_date,
        -transfer_amount,
        null,
        null,
        prepayment_contract_no,
        'transfer',
        null,
        null,
        true,
        as_of_date
    from transfers
),
credits as (
    select * from claim_credits
    union all
    select * from transfer_credits
)
select
    cr.credit_id,
    cr.credit_type,
    cr.oa_request_id,
    cr.document_no,
    cr.credit_date,
    cast(cr.amount as decimal(18, 2)) as amount,
    cr.named_invoice_number,
    cr.erp_order_no,
    cr.contract_no,
    cr.contract_source,
    coalesce(k.erp_customer_code, cr.fallback_customer_code) as erp_customer_code,
    cr.bank_serial_no,
    cr.is_counted,
    cr.as_of_date
from credits as cr
left join contracts as k on k.contract_no = cr.contract_no
