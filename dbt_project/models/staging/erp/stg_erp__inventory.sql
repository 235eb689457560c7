with src as {{ latest_versions(source('erp', 'STK_Inventory'), 'FID') }}
select
    "FID" as erp_inventory_id,
    "FMaterialId.FNumber" as erp_material_code,
    "FStockId.FName" as warehouse,
    "FBaseQty" as quantity,
    "FStockOrgId.FName" as stock_org,
    "FModifyDate" as modified_at,
    _extracted_at
from src
