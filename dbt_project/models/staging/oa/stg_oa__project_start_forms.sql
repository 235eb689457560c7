-- Project start (项目启动, formtable_main_1111): projects are numbered <contract no>-P<n>.
with src as {{ latest_versions(source('oa', 'formtable_main_1111'), 'requestId') }}
select
    "requestId" as oa_request_id,
    xmbh as project_no,
    htbh as contract_no,
    xmmc as project_name,
    qdrq as start_date,
    xmjl as project_manager_name,
    xmje as project_amount,
    _extracted_at
from src
