-- Visit plans (拜访计划) and leader-assigned visits: CRM tasks, approved in the OA.
with src as {{ latest_versions(source('crm', 'Tasks'), 'id') }}
select
    id as crm_task_id,
    "Subject" as subject,
    "Due_Date" as due_date,
    "Status" as task_status,
    "Priority" as priority,
    "What_Id.id" as related_id,
    "$se_module" as related_module,
    "Assigned_By.id" as assigned_by_crm_user_id,
    "OA_Request_Id" as oa_request_id,
    "Approval_Status" as approval_status,
    "Closed_Time" as closed_at,
    "Owner.id" as owner_crm_user_id,
    "Created_Time" as created_at,
    "Modified_Time" as modified_at,
    _extracted_at
from src
