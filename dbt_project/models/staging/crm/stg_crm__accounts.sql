-- CRM accounts (客户). Merged duplicates are deleted in the CRM and kept here with is_deleted.
with src as {{ latest_versions(source('crm', 'Accounts'), 'id', keep_deleted=true) }}
select
    id as crm_account_id,
    "Account_Name" as account_name,
    "Account_Number" as account_number,
    "Account_Type" as account_type,
    "Industry" as industry,
    "Customer_Grade" as customer_grade,
    "Tax_Number" as tax_number,
    nullif(trim("ERP_Customer_Code"), '') as erp_customer_code,
    "Billing_State" as province,
    "Billing_City" as city,
    "Owner.id" as owner_crm_user_id,
    "Owner.name" as owner_name,
    "Created_Time" as created_at,
    "Modified_Time" as modified_at,
    is_deleted,
    _extracted_at
from src
