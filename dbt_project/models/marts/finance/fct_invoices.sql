-- One row per VAT invoice (专票 special / 普票 ordinary, blue or red-letter), with the
-- red-letter netting of int_finance__invoices, the due date, the customer and the owner with
-- the team and region in force on the invoice date (point in time).
-- Due date: the ERP receivable's (应收单 FENDDATE_H = invoice date + the payment condition)
-- when the invoice has a live receivable, else invoice date + the contract's payment terms
-- (付款天数 fkts), else the invoice date itself (due on issue).
with invoices as (
    select * from {{ ref('int_finance__invoices') }}
),
receivables as (
    select
        invoice_number,
        -- the latest-modified receivable (equal times: the highest receivable id, so that the
        -- columns come from one row and never depend on the scan order)
        arg_max(due_date, (modified_at, erp_receivable_id)) filter (where modified_at is not null) as due_date,
        arg_max(amount_incl_tax, (modified_at, erp_receivable_id)) filter (where modified_at is not null) as receivable_amount_incl_tax,
        arg_max(payment_condition, (modified_at, erp_receivable_id)) filter (where modified_at is not null) as payment_condition,
        arg_max(salesperson_code, (modified_at, erp_receivable_id)) filter (where modified_at is not null) as salesperson_code,
        arg_max(erp_receivable_no, (modified_at, erp_receivable_id)) filter (where modified_at is not null) as erp_receivable_no
    from {{ ref('stg_erp__receivables') }}
    where not is_deleted and not is_cancelled
    group by invoice_number
),
order_salespeople as (
    select erp_order_no, min(salesperson_code) as salesperson_code
    from {{ ref('stg_erp__sales_order_lines') }}
    where not is_deleted
    group by erp_order_no
),
contracts as (
    select
        contract_no,
        payment_terms_days,
        owner_employee_code,
        customer_key as contract_customer_key
    from {{ ref('fct_contracts') }}
),
customers as (
    select customer_key, erp_customer_code, region as customer_region
    from {{ ref('dim_customers') }}
    where erp_customer_code is not null
),
employees as (
    select employee_code, employee_name, team_name, region, valid_from, valid_to
    from {{ ref('dim_employees') }}
),
enriched as (
    select
        i.*,
        r.erp_receivable_no,
        r.due_date as receivable_due_date,
        r.receivable_amount_incl_tax,
        r.payment_condition,
        c.payment_terms_days,
        cu.customer_key,
        cu.customer_region,
        coalesce(r.salesperson_code, os.salesperson_code, c.owner_employee_code) as owner_employee_code
    from invoices as i
    left join receivables as r using (invoice_number)
    left join order_salespeople as os using (erp_order_no)
    left join contracts as c using (contract_no)
    left join customers as cu using (erp_customer_code)
)
select
    e.invoice_number,
    e.erp_form_id,
    e.invoice_kind,
    e.erp_invoice_id,
    e.erp_invoice_bill_no,
    e.invoice_date,
    e.red_blue,
    e.red_blue = 'red' as is_red_letter,
    e.original_invoice_number,
    e.ar_invoice_number,
    e.is_ar_item,
    e.customer_key,
    e.erp_customer_code,
    e.customer_name,
    e.customer_region,
    e.contract_no,
    e.erp_order_no,
    e.oa_application_no,
    e.settle_org,
    e.owner_employee_code,
    emp.employee_name as owner_name,
    emp.team_name as owner_team_name,
    emp.region as owner_region,
    e.line_count,
    e.deleted_line_count,
    e.tax_rate,
    e.amount_excl_tax,
    e.tax_amount,
    e.amount_incl_tax,
    e.red_letter_count,
    e.red_letter_amount_incl_tax,
    e.last_red_letter_date,
    e.is_red_letter_matched,
    e.net_amount_excl_tax,
    e.net_tax_amount,
    e.net_amount_incl_tax,
    e.is_fully_reversed,
    e.is_partially_reversed,
    e.erp_receivable_no,
    e.payment_condition,
    e.payment_terms_days,
    coalesce(
        e.receivable_due_date,
        e.invoice_date + cast(e.payment_terms_days as integer),
        e.invoice_date
    ) as due_date,
    case
        when e.receivable_due_date is not null then 'erp_receivable'
        when e.payment_terms_days is not null then 'contract_terms'
        else 'invoice_date'
    end as due_date_source,
    e.receivable_amount_incl_tax,
    cast(e.receivable_amount_incl_tax - e.amount_incl_tax as decimal(18, 2)) as receivable_amount_difference,
    e.document_status,
    e.is_audited,
    e.is_deleted,
    e.is_effective,
    e.created_at,
    e.modified_at,
    e.as_of_date
from enriched as e
left join employees as emp
    on emp.employee_code = e.owner_employee_code
    and e.invoice_date >= emp.valid_from
    and e.invoice_date < emp.valid_to
