with src as {{ latest_versions(source('erp', 'BD_MATERIAL'), 'FMATERIALID') }}
select
    "FMATERIALID" as erp_material_id,
    "FNumber" as erp_material_code,
    "FName" as material_name,
    "FSpecification" as specification,
    "FMaterialGroup.FName" as material_group,
    "FBaseUnitId.FName" as unit,
    -- Kingdee shows tax rates as text such as '13%'
    cast(try_cast(replace("FTaxRateId.FName", '%', '') as decimal(9, 4)) / 100 as decimal(9, 4)) as tax_rate,
    "FForbidStatus" = 'B' as is_forbidden,
    "FDocumentStatus" as document_status,
    "FModifyDate" as modified_at,
    _extracted_at
from src
