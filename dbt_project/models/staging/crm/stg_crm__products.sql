with src as {{ latest_versions(source('crm', 'Products'), 'id') }}
select
    id as crm_product_id,
    "Product_Name" as product_name,
    "Product_Code" as erp_material_code,
    "Product_Category" as product_category,
    "Unit_Price" as unit_price,
    "Tax" as tax_rate_pct,
    "Usage_Unit" as unit,
    "Product_Active" as is_active,
    "Modified_Time" as modified_at,
    _extracted_at
from src
