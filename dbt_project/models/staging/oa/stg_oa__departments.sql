with src as {{ latest_versions(source('oa', 'HrmDepartment'), 'id') }}
select
    id as oa_department_id,
    departmentname as department_name,
    nullif(supdepid, '0') as parent_oa_department_id,
    coalesce(canceled = '1', false) as is_canceled,
    modified as modified_at,
    _extracted_at
from src
