-- Visit records (拜访记录): CRM events; planned ones point to their visit plan task.
with src as {{ latest_versions(source('crm', 'Events'), 'id') }}
select
    id as crm_event_id,
    "Event_Title" as title,
    "Start_DateTime" as started_at,
    "End_DateTime" as ended_at,
    "What_Id.id" as related_id,
    "$se_module" as related_module,
    "Who_Id.id" as crm_contact_id,
    "Account.id" as crm_account_id,
    "Venue" as venue,
    "Check_In_Time" as checked_in_at,
    "Check_In_City" as check_in_city,
    "Visit_Type" as visit_type,
    "Visit_Plan.id" as crm_visit_plan_task_id,
    "Owner.id" as owner_crm_user_id,
    "Created_Time" as created_at,
    "Modified_Time" as modified_at,
    _extracted_at
from src
