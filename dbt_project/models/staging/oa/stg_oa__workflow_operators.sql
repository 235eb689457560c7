-- Operators per node visit (workflow_currentoperator): who received a node and when they acted.
-- group_no is the node-visit number within the request (1 = the creator's draft).
with src as {{ latest_versions(source('oa', 'workflow_request_operators'), 'id') }}
select
    id as oa_operator_id,
    "requestId" as oa_request_id,
    try_cast(groupid as integer) as group_no,
    nodeid as node_id,
    "nodeName" as node_name,
    userid as operator_oa_user_id,
    "userName" as operator_name,
    isremark as remark_state,
    timezone('Asia/Shanghai', receivedate + cast(receivetime as time)) as received_at,
    case when operatedate is not null
        then timezone('Asia/Shanghai', operatedate + cast(operatetime as time)) end as acted_at,
    agenttype as agent_type,
    -- E9 writes -1 when nobody acted as agent
    nullif(nullif(agentorbyagentid, ''), '-1') as agent_oa_user_id,
    _extracted_at
from src
