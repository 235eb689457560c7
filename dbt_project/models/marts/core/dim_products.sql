-- Products: ERP materials (the master), with the CRM copy's id and price when present.
with m as (
    select * from {{ ref('stg_erp__materials') }}
),
p as (
    select * from {{ ref('stg_crm__products') }}
)
select
    m.erp_material_code,
    m.erp_material_id,
    p.crm_product_id,
    m.material_name as product_name,
    m.specification,
    m.material_group as product_group,
    case when m.tax_rate = 0.06 then '服务类' else '小鼠类' end as business_type,
    m.unit,
    m.tax_rate,
    p.unit_price as crm_unit_price,
    not m.is_forbidden as is_active
from m
left join p on p.erp_material_code = m.erp_material_code
