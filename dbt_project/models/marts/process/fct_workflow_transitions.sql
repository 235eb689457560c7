-- Directly-follows edges (the performance DFG of PM4Py, one row per occurrence): each
-- completed task of an instance and the next one in PM4Py's event order (start, then
-- completion). Flow time = the next task's start − this task's completion, where a task's
-- start is its observed start (imported logs with lifecycle start / a start column) and
-- otherwise its completion — the rule that makes the mean and median per edge equal PM4Py's
-- discover_performance_dfg (docs/decisions.md "PM4Py agreement").
with tasks as (
    select
        t.task_id,
        t.instance_no,
        t.workflow_instance_id,
        t.source_system,
        t.node_id,
        t.node_name,
        t.node_position,
        t.handler_id,
        t.action,
        t.pm4py_start_at,
        t.acted_at,
        t.event_seq
    from {{ ref('int_process__tasks') }} as t
    where t.acted_at is not null
),
instances as (
    select instance_no, workflow_type
    from {{ ref('int_process__instances') }}
),
edges as (
    select
        t.*,
        lead(t.task_id) over w as to_task_id,
        lead(t.node_id) over w as to_node_id,
        lead(t.node_name) over w as to_node_name,
        lead(t.node_position) over w as to_node_position,
        lead(t.handler_id) over w as to_handler_id,
        lead(t.action) over w as to_action,
        lead(t.pm4py_start_at) over w as to_start_at
    from tasks as t
    window w as (partition by t.instance_no order by t.event_seq)
)
select
    e.workflow_instance_id || ':' || e.event_seq as transition_id,
    e.workflow_instance_id,
    e.source_system,
    i.workflow_type,
    e.event_seq as transition_seq,
    e.task_id as from_node_visit_id,
    e.to_task_id as to_node_visit_id,
    e.node_id as from_node_id,
    e.node_name as from_node_name,
    e.to_node_id,
    e.to_node_name,
    e.handler_id as from_handler_id,
    e.to_handler_id,
    e.action as from_action,
    e.to_action,
    e.acted_at as from_completed_at,
    e.to_start_at,
    {{ local_date('e.acted_at') }} as from_completed_date,
    epoch(e.to_start_at) - epoch(e.acted_at) as flow_seconds,
    round((epoch(e.to_start_at) - epoch(e.acted_at)) / 3600.0, 4) as flow_calendar_hours,
    {{ process_working_seconds('e.acted_at', 'e.to_start_at') }} as flow_working_seconds,
    round({{ process_working_seconds('e.acted_at', 'e.to_start_at') }} / 3600.0, 4) as flow_working_hours,
    case
        when e.to_node_id = e.node_id then 'lateral'
        when e.to_node_position > e.node_position then 'forward'
        when e.to_node_position < e.node_position then 'backward'
        else 'lateral'
    end as direction,
    epoch(e.to_start_at) < epoch(e.acted_at) as is_overlap
from edges as e
join instances as i using (instance_no)
where e.to_task_id is not null
