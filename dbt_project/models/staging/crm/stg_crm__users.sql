with src as {{ latest_versions(source('crm', 'users'), 'id') }}
select
    id as crm_user_id,
    full_name as user_name,
    email,
    status as user_status,
    "role.id" as role_code,
    "role.name" as role_name,
    "Employee_Id" as employee_code,
    "Region" as region,
    "Modified_Time" as modified_at,
    _extracted_at
from src
