-- One row per OA payment claim (来款认领, workflow 122): the bank receipt it claims, what it
-- names (contract / order / invoice), its approval, and how it was applied to invoices
-- (fct_receipt_allocations) as of the as-of date. Only approved claims dated on or before the
-- as-of date count as collection (回款) and are applied; the rest stay visible with their
-- approval outcome. The collection is credited to the contract owner's team and region on the
-- claim date (point in time).
with requests as (
    select oa_request_id, request_status, approval_outcome, archived_date, waiting_node_name,
        is_known_as_of, as_of_date
    from {{ ref('int_finance__form_requests') }}
),
forms as (
    select * from {{ ref('stg_oa__payment_claim_forms') }}
),
credits as (
    select oa_request_id, contract_no, contract_source, erp_customer_code, is_counted
    from {{ ref('int_finance__receipt_credits') }}
    where credit_type = 'claim'
),
allocations as (
    select
        substr(credit_id, 7) as oa_request_id,
        sum(applied_amount) as applied_amount,
        sum(applied_amount) filter (where allocation_method = 'explicit') as applied_explicit_amount,
        sum(applied_amount) filter (where allocation_method = 'fifo') as applied_fifo_amount,
        count(distinct ar_invoice_number) as applied_invoice_count,
        max(allocation_date) as last_allocation_date
    from {{ ref('int_finance__receipt_allocations') }}
    where credit_id like 'claim:%'
    group by all
),
bank as (
    select bank_serial_no, min(bank_txn_id) as bank_txn_id, min(received_date) as received_date,
        sum(amount) as bank_amount, count(*) as bank_match_count
    from {{ ref('stg_bank__statements') }}
    group by all
),
receipt_bills as (
    select oa_claim_no, min(erp_receipt_no) as erp_receipt_no, min(receipt_date) as erp_receipt_date,
        sum(amount) as erp_receipt_amount, bool_or(is_audited) as is_erp_receipt_audited
    from {{ ref('stg_erp__receipt_bills') }}
    where not is_deleted and oa_claim_no is not null
    group by all
),
contracts as (
    select contract_no, owner_employee_code, owner_name, customer_key as contract_customer_key
    from {{ ref('fct_contracts') }}
),
customers as (
    select customer_key, erp_customer_code
    from {{ ref('dim_customers') }}
    where erp_customer_code is not null
),
employees as (
    select employee_code, team_name, region, valid_from, valid_to
    from {{ ref('dim_employees') }}
)
select
    f.oa_request_id,
    f.claim_no,
    f.bank_serial_no,
    b.bank_txn_id,
    b.received_date as bank_received_date,
    b.bank_amount,
    f.payer_name,
    f.claim_amount,
    f.claim_date,
    f.contract_no as named_contract_no,
    f.erp_order_no as named_erp_order_no,
    f.invoice_number as named_invoice_number,
    case
        when f.invoice_number is not null then 'invoice'
        when f.erp_order_no is not null then 'order'
        when f.contract_no is not null then 'contract'
        else 'nothing'
    end as names_most_specific,
    cr.contract_no,
    cr.contract_source,
    coalesce(k.contract_customer_key, cu.customer_key) as customer_key,
    cr.erp_customer_code,
    k.owner_employee_code,
    k.owner_name,
    e.team_name as owner_team_name,
    e.region as owner_region,
    r.request_status,
    r.approval_outcome,
    r.waiting_node_name,
    case when r.approval_outcome = 'approved' then r.archived_date end as approved_date,
    coalesce(cr.is_counted, false) as counts_as_collection,
    cast(case when cr.is_counted then coalesce(a.applied_amount, 0) end as decimal(18, 2))
        as applied_amount,
    cast(case when cr.is_counted then coalesce(a.applied_explicit_amount, 0) end as decimal(18, 2))
        as applied_explicit_amount,
    cast(case when cr.is_counted then coalesce(a.applied_fifo_amount, 0) end as decimal(18, 2))
        as applied_fifo_amount,
    cast(case when cr.is_counted then f.claim_amount - coalesce(a.applied_amount, 0) end
        as decimal(18, 2)) as unapplied_amount,
    coalesce(a.applied_invoice_count, 0) as applied_invoice_count,
    a.last_allocation_date,
    rb.erp_receipt_no,
    rb.erp_receipt_date,
    rb.erp_receipt_amount,
    rb.is_erp_receipt_audited,
    f.claim_date - b.received_date as days_receipt_to_claim,
    r.as_of_date
from forms as f
left join requests as r using (oa_request_id)
left join credits as cr using (oa_request_id)
left join allocations as a using (oa_request_id)
left join bank as b using (bank_serial_no)
left join receipt_bills as rb on rb.oa_claim_no = f.claim_no
left join contracts as k on k.contract_no = cr.contract_no
left join customers as cu on cu.erp_customer_code = cr.erp_customer_code
left join employees as e
    on e.employee_code = k.owner_employee_code
    and f.claim_date >= e.valid_from
    and f.claim_date < e.valid_to
where coalesce(r.is_known_as_of, true)
