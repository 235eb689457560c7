-- One row per customer across CRM and ERP: matched pairs, CRM-only prospects and ERP-only
-- customers. Accounts the CRM deleted (merged duplicates) stay with is_deleted_in_crm.
with crm as (
    select * from {{ ref('stg_crm__accounts') }}
),
erp as (
    select * from {{ ref('stg_erp__customers') }}
),
m as (
    select * from {{ ref('int_customer_matches') }}
),
pairs as (
    select c.crm_account_id, m.erp_customer_code, coalesce(m.match_method, 'crm_only') as match_method
    from crm as c left join m using (crm_account_id)
    union all
    select null, e.erp_customer_code, 'erp_only'
    from erp as e
    where not e.is_deleted and e.erp_customer_code not in (select erp_customer_code from m)
),
owners as (
    select crm_user_id, employee_code from {{ ref('stg_crm__users') }}
)
select
    coalesce(p.crm_account_id, 'ERP:' || p.erp_customer_code) as customer_key,
    p.crm_account_id,
    p.erp_customer_code,
    coalesce(c.account_name, e.customer_name) as customer_name,
    e.customer_name as erp_customer_name,
    c.tax_number,
    e.tax_number as erp_tax_number,
    p.match_method,
    c.account_type as customer_type,
    c.industry,
    c.province,
    c.city,
    pr.region,
    c.customer_grade,
    c.owner_crm_user_id,
    o.employee_code as owner_employee_code,
    c.created_at,
    coalesce(c.is_deleted, false) as is_deleted_in_crm,
    c.erp_customer_code as crm_erp_customer_code
from pairs as p
left join crm as c using (crm_account_id)
left join erp as e on e.erp_customer_code = p.erp_customer_code
left join {{ ref('province_regions') }} as pr on pr.province = c.province
left join owners as o on o.crm_user_id = c.owner_crm_user_id
