-- Every task of every process in one shape — OA workflows, imported event logs and expense
-- approvals: one row per handler and node visit (cc excluded), arrived / acted instants, the
-- action that ended it, and the order PM4Py would give it (see docs/decisions.md).
with oa as (
    select
        task_id,
        workflow_instance_id,
        source_system,
        visit_no,
        node_id,
        node_name,
        node_position,
        handler_id,
        handler_name,
        cast(null as varchar) as handler_employee_code,
        handler_department_hint,
        arrived_at,
        acted_at,
        action,
        is_initiator_task,
        is_draft,
        is_start_observed
    from {{ ref('int_process__oa_tasks') }}
),
expense as (
    select
        task_id,
        workflow_instance_id,
        source_system,
        visit_no,
        node_id,
        node_name,
        node_position,
        handler_id,
        handler_name,
        handler_employee_code,
        cast(null as varchar) as handler_department_hint,
        arrived_at,
        acted_at,
        action,
        is_initiator_task,
        is_draft,
        is_start_observed
    from {{ ref('int_process__expense_tasks') }}
),
unioned as (
    select * from oa
    union all
    select * from expense
),
-- imported logs have no template: an activity's position is the rank of its mean position
-- (visit number) at its first occurrence in a case
first_occurrence as (
    select source_system, node_id, workflow_instance_id, min(visit_no) as first_visit_no
    from unioned
    where node_position is null
    group by all
),
el_positions as (
    select
        source_system,
        node_id,
        cast(dense_rank() over (partition by source_system order by avg(first_visit_no), node_id) as integer) as node_position
    from first_occurrence
    group by source_system, node_id
)
select
    u.task_id,
    i.instance_no,
    u.workflow_instance_id,
    u.source_system,
    u.visit_no,
    u.node_id,
    u.node_name,
    coalesce(u.node_position, p.node_position) as node_position,
    u.handler_id,
    u.handler_name,
    u.handler_employee_code,
    u.handler_department_hint,
    u.arrived_at,
    u.acted_at,
    u.action,
    u.is_initiator_task,
    u.is_draft,
    coalesce(u.action = 'auto_approve', false) as is_automated,
    u.is_start_observed,
    -- PM4Py's start of the event: the observed start, else the completion
    case when u.is_start_observed then u.arrived_at else u.acted_at end as pm4py_start_at,
    -- PM4Py's order of a case's events: start, completion, then the log's own order
    case when u.acted_at is not null then cast(row_number() over (
        partition by i.instance_no
        order by
            case when u.acted_at is null then 1 else 0 end,
            case when u.is_start_observed then u.arrived_at else u.acted_at end,
            u.acted_at,
            u.visit_no,
            u.task_id
    ) as integer) end as event_seq
from unioned as u
join {{ ref('int_process__instances') }} as i using (workflow_instance_id)
left join el_positions as p
    on p.source_system = u.source_system
    and p.node_id = u.node_id
    and u.node_position is null
