-- Every version of every employee record the extractor has seen (the landing change log is
-- the history the HRM API itself does not keep).
select
    id as oa_user_id,
    workcode as employee_code,
    departmentid as oa_department_id,
    jobtitle as job_title,
    nullif(managerid, '') as manager_oa_user_id,
    modified as modified_at,
    _extracted_at
from {{ source('oa', 'HrmResource') }}
where _op = 'upsert'
