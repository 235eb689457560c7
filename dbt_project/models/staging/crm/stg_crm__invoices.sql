-- Invoices as copied from the ERP into the CRM.
with src as {{ latest_versions(source('crm', 'Invoices'), 'id', keep_deleted=true) }}
select
    id as crm_invoice_id,
    "Invoice_Number" as invoice_number,
    "Invoice_Date" as invoice_date,
    "Status" as invoice_status,
    "Grand_Total" as amount,
    "Account_Name.id" as crm_account_id,
    "Sales_Order.id" as crm_sales_order_id,
    -- the lookup's display name is the ERP sales order number (the id is not filled by the sync)
    "Sales_Order.name" as erp_order_no,
    "Contract_No" as contract_no,
    "ERP_Bill_Id" as erp_bill_id,
    "Owner.id" as owner_crm_user_id,
    "Created_Time" as created_at,
    "Modified_Time" as modified_at,
    is_deleted,
    _extracted_at
from src
