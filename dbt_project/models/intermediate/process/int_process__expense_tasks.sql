-- Tasks of expense approvals (Huilianyi 汇联易) in the common process shape. The approval
-- history holds one row per action, not when a step was reached: a step is reached when the
-- action before it in the report happened (the report's creation for the first submission).
-- A withdrawal (撤回, logged at 提交) ends the wait at the first leader step; reports still
-- in approval get one open task at the step their status and last action point to.
-- See docs/decisions.md "Expense tasks".
with reports as materialized (
    select
        expense_report_oid,
        status_code,
        applicant_oid,
        applicant_name,
        employee_code,
        created_at
    from {{ ref('stg_expense__reports') }}
),
hist as (
    select
        expense_approval_id,
        expense_report_oid,
        operation_code,
        node_name,
        operator_oid,
        operator_name,
        acted_at
    from {{ ref('stg_expense__approval_history') }}
),
oid_codes as (
    select applicant_oid as oid, min(employee_code) as employee_code
    from reports
    where applicant_oid is not null
    group by all
),
ordered as (
    select
        h.*,
        r.created_at as report_created_at,
        r.expense_report_oid is null as is_report_deleted,
        lag(h.acted_at) over w as prev_acted_at,
        lead(h.operation_code) over w as next_operation_code,
        row_number() over w as rn,
        sum(case when h.operation_code = 1001 then 1 else 0 end) over (
            partition by h.expense_report_oid order by h.acted_at, h.expense_approval_id
            rows between unbounded preceding and current row
        ) as submit_no
    from hist as h
    left join reports as r using (expense_report_oid)
    window w as (partition by h.expense_report_oid order by h.acted_at, h.expense_approval_id)
),
done as (
    select
        'hly:' || o.expense_approval_id as task_id,
        'hly:' || o.expense_report_oid as workflow_instance_id,
        'expense' as source_system,
        cast(o.rn as integer) as visit_no,
        -- a withdrawal ends the wait at the first leader step (logged at 提交 by the applicant)
        case when o.operation_code = 1006 then '直属领导审批' else o.node_name end as node_name,
        case when o.operation_code = 1006 then null else o.operator_oid end as handler_id,
        case when o.operation_code = 1006 then null else o.operator_name end as handler_name,
        case when o.operation_code = 1006 then null else c.employee_code end as handler_employee_code,
        coalesce(o.prev_acted_at, least(o.report_created_at, o.acted_at), o.acted_at) as arrived_at,
        o.acted_at,
        case o.operation_code
            when 1001 then case when o.submit_no = 1 then 'submit' else 'resubmit' end
            when 1002 then 'approve'
            -- 驳回 sends the report back to the applicant: a return, unless nothing follows and
            -- the report was deleted (a final rejection)
            when 1003 then case when o.next_operation_code is null and o.is_report_deleted then 'reject' else 'return' end
            when 1004 then 'approve'
            when 1005 then 'pay'
            when 1006 then 'withdraw'
            else 'other'
        end as action,
        o.operation_code = 1001 as is_initiator_task,
        o.operation_code = 1001 and o.submit_no = 1 as is_draft
    from ordered as o
    left join oid_codes as c on c.oid = o.operator_oid
),
last_action as (
    select
        expense_report_oid,
        max(rn) as last_rn,
        arg_max(operation_code, rn) as last_operation_code,
        arg_max(node_name, rn) as last_node_name,
        max(acted_at) as last_acted_at
    from ordered
    group by all
),
open_tasks as (
    select
        'hly-open:' || r.expense_report_oid as task_id,
        'hly:' || r.expense_report_oid as workflow_instance_id,
        'expense' as source_system,
        cast(coalesce(la.last_rn, 0) + 1 as integer) as visit_no,
        case
            when r.status_code = 1001 then '提交'
            when r.status_code = 1002 and la.last_operation_code = 1002 and la.last_node_name = '直属领导审批'
                then '分管领导审批'
            when r.status_code = 1002 then '直属领导审批'
            when r.status_code = 1003 then '财务审核'
            else '出纳付款'
        end as node_name,
        case when r.status_code = 1001 then r.applicant_oid end as handler_id,
        case when r.status_code = 1001 then r.applicant_name end as handler_name,
        case when r.status_code = 1001 then r.employee_code end as handler_employee_code,
        coalesce(la.last_acted_at, r.created_at) as arrived_at,
        cast(null as timestamptz) as acted_at,
        cast(null as varchar) as action,
        r.status_code = 1001 as is_initiator_task,
        r.status_code = 1001 and la.expense_report_oid is null as is_draft
    from reports as r
    left join last_action as la using (expense_report_oid)
    -- in approval, approved, audited, queued or paying; drafts (also after a return or a
    -- withdrawal: the applicant may resubmit)
    where r.status_code in (1001, 1002, 1003, 1004, 1007, 1008)
),
tasks as (
    select * from done
    union all
    select * from open_tasks
)
select
    task_id,
    workflow_instance_id,
    source_system,
    visit_no,
    'hly:' || node_name as node_id,
    node_name,
    case node_name
        when '提交' then 0
        when '直属领导审批' then 1
        when '分管领导审批' then 2
        when '财务审核' then 3
        when '出纳付款' then 4
        else 5
    end as node_position,
    handler_id,
    handler_name,
    handler_employee_code,
    arrived_at,
    acted_at,
    action,
    is_initiator_task,
    is_draft,
    false as is_start_observed
from tasks
