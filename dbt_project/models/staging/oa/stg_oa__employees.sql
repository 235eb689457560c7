-- Employees (人员) as the OA's HRM holds them now; history comes from the change log
-- (see int_employee_department_history).
with src as {{ latest_versions(source('oa', 'HrmResource'), 'id') }}
select
    id as oa_user_id,
    workcode as employee_code,
    lastname as employee_name,
    loginid as login_id,
    email,
    departmentid as oa_department_id,
    jobtitle as job_title,
    nullif(managerid, '') as manager_oa_user_id,
    status as hrm_status,
    createdate as hired_at,
    modified as modified_at,
    _extracted_at
from src
