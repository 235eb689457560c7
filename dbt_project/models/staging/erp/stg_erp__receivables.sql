-- Receivables (应收单): one per invoice, with the due date from the payment condition.
with src as {{ latest_versions(source('erp', 'AR_receivable'), 'FID', keep_deleted=true) }}
select
    "FID" as erp_receivable_id,
    "FBillNo" as erp_receivable_no,
    "FDATE" as receivable_date,
    "FENDDATE_H" as due_date,
    "FCUSTOMERID.FNumber" as erp_customer_code,
    "FALLAMOUNTFOR" as amount_incl_tax,
    "FPayConditon.FName" as payment_condition,
    "F_ZT_ContractNo" as contract_no,
    "F_ZT_InvoiceNo" as invoice_number,
    "FSALEERID.FNumber" as salesperson_code,
    "FCancelStatus" = 'B' as is_cancelled,
    "FDocumentStatus" as document_status,
    "FModifyDate" as modified_at,
    is_deleted,
    _extracted_at
from src
