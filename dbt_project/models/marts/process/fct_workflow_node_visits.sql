-- One row per task: a handler at a node visit of a workflow instance (OA workflows, expense
-- approvals, imported event logs), cc excluded. Waiting time arrived → acted in calendar and
-- working time, the SLA target in force when the node was entered, and the behaviour flags.
-- Definitions: docs/decisions.md. Set-based throughout: working time is an
-- expression (process_working_clock), per-instance logic uses the integer instance_no.
with as_of as (
    select
        {{ as_of_date() }} as as_of_date,
        timezone('Asia/Shanghai', cast({{ as_of_date() }} + 1 as timestamp)) as as_of_end
),
instances as (
    select instance_no, workflow_type, initiator_id, initiator_employee_code
    from {{ ref('int_process__instances') }}
),
employees as (
    select oa_user_id, employee_code, employee_name, oa_department_id, department_name, manager_oa_user_id, valid_from, valid_to
    from {{ ref('dim_employees') }}
),
people as (
    select oa_user_id, max(employee_code) as employee_code, max(employee_name) as employee_name
    from employees
    group by all
),
by_code as (
    select employee_code, min(oa_user_id) as oa_user_id from people group by all
),
by_name as (
    -- names are unique in the HRM (an integrity test in the contract marts); ambiguous ones
    -- are not used
    select employee_name, min(oa_user_id) as oa_user_id
    from people
    group by all
    having count(*) = 1
),
-- the handler as an OA user: OA ids as they are; expense operators by employee number, else
-- by name; imported-log resources only when they name an employee exactly
resolved as (
    select
        t.*,
        i.workflow_type,
        case
            when t.source_system = 'oa' then t.handler_id
            when t.source_system = 'expense' then coalesce(bc.oa_user_id, bn.oa_user_id)
            else bn.oa_user_id
        end as handler_oa_user_id_found,
        coalesce(ic.oa_user_id, case when t.source_system = 'oa' then i.initiator_id end) as initiator_oa_user_id
    from {{ ref('int_process__tasks') }} as t
    join instances as i using (instance_no)
    left join by_code as bc on t.source_system = 'expense' and bc.employee_code = t.handler_employee_code
    left join by_name as bn on t.source_system <> 'oa' and bn.employee_name = t.handler_name
    left join by_code as ic on ic.employee_code = i.initiator_employee_code
),
-- expense steps that nobody has acted on (or that a withdrawal ended) name no handler: the
-- first leader step is the applicant's manager on the day it was reached (inferred)
with_department as (
    select
        r.*,
        coalesce(r.handler_oa_user_id_found, m.manager_oa_user_id) as handler_oa_user_id,
        r.handler_oa_user_id_found is null and m.manager_oa_user_id is not null as is_handler_inferred
    from resolved as r
    left join employees as m
        on r.source_system = 'expense'
        and r.handler_id is null
        and r.node_name = '直属领导审批'
        and m.oa_user_id = r.initiator_oa_user_id
        and m.valid_from <= {{ local_date('r.arrived_at') }}
        and {{ local_date('r.arrived_at') }} < m.valid_to
),
with_names as (
    select
        w.*,
        coalesce(e.oa_department_id, case when w.source_system = 'oa' then w.handler_department_hint end) as handler_department_id,
        coalesce(e.department_name, case when w.source_system not in ('oa', 'expense') then w.handler_department_hint end) as handler_department_name,
        p.employee_code as handler_employee_code_resolved,
        coalesce(w.handler_name, p.employee_name) as handler_display_name
    from with_department as w
    left join employees as e
        on e.oa_user_id = w.handler_oa_user_id
        and e.valid_from <= {{ local_date('w.arrived_at') }}
        and {{ local_date('w.arrived_at') }} < e.valid_to
    left join people as p on p.oa_user_id = w.handler_oa_user_id
),
-- the node visit: entered when its first task arrived; the SLA target is the one in force then
visits as (
    select
        instance_no,
        visit_no,
        min(arrived_at) as visit_entered_at,
        min(task_id) as first_task_id
    from {{ ref('int_process__tasks') }}
    group by all
),
node_first_visits as (
    select instance_no, node_id, min(visit_no) as first_visit_no
    from {{ ref('int_process__tasks') }}
    group by all
),
sla_keys as (
    select distinct i.workflow_type, t.node_name, {{ local_date('v.visit_entered_at') }} as entered_date
    from {{ ref('int_process__tasks') }} as t
    join instances as i using (instance_no)
    join visits as v using (instance_no, visit_no)
),
sla as (
    select
        k.workflow_type,
        k.node_name,
        k.entered_date,
        s.target_working_hours
    from sla_keys as k
    join {{ ref('process_sla_targets') }} as s
        on (s.workflow_type = k.workflow_type or s.workflow_type = '*')
        and (s.node_name = k.node_name or s.node_name = '*')
        and s.valid_from <= k.entered_date
        and k.entered_date < s.valid_to
    qualify row_number() over (
        partition by k.workflow_type, k.node_name, k.entered_date
        -- most specific first: type and node, node for any type, type for any node, * *
        order by case when s.node_name = '*' then 1 else 0 end, case when s.workflow_type = '*' then 1 else 0 end,
            -- should two rules of the same rank overlap: the later-starting one, then the
            -- smaller target (a deterministic choice)
            s.valid_from desc, s.target_working_hours nulls last
    ) = 1
),
-- counted once: a task's share of the instance's busy time is the part of it no earlier task
-- (by arrival) already covers, so overlapping tasks add up to the union of their intervals.
-- Parallel groups: maximal runs of overlapping tasks (a task opens a new group when it
-- arrives at or after the end of every earlier one). Windows run on narrow rows.
spans as (
    select
        t.task_id,
        t.instance_no,
        t.is_draft,
        t.arrived_at,
        coalesce(t.acted_at, a.as_of_end) as end_at
    from {{ ref('int_process__tasks') }} as t
    cross join as_of as a
),
covered as (
    select
        s.*,
        max(s.end_at) over (
            partition by s.instance_no, s.is_draft
            order by s.arrived_at, s.end_at, s.task_id
            rows between unbounded preceding and 1 preceding
        ) as covered_until
    from spans as s
),
grouped as (
    select
        task_id,
        instance_no,
        is_draft,
        covered_until,
        sum(case when covered_until is null or arrived_at >= covered_until then 1 else 0 end) over (
            partition by instance_no, is_draft
            order by arrived_at, end_at, task_id
            rows between unbounded preceding and current row
        ) as parallel_group_no
    from covered
),
group_sizes as (
    select instance_no, is_draft, parallel_group_no, count(*) as parallel_task_count
    from grouped
    group by all
),
-- batch work (PM4Py's batch detection: merge distance 15 min, at least 2 items): a human
-- decision with another decision of the same handler at most
-- var('process_batch_gap_minutes') before or after it
decisions as (
    select
        task_id,
        source_system || ':' || handler_id as handler_key,
        acted_at
    from {{ ref('int_process__tasks') }}
    where acted_at is not null
        and not is_automated
        and not is_initiator_task
        and action <> 'withdraw'
        and handler_id is not null
),
batches as (
    select
        task_id,
        coalesce(lag(acted_at) over w >= acted_at - to_minutes({{ var('process_batch_gap_minutes', 15) }}), false)
            or coalesce(lead(acted_at) over w <= acted_at + to_minutes({{ var('process_batch_gap_minutes', 15) }}), false)
            as is_batch_approval
    from decisions
    window w as (partition by handler_key order by acted_at, task_id)
),
flags as (
    select
        g.task_id,
        g.covered_until,
        g.instance_no || case when g.is_draft then ':d' else ':p' end || g.parallel_group_no as parallel_group_key,
        z.parallel_task_count,
        coalesce(b.is_batch_approval, false) as is_batch_approval
    from grouped as g
    join group_sizes as z using (instance_no, is_draft, parallel_group_no)
    left join batches as b using (task_id)
),
timed as (
    select
        d.*,
        v.visit_entered_at,
        d.task_id = v.first_task_id as is_visit_first_task,
        d.visit_no > nf.first_visit_no as is_rework_visit,
        sla.target_working_hours as sla_target_working_hours,
        a.as_of_end,
        f.covered_until,
        f.parallel_group_key,
        f.parallel_task_count,
        f.is_batch_approval,
        {{ process_working_clock('d.arrived_at') }} as arrived_clock,
        {{ process_working_clock('d.acted_at') }} as acted_clock,
        {{ process_working_clock('a.as_of_end') }} as as_of_clock,
        {{ process_working_clock('f.covered_until') }} as covered_until_clock
    from with_names as d
    cross join as_of as a
    join visits as v using (instance_no, visit_no)
    join node_first_visits as nf using (instance_no, node_id)
    join flags as f using (task_id)
    left join sla
        on sla.workflow_type = d.workflow_type
        and sla.node_name = d.node_name
        and sla.entered_date = {{ local_date('v.visit_entered_at') }}
),
days as (
    select date_day, is_workday, is_holiday
    from {{ ref('int_process__working_days') }}
)
select
    c.task_id as node_visit_id,
    c.workflow_instance_id,
    c.instance_no,
    c.source_system,
    c.workflow_type,
    c.visit_no,
    c.node_id,
    c.node_name,
    c.node_position,
    c.handler_id,
    c.handler_display_name as handler_name,
    c.handler_oa_user_id,
    c.handler_employee_code_resolved as handler_employee_code,
    c.handler_department_id,
    c.handler_department_name,
    c.is_handler_inferred,
    c.arrived_at,
    c.acted_at,
    {{ local_date('c.arrived_at') }} as arrived_date,
    {{ local_date('c.acted_at') }} as acted_date,
    c.visit_entered_at,
    c.action,
    c.acted_at is null as is_open,
    c.is_initiator_task,
    c.is_draft,
    c.is_automated,
    c.is_start_observed,
    c.pm4py_start_at,
    c.event_seq,
    c.is_visit_first_task,
    -- waiting (arrived → acted)
    epoch(c.acted_at) - epoch(c.arrived_at) as waiting_seconds,
    round((epoch(c.acted_at) - epoch(c.arrived_at)) / 3600.0, 4) as waiting_calendar_hours,
    c.acted_clock - c.arrived_clock as waiting_working_seconds,
    round((c.acted_clock - c.arrived_clock) / 3600.0, 4) as waiting_working_hours,
    -- still open: its age at the end of the as-of date
    case when c.acted_at is null then round((epoch(c.as_of_end) - epoch(c.arrived_at)) / 3600.0, 4) end as open_age_calendar_hours,
    case when c.acted_at is null then round((c.as_of_clock - c.arrived_clock) / 3600.0, 4) end as open_age_working_hours,
    -- counted once for the instance (overlap with earlier tasks removed)
    case when c.acted_at is not null then
        greatest(0, epoch(c.acted_at) - epoch(greatest(c.arrived_at, coalesce(c.covered_until, c.arrived_at))))
    end as counted_seconds,
    case when c.acted_at is not null then
        round(greatest(0, c.acted_clock - greatest(c.arrived_clock, coalesce(c.covered_until_clock, c.arrived_clock))) / 3600.0, 4)
    end as counted_working_hours,
    -- SLA
    c.sla_target_working_hours,
    case when c.sla_target_working_hours is not null then
        coalesce(c.acted_clock, c.as_of_clock) - c.arrived_clock > c.sla_target_working_hours * 3600
    end as is_sla_breached,
    -- when it was handled: human actions by the handler (not the system, not a withdrawal by
    -- the initiator)
    case when c.acted_at is not null and not c.is_automated and c.action <> 'withdraw' then {{ process_is_outside_working_time('c.acted_at') }} end as is_after_hours,
    case when c.acted_at is not null and not c.is_automated and c.action <> 'withdraw' then not dd.is_workday end as is_on_rest_day,
    case when c.acted_at is not null and not c.is_automated and c.action <> 'withdraw' then dd.is_holiday end as is_on_public_holiday,
    c.is_batch_approval,
    c.is_rework_visit,
    c.workflow_instance_id || ':' || split_part(c.parallel_group_key, ':', 2) as parallel_group_id,
    c.parallel_task_count,
    c.parallel_task_count > 1 as is_parallel
from timed as c
left join days as dd on dd.date_day = {{ local_date('c.acted_at') }}
