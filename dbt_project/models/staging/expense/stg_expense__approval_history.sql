-- Approval history of expense reports (operation codes 1001–1006, see docs/decisions.md).
with src as {{ latest_versions(source('expense', 'approvalHistory'), 'id') }}
select
    id as expense_approval_id,
    "expenseReportOID" as expense_report_oid,
    "businessCode" as business_code,
    operation as operation_code,
    "operationDesc" as operation_desc,
    "approvalNodeName" as node_name,
    "operatorOID" as operator_oid,
    "operatorName" as operator_name,
    remark,
    "createdDate" as acted_at,
    _extracted_at
from src
