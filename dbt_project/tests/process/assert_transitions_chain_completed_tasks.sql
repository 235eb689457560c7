-- Each instance's completed tasks form one chain: n completed tasks, n − 1 transitions, and
-- every completed task but the last starts an edge.
with tasks as (
    select workflow_instance_id, count(*) as completed
    from {{ ref('fct_workflow_node_visits') }}
    where acted_at is not null
    group by all
),
edges as (
    select workflow_instance_id, count(*) as transitions
    from {{ ref('fct_workflow_transitions') }}
    group by all
)
select *
from tasks
left join edges using (workflow_instance_id)
where coalesce(edges.transitions, 0) <> tasks.completed - 1
