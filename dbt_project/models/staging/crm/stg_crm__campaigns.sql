with src as {{ latest_versions(source('crm', 'Campaigns'), 'id') }}
select
    id as crm_campaign_id,
    "Campaign_Name" as campaign_name,
    "Type" as campaign_type,
    "Status" as campaign_status,
    "Start_Date" as start_date,
    "End_Date" as end_date,
    "Budgeted_Cost" as budgeted_cost,
    "Actual_Cost" as actual_cost,
    "Expected_Revenue" as expected_revenue,
    "OA_Request_Id" as oa_request_id,
    "OA_Approval_Status" as oa_approval_status,
    "Owner.id" as owner_crm_user_id,
    "Created_Time" as created_at,
    "Modified_Time" as modified_at,
    _extracted_at
from src
