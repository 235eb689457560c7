"""Landing shapes of the Huilianyi (汇联易) entities: source field names as the open API serves
them (``HLY_ExpenseV2``), money as DECIMAL, ``*Date`` fields as UTC timestamps.

``expenseTypeVOList`` / ``expenseFieldVOList`` (asked for with ``withExpenseType`` /
``withExpenseField``) land as JSON text: a real tenant carries expense type and custom fields
only there, while the flat ``expenseTypeCode`` / ``customerName`` are this deployment's.
"""

from __future__ import annotations

from extractors.records import EntitySpec

DELETED = 1010  # 已删除: Huilianyi has no delete feed; a deleted report keeps this status
STATUSES = frozenset({1001, 1002, 1003, 1004, 1005, 1007, 1008, DELETED, 1015})

EXPENSE_REPORT = EntitySpec(
    "expense",
    "expenseReport",
    "id",
    (
        ("id", "string"),
        ("expenseReportOID", "string"),
        ("businessCode", "string"),
        ("status", "int"),
        ("type", "int"),
        ("applicantOID", "string"),
        ("applicantName", "string"),
        ("applicantEmployeeId", "string"),
        ("departmentOID", "string"),
        ("departmentName", "string"),
        ("departmentPath", "string"),
        ("companyCode", "string"),
        ("companyName", "string"),
        ("formCode", "string"),
        ("formName", "string"),
        ("title", "string"),
        ("currencyCode", "string"),
        ("totalAmount", "decimal"),
        ("realPaymentAmount", "decimal"),
        ("expenseTypeCode", "string"),
        ("expenseTypeName", "string"),
        ("customerName", "string"),
        ("firstSubmittedDate", "timestamp"),
        ("lastSubmittedDate", "timestamp"),
        ("createdDate", "timestamp"),
        ("lastModifiedDate", "timestamp"),
        ("version", "int"),
        ("expenseTypeVOList", "json"),
        ("expenseFieldVOList", "json"),
    ),
    accepted={"status": STATUSES},
)

APPROVAL_HISTORY = EntitySpec(
    "expense",
    "approvalHistory",
    "id",
    (
        ("id", "string"),
        ("expenseReportOID", "string"),
        ("businessCode", "string"),
        ("operation", "int"),
        ("operationDesc", "string"),
        ("approvalNodeName", "string"),
        ("operatorOID", "string"),
        ("operatorName", "string"),
        ("remark", "string"),
        ("createdDate", "timestamp"),
    ),
    required=frozenset({"businessCode"}),
)
