-- Project delivery (项目交付, formtable_main_1112).
with src as {{ latest_versions(source('oa', 'formtable_main_1112'), 'requestId') }}
select
    "requestId" as oa_request_id,
    xmbh as project_no,
    htbh as contract_no,
    jfrq as delivery_date,
    jfnr as delivery_content,
    _extracted_at
from src
