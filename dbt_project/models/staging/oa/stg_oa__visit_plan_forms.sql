-- Visit plan approval (拜访计划, formtable_main_1131).
with src as {{ latest_versions(source('oa', 'formtable_main_1131'), 'requestId') }}
select
    "requestId" as oa_request_id,
    jhbh as plan_no,
    xsry as salesperson_name,
    jhzq as plan_period,
    jhsl as planned_visits,
    _extracted_at
from src
