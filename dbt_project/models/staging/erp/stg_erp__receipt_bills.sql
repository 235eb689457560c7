-- Receipt bills (收款单): money received, booked in the ERP after a payment claim.
with src as {{ latest_versions(source('erp', 'AR_RECEIVEBILL'), 'FID', keep_deleted=true) }}
select
    "FID" as erp_receipt_id,
    "FBillNo" as erp_receipt_no,
    "FDate" as receipt_date,
    "FCONTACTUNIT.FNumber" as erp_customer_code,
    "FPAYUNIT.FName" as payer_name,
    "FRECTOTALAMOUNTFOR" as amount,
    nullif("F_ZT_BankSerialNo", '') as bank_serial_no,
    nullif("F_ZT_OaClaimNo", '') as oa_claim_no,
    nullif("F_ZT_ContractNo", '') as contract_no,
    nullif("F_ZT_InvoiceNo", '') as invoice_number,
    "FSETTLEORGID.FName" as settle_org,
    "FDocumentStatus" as document_status,
    "FDocumentStatus" = 'C' as is_audited,
    "FModifyDate" as modified_at,
    is_deleted,
    _extracted_at
from src
