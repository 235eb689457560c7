-- CRM accounts matched to ERP customers: first by the ERP code the CRM holds, then by tax id,
-- then by exact (whitespace-trimmed) name. Each ERP customer and each CRM account is used at
-- most once; a live CRM account wins over a deleted (merged) one.
with crm as (
    select * from {{ ref('stg_crm__accounts') }}
),
erp as (
    select * from {{ ref('stg_erp__customers') }} where not is_deleted
),
by_code as (
    select c.crm_account_id, e.erp_customer_code, 'code' as match_method
    from crm as c join erp as e on e.erp_customer_code = c.erp_customer_code
    qualify row_number() over (partition by e.erp_customer_code order by c.is_deleted, c.created_at, c.crm_account_id) = 1
),
by_tax as (
    select c.crm_account_id, e.erp_customer_code, 'tax_number' as match_method
    from crm as c join erp as e on e.tax_number = c.tax_number
    where c.crm_account_id not in (select crm_account_id from by_code)
      and e.erp_customer_code not in (select erp_customer_code from by_code)
    qualify row_number() over (partition by e.erp_customer_code order by c.is_deleted, c.created_at, c.crm_account_id) = 1
        and row_number() over (partition by c.crm_account_id order by e.erp_customer_code) = 1
),
matched as (
    select * from by_code union all select * from by_tax
),
by_name as (
    select c.crm_account_id, e.erp_customer_code, 'name' as match_method
    from crm as c join erp as e on trim(e.customer_name) = trim(c.account_name)
    where c.crm_account_id not in (select crm_account_id from matched)
      and e.erp_customer_code not in (select erp_customer_code from matched)
    qualify row_number() over (partition by e.erp_customer_code order by c.is_deleted, c.created_at, c.crm_account_id) = 1
        and row_number() over (partition by c.crm_account_id order by e.erp_customer_code) = 1
)
select * from matched
union all
select * from by_name
