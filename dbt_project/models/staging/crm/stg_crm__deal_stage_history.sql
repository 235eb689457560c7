-- One row per stage an opportunity entered (ZOHO Stage_History). Modified_Time of a history
-- row is when the stage was entered.
with src as {{ latest_versions(source('crm', 'Stage_History'), 'id') }}
select
    id as crm_stage_history_id,
    "Deal_Id" as crm_deal_id,
    "Stage" as stage,
    "Moved_To__s" as moved_to_stage,
    "Amount" as amount,
    "Probability" as probability_pct,
    "Close_Date" as expected_close_date,
    "Modified_Time" as entered_at,
    "Modified_By.id" as changed_by_crm_user_id,
    _extracted_at
from src
