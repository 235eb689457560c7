-- VAT invoice lines, special (IV_SALESIC, 专票) and ordinary (IV_SALESOC, 普票) together.
-- Red-letter (红字) invoices carry negative amounts and name the blue invoice they reverse.
with special as {{ latest_versions(source('erp', 'IV_SALESIC'), 'FSALESICENTRY_FEntryId', keep_deleted=true) }},
ordinary as {{ latest_versions(source('erp', 'IV_SALESOC'), 'FSALESOCENTRY_FEntryId', keep_deleted=true) }},
unioned as (
    select 'special' as invoice_kind, 'IV_SALESIC' as erp_form_id,
        "FSALESICENTRY_FEntryId" as erp_invoice_entry_id, * exclude ("FSALESICENTRY_FEntryId")
    from special
    union all by name
    select 'ordinary' as invoice_kind, 'IV_SALESOC' as erp_form_id,
        "FSALESOCENTRY_FEntryId" as erp_invoice_entry_id, * exclude ("FSALESOCENTRY_FEntryId")
    from ordinary
)
select
    erp_form_id || ':' || erp_invoice_entry_id as invoice_line_id,
    invoice_kind,
    erp_form_id,
    erp_invoice_entry_id,
    "FID" as erp_invoice_id,
    "FBillNo" as erp_invoice_bill_no,
    "FDate" as invoice_date,
    "FCUSTOMERID.FNumber" as erp_customer_code,
    "FCUSTOMERID.FName" as customer_name,
    "FIVNUMBER" as invoice_number,
    case "FRedBlue" when '1' then 'red' when '0' then 'blue' else lower("FRedBlue") end as red_blue,
    nullif("FSrcInvoiceNo", '') as original_invoice_number,
    "FSETTLEORGID.FName" as settle_org,
    "F_ZT_ContractNo" as contract_no,
    "F_ZT_OaApplyNo" as oa_application_no,
    "FMATERIALID.FNumber" as erp_material_code,
    "FPRICEQTY" as quantity,
    -- Kingdee keeps the rate in percent (13 = 13%); a fraction here, as an exact decimal
    cast("FTAXRATE" / 100 as decimal(9, 4)) as tax_rate,
    "FAMOUNTFOR" as amount_excl_tax,
    "FDETAILTAXAMOUNTFOR" as tax_amount,
    "FALLAMOUNTFOR" as amount_incl_tax,
    "FSRCBILLNO" as erp_order_no,
    "FDocumentStatus" as document_status,
    "FDocumentStatus" = 'C' as is_audited,
    "FCreateDate" as created_at,
    "FModifyDate" as modified_at,
    is_deleted,
    _extracted_at
from unioned
