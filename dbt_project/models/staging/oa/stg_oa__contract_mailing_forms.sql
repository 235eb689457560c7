-- Signed paper copy mailing (合同寄送, formtable_main_1104): sent date, courier, received back.
with src as {{ latest_versions(source('oa', 'formtable_main_1104'), 'requestId') }}
select
    "requestId" as oa_request_id,
    htbh as contract_no,
    jcsj as sent_date,
    kdgs as courier,
    kddh as tracking_no,
    sdsj as received_date,
    {{ yes_no('sfsd') }} as is_received,
    _extracted_at
from src
