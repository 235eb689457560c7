-- My approvals (我的流程) for the personal portal: per person (OA user), the items pending
-- with them (open tasks — 待办), what they sent (instances they initiated — 我发起的) and
-- what they handled (tasks they acted on — 已办). Only people who resolve to an employee;
-- drafts never submitted are not items. Ages and breaches as of the end of the as-of date.
with instances as (
    select
        workflow_instance_id,
        source_system,
        workflow_type,
        request_name,
        initiator_name,
        initiator_oa_user_id,
        outcome,
        submitted_at,
        finished_at,
        throughput_working_hours,
        open_age_working_hours,
        is_sla_breached,
        current_node_names,
        current_handler_names
    from {{ ref('fct_workflow_instances') }}
),
people as (
    select oa_user_id, max(employee_code) as employee_code, max(employee_name) as employee_name
    from {{ ref('dim_employees') }}
    group by all
),
task_items as (
    select
        case when v.is_open then 'pending' else 'done' end as item_type,
        v.handler_oa_user_id as person_oa_user_id,
        v.node_visit_id,
        v.workflow_instance_id,
        v.node_name,
        v.arrived_at,
        v.acted_at,
        v.action,
        case when v.is_open then v.open_age_working_hours else v.waiting_working_hours end as age_working_hours,
        v.sla_target_working_hours,
        v.is_sla_breached
    from {{ ref('fct_workflow_node_visits') }} as v
    where v.handler_oa_user_id is not null
        and not v.is_draft
        -- the initiator's own steps (resubmitting after a return) are pending items, but
        -- their submissions are what they sent, not what they handled
        and (v.is_open or not v.is_initiator_task)
),
sent_items as (
    select
        'sent' as item_type,
        i.initiator_oa_user_id as person_oa_user_id,
        cast(null as varchar) as node_visit_id,
        i.workflow_instance_id,
        i.current_node_names as node_name,
        i.submitted_at as arrived_at,
        i.finished_at as acted_at,
        i.outcome as action,
        coalesce(i.throughput_working_hours, i.open_age_working_hours) as age_working_hours,
        cast(null as double) as sla_target_working_hours,
        i.is_sla_breached
    from instances as i
    where i.initiator_oa_user_id is not null
        and i.submitted_at is not null
),
items as (
    select * from task_items
    union all
    select * from sent_items
)
select
    it.item_type || ':' || coalesce(it.node_visit_id, it.workflow_instance_id) as item_id,
    it.person_oa_user_id,
    p.employee_code as person_employee_code,
    p.employee_name as person_name,
    it.item_type,
    it.workflow_instance_id,
    it.node_visit_id,
    i.source_system,
    i.workflow_type,
    i.request_name,
    i.initiator_name,
    i.outcome as instance_outcome,
    it.node_name,
    it.arrived_at,
    it.acted_at,
    it.action,
    round(it.age_working_hours, 4) as age_working_hours,
    it.sla_target_working_hours,
    it.is_sla_breached,
    i.current_handler_names
from items as it
join people as p on p.oa_user_id = it.person_oa_user_id
join instances as i using (workflow_instance_id)
