-- ERP VAT invoices at header level for the reconciliation: one row per invoice number (the
-- 20-digit number shared by an invoice's lines, unique across the special and ordinary
-- forms), with the total of its live lines. An invoice counts as deleted when every line is.
select
    invoice_number,
    min(invoice_kind) as invoice_kind,
    min(red_blue) as red_blue,
    min(invoice_date) as invoice_date,
    min(original_invoice_number) as original_invoice_number,
    min(oa_application_no) filter (where not is_deleted) as oa_application_no,
    min(contract_no) filter (where not is_deleted) as contract_no,
    min(erp_order_no) filter (where not is_deleted) as erp_order_no,
    min(erp_customer_code) filter (where not is_deleted) as erp_customer_code,
    bool_and(is_deleted) as is_deleted,
    bool_and(is_audited or is_deleted) as is_audited,
    cast(coalesce(sum(amount_incl_tax) filter (where not is_deleted), 0) as decimal(18, 2)) as amount_incl_tax,
    min(created_at) as created_at,
    max(modified_at) as modified_at,
    max(_extracted_at) as _extracted_at
from {{ ref('stg_erp__invoice_lines') }}
group by invoice_number
