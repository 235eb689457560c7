-- Sales orders as copied from the ERP into the CRM (for reconciliation against the ERP).
with src as {{ latest_versions(source('crm', 'Sales_Orders'), 'id', keep_deleted=true) }}
select
    id as crm_sales_order_id,
    "SO_Number" as erp_order_no,
    "Subject" as subject,
    "Status" as order_status,
    "Grand_Total" as amount,
    "Account_Name.id" as crm_account_id,
    "Deal_Name.id" as crm_deal_id,
    "Contract_No" as contract_no,
    "ERP_Bill_Id" as erp_bill_id,
    "Due_Date" as due_date,
    "Owner.id" as owner_crm_user_id,
    "Created_Time" as created_at,
    "Modified_Time" as modified_at,
    is_deleted,
    _extracted_at
from src
