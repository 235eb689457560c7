-- Expense reports (报销单). Huilianyi publishes no delete feed: a deleted report (status 1010)
-- lands as a tombstone and disappears here.
with src as {{ latest_versions(source('expense', 'expenseReport'), 'id') }}
select
    id as expense_report_id,
    "expenseReportOID" as expense_report_oid,
    "businessCode" as business_code,
    status as status_code,
    type as report_type_code,
    "applicantOID" as applicant_oid,
    "applicantName" as applicant_name,
    "applicantEmployeeId" as employee_code,
    "departmentOID" as department_oid,
    "departmentName" as department_name,
    "departmentPath" as department_path,
    "formCode" as form_code,
    "formName" as form_name,
    title,
    "currencyCode" as currency,
    "totalAmount" as total_amount,
    "realPaymentAmount" as paid_amount,
    "expenseTypeCode" as expense_type_code,
    "expenseTypeName" as expense_type_name,
    "customerName" as customer_name,
    "firstSubmittedDate" as first_submitted_at,
    "lastSubmittedDate" as last_submitted_at,
    "createdDate" as created_at,
    "lastModifiedDate" as modified_at,
    _extracted_at
from src
