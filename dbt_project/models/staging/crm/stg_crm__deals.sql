-- Opportunities (商机), current state.
with src as {{ latest_versions(source('crm', 'Deals'), 'id') }}
select
    id as crm_deal_id,
    "Deal_Name" as deal_name,
    "Stage" as stage,
    "Amount" as amount,
    "Probability" as probability_pct,
    "Closing_Date" as expected_close_date,
    "Valid_Until" as valid_until,
    "Type" as business_type,
    "Account_Name.id" as crm_account_id,
    "Contact_Name.id" as crm_contact_id,
    "Campaign_Source.id" as crm_campaign_id,
    "Lead_Source" as lead_source,
    "Reason_For_Loss__s" as loss_reason,
    "Owner.id" as owner_crm_user_id,
    "Owner.name" as owner_name,
    "Created_Time" as created_at,
    "Modified_Time" as modified_at,
    _extracted_at
from src
