-- Outbound delivery lines (销售出库单分录).
with src as {{ latest_versions(source('erp', 'SAL_OUTSTOCK'), 'FEntity_FEntryId', keep_deleted=true) }}
select
    "FEntity_FEntryId" as erp_delivery_entry_id,
    "FID" as erp_delivery_id,
    "FBillNo" as erp_delivery_no,
    "FDate" as delivery_date,
    "FCustomerID.FNumber" as erp_customer_code,
    "FSalesManID.FNumber" as salesperson_code,
    "F_ZT_ContractNo" as contract_no,
    "FMaterialId.FNumber" as erp_material_code,
    "FRealQty" as quantity,
    "FTaxPrice" as unit_price_incl_tax,
    "FAllAmount" as amount_incl_tax,
    "FSrcBillNo" as erp_order_no,
    "FSoEntryId" as erp_order_entry_id,
    "FStockId.FName" as warehouse,
    "FDocumentStatus" as document_status,
    "FDocumentStatus" = 'C' as is_audited,
    "FCreateDate" as created_at,
    "FModifyDate" as modified_at,
    is_deleted,
    _extracted_at
from src
