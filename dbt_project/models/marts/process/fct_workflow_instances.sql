-- One row per workflow instance — OA workflow request, expense report, imported event-log
-- case — with its throughput (submitted → finished) in calendar and working time, outcome,
-- rework, first-time-right, variant, SLA and long-running flags. Definitions:
-- docs/decisions.md.
{%- set day_s = process_workday_seconds() %}
with as_of as (
    select
        {{ as_of_date() }} as as_of_date,
        timezone('Asia/Shanghai', cast({{ as_of_date() }} + 1 as timestamp)) as as_of_end
),
instances as (
    select * from {{ ref('int_process__instances') }}
),
employees as (
    select oa_user_id, employee_code, employee_name, oa_department_id, department_name, valid_from, valid_to
    from {{ ref('dim_employees') }}
),
by_code as (
    select employee_code, min(oa_user_id) as oa_user_id from employees group by all
),
agg as (
    select
        instance_no,
        -- first submission: the end of the draft (OA / expense); an imported case starts with
        -- its first event (PM4Py's first timestamp)
        min(acted_at) filter (where is_draft) as first_submit_at,
        min(pm4py_start_at) as first_event_at,
        max(acted_at) as last_acted_at,
        count(*) filter (where not is_draft) as tasks,
        count(*) filter (where is_visit_first_task and not is_draft) as node_visits,
        count(*) filter (where is_visit_first_task and not is_draft and not is_rework_visit) as distinct_nodes,
        count(distinct coalesce(handler_oa_user_id, handler_id))
            filter (where not is_initiator_task and not is_automated and action is distinct from 'withdraw') as distinct_approvers,
        count(*) filter (where action = 'return') as returns,
        count(*) filter (where action = 'reject') as rejections,
        count(*) filter (where action = 'resubmit') as resubmits,
        count(*) filter (where action = 'transfer') as transfers,
        count(*) filter (where action = 'add_approver') as add_approver_consultations,
        count(*) filter (where action = 'withdraw' and is_visit_first_task) as withdrawals,
        count(*) filter (where is_automated) as auto_approvals,
        count(*) filter (where is_after_hours) as after_hours_actions,
        count(*) filter (where is_sla_breached) as sla_breached_visits,
        count(*) filter (where is_open and not is_draft) as open_tasks,
        -- exact decimal sums: the same on every build (macros/exact_decimal.sql)
        sum({{ exact_decimal('waiting_working_hours') }}) filter (where not is_draft) as waiting_working_hours_total,
        sum({{ exact_decimal('counted_working_hours') }}) filter (where not is_draft) as delay_working_hours,
        string_agg(node_name, ', ' order by node_name) filter (where is_open and not is_draft) as current_node_names,
        string_agg(coalesce(handler_name, handler_id), ', ' order by handler_name, handler_id) filter (where is_open and not is_draft) as current_handler_names
    from {{ ref('fct_workflow_node_visits') }}
    group by all
),
-- the variant: node visits in PM4Py's event order (a countersign visit appears once)
variant_visits as (
    select instance_no, visit_no, max(node_name) as node_name, min(event_seq) as first_seq
    from {{ ref('fct_workflow_node_visits') }}
    where acted_at is not null
    group by all
),
variants as (
    select instance_no, string_agg(node_name, ' → ' order by first_seq, visit_no) as variant
    from variant_visits
    group by all
),
base as (
    select
        i.*,
        a.* exclude (instance_no),
        v.variant,
        case when i.source_system in ('oa', 'expense') then a.first_submit_at else a.first_event_at end as submitted_at
    from instances as i
    left join agg as a using (instance_no)
    left join variants as v using (instance_no)
),
outcomes as (
    select
        b.*,
        coalesce(b.end_state, case when b.submitted_at is null then 'draft' else 'in_progress' end) as outcome,
        case when b.end_state is not null then b.last_acted_at end as finished_at,
        coalesce(ic.oa_user_id, case when b.source_system = 'oa' then b.initiator_id end) as initiator_oa_user_id
    from base as b
    left join by_code as ic on ic.employee_code = b.initiator_employee_code
)
select
    o.workflow_instance_id,
    o.instance_no,
    o.source_system,
    o.workflow_type,
    o.workflow_category,
    o.request_name,
    o.initiator_id,
    o.initiator_name,
    o.initiator_oa_user_id,
    e.employee_code as initiator_employee_code,
    -- department at submission (or at creation for a draft)
    e.oa_department_id as initiator_department_id,
    coalesce(e.department_name, o.initiator_department_hint) as initiator_department_name,
    o.created_at,
    o.submitted_at,
    o.finished_at,
    {{ local_date('o.submitted_at') }} as submitted_date,
    {{ local_date('o.finished_at') }} as finished_date,
    o.source_status,
    o.outcome,
    o.finished_at is not null as is_finished,
    -- throughput: submitted → finished
    epoch(o.finished_at) - epoch(o.submitted_at) as throughput_seconds,
    round((epoch(o.finished_at) - epoch(o.submitted_at)) / 3600.0, 4) as throughput_calendar_hours,
    {{ process_working_seconds('o.submitted_at', 'o.finished_at') }} as throughput_working_seconds,
    round({{ process_working_seconds('o.submitted_at', 'o.finished_at') }} / 3600.0, 4) as throughput_working_hours,
    round({{ process_working_seconds('o.submitted_at', 'o.finished_at') }} / {{ day_s }}.0, 4) as throughput_working_days,
    -- open instances: age at the end of the as-of date
    case when o.finished_at is null and o.submitted_at is not null then
        round({{ process_working_seconds('o.submitted_at', 'a.as_of_end') }} / 3600.0, 4)
    end as open_age_working_hours,
    coalesce(o.tasks, 0) as tasks,
    coalesce(o.node_visits, 0) as node_visits,
    coalesce(o.distinct_nodes, 0) as distinct_nodes,
    coalesce(o.node_visits, 0) - coalesce(o.distinct_nodes, 0) as rework_visits,
    coalesce(o.distinct_approvers, 0) as distinct_approvers,
    coalesce(o.returns, 0) as returns,
    coalesce(o.rejections, 0) as rejections,
    coalesce(o.resubmits, 0) as resubmits,
    coalesce(o.transfers, 0) as transfers,
    coalesce(o.add_approver_consultations, 0) as add_approver_consultations,
    coalesce(o.withdrawals, 0) as withdrawals,
    coalesce(o.auto_approvals, 0) as auto_approvals,
    coalesce(o.after_hours_actions, 0) as after_hours_actions,
    case
        when o.finished_at is null then null
        else o.outcome in ('approved', 'completed')
            and coalesce(o.returns, 0) + coalesce(o.rejections, 0) + coalesce(o.resubmits, 0) + coalesce(o.withdrawals, 0) = 0
            and coalesce(o.node_visits, 0) = coalesce(o.distinct_nodes, 0)
    end as is_first_time_right,
    o.variant,
    substr(md5(coalesce(o.workflow_type, '') || '|' || coalesce(o.variant, '')), 1, 16) as variant_id,
    cast(o.waiting_working_hours_total as double) as waiting_working_hours_total,
    cast(o.delay_working_hours as double) as delay_working_hours,
    coalesce(o.sla_breached_visits, 0) as sla_breached_visits,
    coalesce(o.sla_breached_visits, 0) > 0 as is_sla_breached,
    -- long-running: more than var('process_long_running_working_days') working days from
    -- submission to the end (or to the as-of date while open)
    o.submitted_at is not null and {{ process_working_seconds('o.submitted_at', 'coalesce(o.finished_at, a.as_of_end)') }}
        > {{ var('process_long_running_working_days', 10) }} * {{ day_s }} as is_long_running,
    o.current_node_names,
    o.current_handler_names
from outcomes as o
cross join as_of as a
left join employees as e
    on e.oa_user_id = o.initiator_oa_user_id
    and e.valid_from <= {{ local_date('coalesce(o.submitted_at, o.created_at)') }}
    and {{ local_date('coalesce(o.submitted_at, o.created_at)') }} < e.valid_to
