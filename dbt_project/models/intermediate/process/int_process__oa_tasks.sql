-- Tasks of OA workflows and imported event logs in the common process shape (one row per
-- handler and node visit, cc excluded): the OA's operator rows (workflow_currentoperator)
-- with the action read from the approval log, plus the node visits a withdrawal removed from
-- the OA (E9 deletes the pending handlers' rows; they are rebuilt from the submit and 撤回
-- log rows). Imported event logs: one task per activity instance (its operator row).
-- See docs/decisions.md "OA tasks" and "Imported event logs".
with requests as materialized (
    select oa_request_id, source_system
    from {{ ref('stg_oa__workflow_requests') }}
),
ops as materialized (
    select
        o.oa_operator_id,
        o.oa_request_id,
        r.source_system,
        o.group_no,
        o.node_id,
        o.node_name,
        o.operator_oa_user_id,
        o.operator_name,
        o.received_at,
        o.acted_at
    from {{ ref('stg_oa__workflow_operators') }} as o
    join requests as r using (oa_request_id)
    where o.remark_state not in ('8', '9')  -- cc (抄送) needs no action: not a task
),
logs as materialized (
    select
        oa_log_id,
        oa_request_id,
        oa_workflow_id,
        node_id,
        operator_oa_user_id,
        operator_department,
        log_type,
        remark,
        acted_at,
        dest_node_id,
        received_person_ids
    from {{ ref('stg_oa__workflow_logs') }}
    where log_type in ('0', '2', '3', 'b', 'h', 'r')
),
-- the log row that closed an OA task: same request, node, operator and instant (one per
-- key; should two share it, an approval wins over a return, a transfer, a reply; then the
-- lowest log id, so that the choice does not depend on the scan order)
closing_logs as (
    select
        oa_request_id,
        node_id,
        operator_oa_user_id,
        acted_at,
        arg_min(
            {'log_type': log_type, 'remark': remark, 'operator_department': operator_department},
            (case log_type when '0' then 1 when '3' then 2 when 'h' then 3 when 'b' then 4 else 5 end, oa_log_id)
        ) as closing
    from logs
    where log_type in ('0', '2', '3', 'b', 'h')
        and oa_workflow_id not like 'eventlog:%'
    group by all
),
oa_matched as (
    select
        o.*,
        l.closing.log_type as log_type,
        l.closing.remark as remark,
        l.closing.operator_department as operator_department
    from ops as o
    left join closing_logs as l
        on l.oa_request_id = o.oa_request_id
        and l.node_id = o.node_id
        and l.operator_oa_user_id = o.operator_oa_user_id
        and l.acted_at = o.acted_at
    where o.source_system = 'oa'
),
-- members of a node visit received together (countersign 会签); consultations and transfers
-- arrive later and do not count
arrivals as (
    select oa_request_id, group_no, received_at, count(distinct operator_oa_user_id) as handlers
    from oa_matched
    group by all
),
visit_entries as (
    select
        oa_request_id,
        group_no,
        min(received_at) as visit_entered_at,
        arg_min(handlers, received_at) as handlers_at_entry
    from arrivals
    group by all
),
oa_tasks as (
    select
        m.oa_operator_id as task_id,
        m.oa_request_id as workflow_instance_id,
        m.source_system,
        m.group_no as visit_no,
        m.node_id,
        m.node_name,
        cast(try_cast(m.node_id as bigint) % 100 as integer) as node_position,
        m.operator_oa_user_id as handler_id,
        m.operator_name as handler_name,
        m.operator_department as handler_department_hint,
        m.received_at as arrived_at,
        m.acted_at,
        case
            when m.acted_at is null then null
            when m.log_type = '2' then case when m.group_no = 1 then 'submit' else 'resubmit' end
            when m.log_type = '0' and m.remark = '系统自动批准' then 'auto_approve'
            when m.log_type = '0' and v.handlers_at_entry > 1 and m.received_at = v.visit_entered_at
                then 'countersign'
            when m.log_type = '0' then 'approve'
            when m.log_type = '3' and m.remark = '不同意' then 'reject'
            when m.log_type = '3' then 'return'
            when m.log_type = 'h' then 'transfer'
            when m.log_type = 'b' then 'add_approver'
            else 'other'
        end as action,
        try_cast(m.node_id as bigint) % 100 = 0 as is_initiator_task,
        try_cast(m.node_id as bigint) % 100 = 0 and m.group_no = 1 as is_draft,
        false as is_start_observed
    from oa_matched as m
    left join visit_entries as v using (oa_request_id, group_no)
),
-- withdrawals (撤回): the node visit the OA deleted, rebuilt from the submit before it
submits as (
    select oa_request_id, acted_at, dest_node_id, received_person_ids
    from logs
    where log_type = '2'
    -- one per request and instant (the ASOF join below would pick any of several): the
    -- latest-logged (highest log id)
    qualify row_number() over (partition by oa_request_id, acted_at order by oa_log_id desc) = 1
),
withdrawals as (
    select
        w.oa_log_id,
        w.oa_request_id,
        w.acted_at as withdrawn_at,
        s.acted_at as submitted_at,
        s.dest_node_id,
        s.received_person_ids
    from logs as w
    asof join submits as s
        on s.oa_request_id = w.oa_request_id
        and w.acted_at >= s.acted_at
    where w.log_type = 'r'
),
node_names as (
    select node_id, min(node_name) as node_name
    from ops
    where node_id in (select dest_node_id from withdrawals)
    group by all
),
withdrawn_tasks as (
    select
        'wd:' || w.oa_log_id || ':' || trim(h.handler_id) as task_id,
        w.oa_request_id as workflow_instance_id,
        'oa' as source_system,
        c.group_no + 1 as visit_no,
        w.dest_node_id as node_id,
        n.node_name,
        cast(try_cast(w.dest_node_id as bigint) % 100 as integer) as node_position,
        trim(h.handler_id) as handler_id,
        cast(null as varchar) as handler_name,
        cast(null as varchar) as handler_department_hint,
        w.submitted_at as arrived_at,
        w.withdrawn_at as acted_at,
        'withdraw' as action,
        false as is_initiator_task,
        false as is_draft,
        false as is_start_observed
    from withdrawals as w
    cross join unnest(string_split(coalesce(w.received_person_ids, ''), ',')) as h(handler_id)
    left join node_names as n on n.node_id = w.dest_node_id
    -- the creator's task that made the submit: the withdrawn visit is the next group
    left join oa_matched as c
        on c.oa_request_id = w.oa_request_id
        and c.acted_at = w.submitted_at
        and c.log_type = '2'
    where trim(h.handler_id) <> ''
),
-- imported event logs: the operator row is the activity instance; its log row (same id)
-- carries the resource's group
el as (
    select
        o.*,
        l.operator_department,
        -- the completion before this one in the case (strictly earlier), as the importer
        -- infers a missing start
        max(o.acted_at) over (
            partition by o.oa_request_id order by o.acted_at
            range between unbounded preceding and current row exclude group
        ) as prev_done_at
    from ops as o
    left join logs as l on l.oa_log_id = o.oa_operator_id
    where o.source_system <> 'oa'
),
el_tasks as (
    select
        oa_operator_id as task_id,
        oa_request_id as workflow_instance_id,
        source_system,
        group_no as visit_no,
        node_id,
        node_name,
        cast(null as integer) as node_position,
        operator_oa_user_id as handler_id,
        operator_name as handler_name,
        operator_department as handler_department_hint,
        received_at as arrived_at,
        acted_at,
        case when acted_at is not null then 'complete' end as action,
        false as is_initiator_task,
        false as is_draft,
        -- the importer lands a missing start as the previous completion (or the activity's
        -- own completion for the first): anything else was observed in the log
        received_at <> acted_at and received_at <> coalesce(prev_done_at, acted_at) as is_start_observed
    from el
)
select * from oa_tasks
union all
select * from withdrawn_tasks
union all
select * from el_tasks
