-- Workflow instances (流程请求). Imported event logs appear here too
-- (source_system = 'eventlog:<name>').
with src as {{ latest_versions(source('oa', 'workflow_requests'), 'requestId') }}
select
    "requestId" as oa_request_id,
    "requestName" as request_name,
    "requestLevel" as request_level,
    status as request_status,
    coalesce(nullif("sysName", ''), 'oa') as source_system,
    "workflowBaseInfo.workflowId" as oa_workflow_id,
    "workflowBaseInfo.workflowName" as workflow_name,
    "workflowBaseInfo.workflowTypeName" as workflow_category,
    "workflowBaseInfo.formId" as oa_form_id,
    "creatorId" as creator_oa_user_id,
    "creatorName" as creator_name,
    "createTime" as created_at,
    "currentNodeId" as current_node_id,
    "currentNodeName" as current_node_name,
    "lastOperateTime" as last_operated_at,
    "lastOperatorId" as last_operator_oa_user_id,
    "receiveTime" as received_at,
    _extracted_at
from src
