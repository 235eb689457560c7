-- Leads (线索). ZOHO hides converted leads unless asked (converted=both) and logs deleted
-- leads (invalid ones get cleaned up); deleted leads are kept here (is_deleted) so lead →
-- opportunity conversion is measured over all leads.
with src as {{ latest_versions(source('crm', 'Leads'), 'id', keep_deleted=true) }}
select
    id as crm_lead_id,
    "Company" as company,
    "Lead_Source" as lead_source,
    "Lead_Status" as lead_status,
    "Campaign_Source.id" as crm_campaign_id,
    "State" as province,
    "Business_Type" as business_type,
    coalesce("Converted__s", false) as is_converted,
    "Converted_Date_Time" as converted_at,
    "Converted_Deal.id" as converted_crm_deal_id,
    "Converted_Account.id" as converted_crm_account_id,
    "Owner.id" as owner_crm_user_id,
    "Created_Time" as created_at,
    "Modified_Time" as modified_at,
    is_deleted,
    _extracted_at
from src
