-- Person targets per month (contract amount 合同额 and collection 回款额, per business type),
-- attributed to the team and region the person belonged to on the month's first day.
with t as (
    select * from {{ ref('stg_crm__sales_targets') }}
    where target_level = 'person' and target_month is not null
),
users as (
    select crm_user_id, employee_code from {{ ref('stg_crm__users') }}
)
select
    u.employee_code as owner_employee_code,
    make_date(t.target_year, t.target_month, 1) as month_start,
    t.business_type,
    sum(case when t.target_type = '合同额' then t.target_amount end) as contract_target,
    sum(case when t.target_type = '回款额' then t.target_amount end) as collection_target,
    -- one employee row per person and month (point in time); max() rather than any_value()
    -- so that the value never depends on the scan order
    max(emp.team_oa_department_id) as team_oa_department_id,
    max(emp.team_name) as team_name,
    max(coalesce(emp.region, t.region)) as region
from t
join users as u on u.crm_user_id = t.owner_crm_user_id
left join {{ ref('dim_employees') }} as emp
    on emp.employee_code = u.employee_code
    and make_date(t.target_year, t.target_month, 1) >= emp.valid_from
    and make_date(t.target_year, t.target_month, 1) < emp.valid_to
group by all
