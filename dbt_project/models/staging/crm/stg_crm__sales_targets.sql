-- Sales targets (目标): contract-amount and collection targets per level (company / region /
-- person), business type and month.
with src as {{ latest_versions(source('crm', 'Sales_Targets'), 'id') }}
select
    id as crm_target_id,
    "Name" as target_name,
    "Target_Level" as target_level,
    "Region" as region,
    "Target_Year" as target_year,
    "Target_Month" as target_month,
    "Business_Type" as business_type,
    "Target_Type" as target_type,
    "Target_Amount" as target_amount,
    "Owner.id" as owner_crm_user_id,
    "Modified_Time" as modified_at,
    _extracted_at
from src
