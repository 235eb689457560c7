"""Landing shapes of the OA workflow tables (Weaver e-cology), shared by the OA extractor and
the event-log importer: an imported log lands in the same tables, ``sysName`` telling where
it came from (``""`` for the OA itself, ``eventlog:<name>`` for an import) and
``workflowBaseInfo.workflowName`` carrying the process name it was imported under.

Field names are the ones the OA serves; lookups are flattened with a dot
(``workflowBaseInfo.workflowId``). Weaver splits times into date and time strings in logs and
operator rows; they land as served (staging combines them, Asia/Shanghai).
"""

from __future__ import annotations

from extractors.records import EntitySpec

WORKFLOW_REQUESTS = EntitySpec(
    "oa",
    "workflow_requests",
    "requestId",
    (
        ("requestId", "string"),
        ("requestName", "string"),
        ("requestLevel", "string"),
        ("status", "string"),
        ("sysName", "string"),
        ("workflowBaseInfo.workflowId", "string"),
        ("workflowBaseInfo.workflowName", "string"),
        ("workflowBaseInfo.workflowTypeId", "string"),
        ("workflowBaseInfo.workflowTypeName", "string"),
        ("workflowBaseInfo.formId", "string"),
        ("creatorId", "string"),
        ("creatorName", "string"),
        ("createTime", "timestamp"),
        ("currentNodeId", "string"),
        ("currentNodeName", "string"),
        ("lastOperateTime", "timestamp"),
        ("lastOperatorId", "string"),
        ("lastOperatorName", "string"),
        ("receiveTime", "timestamp"),
    ),
)

WORKFLOW_REQUEST_LOGS = EntitySpec(
    "oa",
    "workflow_request_logs",
    "id",
    (
        ("id", "string"),
        ("requestId", "string"),
        ("workflowId", "string"),
        ("nodeid", "string"),
        ("nodename", "string"),
        ("destnodeid", "string"),
        ("operator", "string"),
        ("operatorName", "string"),
        ("operatorDept", "string"),
        ("operatedate", "date"),
        ("operatetime", "string"),
        ("logtype", "string"),
        ("remarkHtml", "string"),
        ("receivedPersons", "string"),
        ("receivedPersonids", "string"),
        ("isbranche", "string"),
        ("agentorbyagentid", "string"),
    ),
    required=frozenset({"requestId", "operatedate", "operatetime"}),
)

WORKFLOW_REQUEST_OPERATORS = EntitySpec(
    "oa",
    "workflow_request_operators",
    "id",
    (
        ("id", "string"),
        ("requestId", "string"),
        ("groupid", "string"),
        ("nodeid", "string"),
        ("nodeName", "string"),
        ("userid", "string"),
        ("userName", "string"),
        ("isremark", "string"),
        ("receivedate", "date"),
        ("receivetime", "string"),
        ("operatedate", "date"),
        ("operatetime", "string"),
        ("agenttype", "string"),
        ("agentorbyagentid", "string"),
    ),
    required=frozenset({"requestId"}),
)
