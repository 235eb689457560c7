with src as {{ latest_versions(source('erp', 'BD_Customer'), 'FCUSTID', keep_deleted=true) }}
select
    "FCUSTID" as erp_customer_id,
    "FNumber" as erp_customer_code,
    "FName" as customer_name,
    "FShortName" as short_name,
    nullif(trim("FTaxRegisterCode"), '') as tax_number,
    "FCustTypeId.FName" as customer_type,
    "FForbidStatus" = 'B' as is_forbidden,
    "FDocumentStatus" as document_status,
    "FCreateDate" as created_at,
    "FModifyDate" as modified_at,
    is_deleted,
    _extracted_at
from src
