-- Sales order lines (销售订单分录). Orders deleted in the ERP stay with is_deleted for the
-- CRM↔ERP reconciliation.
with src as {{ latest_versions(source('erp', 'SAL_SaleOrder'), 'FSaleOrderEntry_FEntryId', keep_deleted=true) }}
select
    "FSaleOrderEntry_FEntryId" as erp_order_entry_id,
    "FID" as erp_order_id,
    "FBillNo" as erp_order_no,
    "FDate" as order_date,
    "FCloseStatus" = 'B' as is_closed,
    "FCancelStatus" = 'B' as is_cancelled,
    "FCustId.FNumber" as erp_customer_code,
    "FCustId.FName" as customer_name,
    "FSalerId.FNumber" as salesperson_code,
    "FSalerId.FName" as salesperson_name,
    "FSaleDeptId.FName" as sales_department,
    "FSaleOrgId.FName" as sales_org,
    "F_ZT_ContractNo" as contract_no,
    "F_ZT_CrmDealId" as crm_deal_id,
    "FMaterialId.FNumber" as erp_material_code,
    "FMaterialId.FName" as material_name,
    "FQty" as quantity,
    "FPrice" as unit_price_excl_tax,
    "FTaxPrice" as unit_price_incl_tax,
    -- Kingdee keeps the rate in percent (13 = 13%); a fraction here, as an exact decimal
    cast("FEntryTaxRate" / 100 as decimal(9, 4)) as tax_rate,
    "FAmount" as amount_excl_tax,
    "FTaxAmount" as tax_amount,
    "FAllAmount" as amount_incl_tax,
    "FDeliveryDate" as delivery_date,
    "FDocumentStatus" as document_status,
    "FDocumentStatus" = 'C' as is_audited,
    "FCreateDate" as created_at,
    "FModifyDate" as modified_at,
    "FApproveDate" as approved_at,
    is_deleted,
    _extracted_at
from src
