-- The backlog at the end of the as-of date holds exactly the tasks open at that moment
-- (arrived before it, acted on after it or not yet; drafts never submitted aside).
with as_of as (
    select timezone('Asia/Shanghai', cast({{ as_of_date() }} + 1 as timestamp)) as day_end
),
backlog as (
    select coalesce(sum(open_items), 0) as items
    from {{ ref('rpt_workflow_backlog_daily') }}
    where backlog_date = {{ as_of_date() }}
),
open_tasks as (
    select count(*) as items
    from {{ ref('fct_workflow_node_visits') }} as v, as_of
    where not v.is_draft
        and v.arrived_at < as_of.day_end
        and (v.acted_at is null or v.acted_at > as_of.day_end)
)
select backlog.items as backlog_items, open_tasks.items as open_tasks
from backlog, open_tasks
where backlog.items <> open_tasks.items
