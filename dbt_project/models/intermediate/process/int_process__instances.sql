-- Every process instance in one shape: OA workflow requests (the form's workflow), imported
-- event-log cases (workflow type = the --name of the import) and expense reports (the report
-- form), with the initiator and how the instance ended, if it did (end_state; NULL while it
-- is open — fct_workflow_instances tells a draft from one in progress).
with requests as (
    select
        oa_request_id,
        request_name,
        request_status,
        source_system,
        workflow_name,
        workflow_category,
        creator_oa_user_id,
        creator_name,
        created_at
    from {{ ref('stg_oa__workflow_requests') }}
),
reports as (
    select
        expense_report_oid,
        business_code,
        title,
        status_code,
        form_name,
        applicant_oid,
        applicant_name,
        employee_code,
        department_name,
        created_at
    from {{ ref('stg_expense__reports') }}
),
hist as (
    select expense_report_oid, business_code, operation_code, operator_oid, operator_name, acted_at, expense_approval_id
    from {{ ref('stg_expense__approval_history') }}
),
hist_summary as (
    select
        expense_report_oid,
        min(business_code) as business_code,
        arg_min(operator_oid, (acted_at, expense_approval_id)) filter (where operation_code = 1001) as submitter_oid,
        arg_min(operator_name, (acted_at, expense_approval_id)) filter (where operation_code = 1001) as submitter_name,
        arg_max(operation_code, (acted_at, expense_approval_id)) as last_operation_code,
        min(acted_at) as first_acted_at
    from hist
    group by all
),
oid_codes as (
    select applicant_oid as oid, min(employee_code) as employee_code
    from reports
    where applicant_oid is not null
    group by all
),
oa as (
    select
        oa_request_id as workflow_instance_id,
        source_system,
        workflow_name as workflow_type,
        workflow_category,
        request_name,
        creator_oa_user_id as initiator_id,
        creator_name as initiator_name,
        cast(null as varchar) as initiator_employee_code,
        cast(null as varchar) as initiator_department_hint,
        created_at,
        request_status as source_status,
        case
            when request_status = '归档' and source_system <> 'oa' then 'completed'
            when request_status = '归档' then 'approved'
            when request_status = '已否决' then 'rejected'
            when request_status = '已撤回' then 'withdrawn'
        end as end_state
    from requests
),
expense as (
    select
        'hly:' || coalesce(r.expense_report_oid, h.expense_report_oid) as workflow_instance_id,
        'expense' as source_system,
        -- a deleted report's form is gone with it
        coalesce(r.form_name, '报销单') as workflow_type,
        '费用报销' as workflow_category,
        coalesce(r.business_code, h.business_code) || coalesce(' ' || r.title, '') as request_name,
        coalesce(r.applicant_oid, h.submitter_oid) as initiator_id,
        coalesce(r.applicant_name, h.submitter_name) as initiator_name,
        coalesce(r.employee_code, c.employee_code) as initiator_employee_code,
        r.department_name as initiator_department_hint,
        coalesce(r.created_at, h.first_acted_at) as created_at,
        coalesce(cast(r.status_code as varchar), '1010') as source_status,
        case
            when r.status_code = 1005 then 'approved'
            when r.status_code = 1015 then 'cancelled'
            -- report gone (deleted, or quarantined by the extractor): its last action tells
            when r.expense_report_oid is null then
                case h.last_operation_code
                    when 1003 then 'rejected'
                    when 1006 then 'withdrawn'
                    when 1005 then 'approved'
                end
        end as end_state
    from reports as r
    full join hist_summary as h on h.expense_report_oid = r.expense_report_oid
    left join oid_codes as c on c.oid = h.submitter_oid
),
unioned as (
    select * from oa
    union all
    select * from expense
)
select
    -- a compact integer key for the per-instance window functions downstream
    cast(row_number() over (order by workflow_instance_id) as integer) as instance_no,
    *
from unioned
