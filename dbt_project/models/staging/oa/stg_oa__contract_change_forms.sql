-- Contract change form (合同变更, formtable_main_1102).
with src as {{ latest_versions(source('oa', 'formtable_main_1102'), 'requestId') }}
select
    "requestId" as oa_request_id,
    htbh as contract_no,
    bgqje as amount_before,
    bghje as amount_after,
    bgyy as change_reason,
    bgrq as change_date,
    _extracted_at
from src
