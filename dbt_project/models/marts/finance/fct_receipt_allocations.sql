-- One row per allocation (核销) of a credit — an approved payment claim or a prepayment
-- transfer into a formal contract — to an AR item (a blue invoice net of its red letters, or
-- an orphan red invoice), with how it was matched: `explicit` (the claim names the invoice) or
-- `fifo` (over the named order's, then the contract's, oldest open invoices; `fifo_pool`).
-- allocation_date = the later of the credit date and the invoice date; AR counts it from then.
-- The collection is credited to the invoice owner's team and region on the allocation date.
with allocations as (
    select * from {{ ref('int_finance__receipt_allocations') }}
),
credits as (
    select credit_id, credit_type, oa_request_id, document_no, amount as credit_amount, bank_serial_no,
        contract_no as credit_contract_no, named_invoice_number, erp_order_no as named_erp_order_no
    from {{ ref('int_finance__receipt_credits') }}
),
invoices as (
    select invoice_number, invoice_kind, customer_key, erp_customer_code, contract_no, erp_order_no,
        due_date, owner_employee_code
    from {{ ref('fct_invoices') }}
),
employees as (
    select employee_code, employee_name, team_name, region, valid_from, valid_to
    from {{ ref('dim_employees') }}
)
select
    a.allocation_id,
    a.credit_id,
    c.credit_type,
    c.oa_request_id,
    c.document_no,
    c.bank_serial_no,
    c.credit_amount,
    c.credit_contract_no,
    c.named_invoice_number,
    c.named_erp_order_no,
    a.ar_invoice_number,
    i.invoice_kind,
    i.customer_key,
    i.erp_customer_code,
    i.contract_no,
    i.erp_order_no,
    a.allocation_method,
    a.fifo_pool,
    a.credit_date,
    a.invoice_date,
    i.due_date,
    a.allocation_date,
    a.allocation_date - i.due_date as days_paid_after_due,
    a.applied_amount,
    i.owner_employee_code,
    e.employee_name as owner_name,
    e.team_name as owner_team_name,
    e.region as owner_region
from allocations as a
join credits as c using (credit_id)
left join invoices as i on i.invoice_number = a.ar_invoice_number
left join employees as e
    on e.employee_code = i.owner_employee_code
    and a.allocation_date >= e.valid_from
    and a.allocation_date < e.valid_to
