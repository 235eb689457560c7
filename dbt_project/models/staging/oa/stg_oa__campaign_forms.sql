-- Campaign approval (市场活动, formtable_main_1132).
with src as {{ latest_versions(source('oa', 'formtable_main_1132'), 'requestId') }}
select
    "requestId" as oa_request_id,
    hdbh as campaign_no,
    hdmc as campaign_name,
    crmid as crm_campaign_id,
    ys as budget,
    ksrq as start_date,
    jsrq as end_date,
    _extracted_at
from src
