-- Employees with SCD2 history of department, team, region, role and leader. One row per
-- employee and interval [valid_from, valid_to); attribute an event on day D to the row with
-- valid_from <= D < valid_to (point in time).
with history as (
    select * from {{ ref('int_employee_department_history') }}
),
emp as (
    select
        e.*,
        r.role_code,
        r.access_scope
    from {{ ref('stg_oa__employees') }} as e
    left join {{ ref('job_roles') }} as r on r.job_title = e.job_title
),
dept as (
    select * from {{ ref('int_departments_resolved') }}
),
-- the manager (大区经理) currently heading each team
team_managers as (
    select e.oa_department_id as team_oa_department_id, min(e.oa_user_id) as manager_oa_user_id
    from emp as e
    where e.role_code = 'manager'
    group by all
),
crm_users as (
    select employee_code, min(crm_user_id) as crm_user_id
    from {{ ref('stg_crm__users') }}
    group by all
),
versions as (
    select
        h.oa_user_id,
        h.valid_from,
        h.valid_to,
        h.oa_department_id,
        d.department_name,
        d.team_oa_department_id,
        d.team_name,
        d.region,
        case
            when emp.role_code in ('sales', 'assistant') and tm.manager_oa_user_id is not null
                and tm.manager_oa_user_id <> h.oa_user_id
                then tm.manager_oa_user_id
            else emp.manager_oa_user_id
        end as manager_oa_user_id
    from history as h
    join emp using (oa_user_id)
    left join dept as d on d.oa_department_id = h.oa_department_id
    left join team_managers as tm on tm.team_oa_department_id = d.team_oa_department_id
)
select
    emp.employee_code || '@' || strftime(v.valid_from, '%Y-%m-%d') as employee_version_id,
    emp.employee_code,
    emp.oa_user_id,
    cu.crm_user_id,
    emp.employee_name,
    emp.login_id,
    emp.email,
    emp.job_title,
    emp.role_code,
    emp.access_scope,
    v.oa_department_id,
    v.department_name,
    v.team_oa_department_id,
    v.team_name,
    v.region,
    v.manager_oa_user_id,
    mgr.employee_code as manager_employee_code,
    mgr.employee_name as manager_name,
    v.valid_from,
    v.valid_to,
    v.valid_to = date '9999-12-31' as is_current,
    emp.hrm_status = '1' or emp.hrm_status is null as is_active
from versions as v
join emp using (oa_user_id)
left join emp as mgr on mgr.oa_user_id = v.manager_oa_user_id
left join crm_users as cu on cu.employee_code = emp.employee_code
