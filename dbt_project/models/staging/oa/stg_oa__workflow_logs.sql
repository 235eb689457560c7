-- Approval log (签字意见): one row per action on a request. Operate date and time are the
-- OA's Asia/Shanghai wall clock; acted_at is that instant.
with src as {{ latest_versions(source('oa', 'workflow_request_logs'), 'id') }}
select
    id as oa_log_id,
    "requestId" as oa_request_id,
    "workflowId" as oa_workflow_id,
    nodeid as node_id,
    nodename as node_name,
    nullif(destnodeid, '') as dest_node_id,
    operator as operator_oa_user_id,
    "operatorName" as operator_name,
    "operatorDept" as operator_department,
    logtype as log_type,
    "remarkHtml" as remark,
    timezone('Asia/Shanghai', operatedate + cast(operatetime as time)) as acted_at,
    nullif("receivedPersonids", '') as received_person_ids,
    -- E9 writes -1 when nobody acted as agent
    nullif(nullif(agentorbyagentid, ''), '-1') as agent_oa_user_id,
    _extracted_at
from src
