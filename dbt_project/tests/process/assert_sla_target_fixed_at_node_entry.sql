-- Every task carries the SLA target of the most specific process_sla_targets row in force on
-- the day its node visit was entered (not today's): no matching row valid that day is more
-- specific, and the chosen one has the task's target.
with visits as (
    select
        node_visit_id,
        workflow_type,
        node_name,
        sla_target_working_hours,
        cast(timezone('Asia/Shanghai', visit_entered_at) as date) as entered_date
    from {{ ref('fct_workflow_node_visits') }}
),
candidates as (
    select
        v.node_visit_id,
        s.target_working_hours,
        (case when s.node_name = '*' then 2 else 0 end) + (case when s.workflow_type = '*' then 1 else 0 end) as generality
    from visits as v
    join {{ ref('process_sla_targets') }} as s
        on s.workflow_type in (v.workflow_type, '*')
        and s.node_name in (v.node_name, '*')
        and v.entered_date >= s.valid_from
        and v.entered_date < s.valid_to
),
best as (
    select node_visit_id, arg_min_null(target_working_hours, generality) as target_working_hours
    from candidates
    group by all
)
select v.node_visit_id, v.sla_target_working_hours, b.target_working_hours as expected
from visits as v
left join best as b using (node_visit_id)
where v.sla_target_working_hours is distinct from b.target_working_hours
