-- One row per OA invoice application (开票申请, workflow 121) with its approval and the ERP
-- invoices that carry its number back (F_ZT_OaApplyNo), as of the as-of date.
-- Lag = first effective blue invoice date − application date (and − approval date), in
-- calendar days and in working days (Chinese calendar, dim_date.workday_index).
-- Not issued = approved (archived on or before the as-of date) and no effective invoice yet;
-- days_waiting counts from the approval to the as-of date. Issued amount = the net of every
-- effective invoice carrying the number (a red letter and its re-issue cancel out).
with requests as (
    select oa_request_id, request_status, approval_outcome, archived_date, waiting_node_name,
        created_date, is_known_as_of, as_of_date
    from {{ ref('int_finance__form_requests') }}
),
forms as (
    select * from {{ ref('stg_oa__invoice_application_forms') }}
),
invoices as (
    select
        oa_application_no,
        count(*) filter (where red_blue = 'blue') as blue_invoice_count,
        count(*) filter (where red_blue = 'red') as red_invoice_count,
        min(invoice_date) filter (where red_blue = 'blue') as first_invoice_date,
        arg_min(invoice_number, (invoice_date, invoice_number)) filter (where red_blue = 'blue' and invoice_date is not null) as first_invoice_number,
        max(invoice_date) as last_invoice_date,
        sum(amount_incl_tax) as issued_amount_incl_tax,
        sum(amount_incl_tax) filter (where red_blue = 'blue') as blue_amount_incl_tax,
        min(invoice_kind) as issued_invoice_kind
    from {{ ref('int_finance__invoices') }}
    where is_effective and oa_application_no is not null
    group by all
),
orders as (
    select erp_order_no, min(customer_key) as customer_key, min(erp_customer_code) as erp_customer_code
    from {{ ref('fct_sales_order_lines') }}
    group by all
),
contracts as (
    select contract_no, owner_employee_code, owner_name, owner_team_name, owner_region,
        customer_key
    from {{ ref('fct_contracts') }}
),
days as (
    select date_day, workday_index
    from {{ ref('dim_date') }}
)
select
    f.oa_request_id,
    f.application_no,
    f.contract_no,
    f.erp_order_no,
    coalesce(k.customer_key, o.customer_key) as customer_key,
    o.erp_customer_code,
    f.customer_name,
    k.owner_employee_code,
    k.owner_name,
    k.owner_team_name,
    k.owner_region,
    f.invoice_type,
    case f.invoice_type when '增值税专用发票' then 'special' when '增值税普通发票' then 'ordinary' end
        as requested_invoice_kind,
    f.tax_rate,
    f.amount_incl_tax as applied_amount_incl_tax,
    f.application_date,
    r.request_status,
    r.approval_outcome,
    r.waiting_node_name,
    case when r.approval_outcome = 'approved' then r.archived_date end as approved_date,
    coalesce(i.blue_invoice_count, 0) as blue_invoice_count,
    coalesce(i.red_invoice_count, 0) as red_invoice_count,
    i.first_invoice_number,
    i.first_invoice_date,
    i.last_invoice_date,
    i.issued_invoice_kind,
    cast(i.issued_amount_incl_tax as decimal(18, 2)) as issued_amount_incl_tax,
    cast(i.issued_amount_incl_tax - f.amount_incl_tax as decimal(18, 2)) as issued_amount_difference,
    i.first_invoice_date - f.application_date as days_application_to_invoice,
    i.first_invoice_date - case when r.approval_outcome = 'approved' then r.archived_date end
        as days_approval_to_invoice,
    di.workday_index - da.workday_index as workdays_application_to_invoice,
    coalesce(i.blue_invoice_count, 0) > 0 as is_issued,
    r.approval_outcome = 'approved' and coalesce(i.blue_invoice_count, 0) = 0 as is_not_issued,
    case when r.approval_outcome = 'approved' and coalesce(i.blue_invoice_count, 0) = 0
        then r.as_of_date - r.archived_date end as days_waiting,
    r.as_of_date
from forms as f
left join requests as r using (oa_request_id)
left join invoices as i on i.oa_application_no = f.application_no
left join orders as o on o.erp_order_no = f.erp_order_no
left join contracts as k on k.contract_no = f.contract_no
left join days as da on da.date_day = f.application_date
left join days as di on di.date_day = i.first_invoice_date
where coalesce(r.is_known_as_of, true)
