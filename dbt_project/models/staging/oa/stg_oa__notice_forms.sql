-- Notices (公告发布, formtable_main_1141).
with src as {{ latest_versions(source('oa', 'formtable_main_1141'), 'requestId') }}
select
    "requestId" as oa_request_id,
    ggbt as title,
    ggnr as body,
    fbrq as publish_date,
    _extracted_at
from src
