-- Overlap counted once: for a finished instance, the tasks' counted seconds (draft excluded)
-- add up to the union of their intervals = the sum over parallel groups of (last action −
-- first arrival).
with tasks as (
    select *
    from {{ ref('fct_workflow_node_visits') }}
    where not is_draft
        and workflow_instance_id in (select workflow_instance_id from {{ ref('fct_workflow_instances') }} where is_finished)
),
groups as (
    select workflow_instance_id, parallel_group_id, epoch(max(acted_at)) - epoch(min(arrived_at)) as span
    from tasks
    group by all
),
union_len as (
    select workflow_instance_id, sum(span) as union_seconds from groups group by all
),
counted as (
    select workflow_instance_id, sum(counted_seconds) as counted_seconds from tasks group by all
)
select *
from union_len
join counted using (workflow_instance_id)
where abs(union_seconds - counted_seconds) > 0.01
