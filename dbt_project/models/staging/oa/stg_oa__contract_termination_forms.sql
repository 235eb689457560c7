-- Contract termination form (合同终止, formtable_main_1103).
with src as {{ latest_versions(source('oa', 'formtable_main_1103'), 'requestId') }}
select
    "requestId" as oa_request_id,
    htbh as contract_no,
    zzrq as termination_date,
    zzyy as termination_reason,
    _extracted_at
from src
