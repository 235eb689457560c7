-- Open approval items at the end of each day (Asia/Shanghai midnight), per workflow type,
-- node, handler and age bucket (working hours since the item arrived, buckets from the
-- process_age_buckets seed). An item is a task (fct_workflow_node_visits) that arrived before
-- the day's end and was not acted on by then; drafts never submitted are not items. Days run
-- up to the as-of date.
with as_of as (
    select {{ as_of_date() }} as as_of_date
),
items as (
    select
        v.node_visit_id,
        v.source_system,
        v.workflow_type,
        v.node_id,
        v.node_name,
        v.handler_id,
        v.handler_oa_user_id,
        v.handler_name,
        v.handler_department_name,
        v.arrived_at,
        v.acted_at,
        v.sla_target_working_hours,
        {{ process_working_clock('v.arrived_at') }} as arrived_clock,
        {{ local_date('v.arrived_at') }} as first_day,
        -- the last day whose end (next midnight) comes strictly before the action
        least(
            coalesce(cast({{ local_ts('v.acted_at') }} - interval 1 microsecond as date) - 1, a.as_of_date),
            a.as_of_date
        ) as last_day
    from {{ ref('fct_workflow_node_visits') }} as v
    cross join as_of as a
    where not v.is_draft
        and v.arrived_at < coalesce(v.acted_at, 'infinity'::timestamptz)
),
item_days as (
    select
        i.*,
        cast(unnest(generate_series(i.first_day, i.last_day, interval 1 day)) as date) as backlog_date
    from items as i
    where i.last_day >= i.first_day
),
aged as (
    select
        d.*,
        timezone('Asia/Shanghai', cast(d.backlog_date + 1 as timestamp)) as day_end
    from item_days as d
),
measured as (
    select
        a.*,
        (epoch(a.day_end) - epoch(a.arrived_at)) / 3600.0 as age_calendar_hours,
        {{ process_working_clock('a.day_end') }} - a.arrived_clock as age_working_seconds
    from aged as a
),
with_hours as (
    select m.*, m.age_working_seconds / 3600.0 as age_working_hours
    from measured as m
),
-- the buckets are contiguous (a seed test checks it): each age falls in exactly one
bucketed as (
    select m.*, b.bucket_order, b.age_bucket
    from with_hours as m
    join {{ ref('process_age_buckets') }} as b
        on (m.age_working_hours > b.min_working_hours or b.bucket_order = 1)
        and (b.max_working_hours is null or m.age_working_hours <= b.max_working_hours)
)
select
    md5(concat_ws('|', backlog_date, source_system, workflow_type, node_id, coalesce(handler_id, '?'), age_bucket)) as backlog_row_id,
    backlog_date,
    source_system,
    workflow_type,
    node_id,
    node_name,
    handler_id,
    max(handler_oa_user_id) as handler_oa_user_id,
    max(handler_name) as handler_name,
    max(handler_department_name) as handler_department_name,
    bucket_order,
    age_bucket,
    count(*) as open_items,
    count(*) filter (where sla_target_working_hours is not null
        and age_working_hours > sla_target_working_hours) as sla_breached_items,
    -- the mean over exact seconds: a sum of doubles depends on the order of the parallel
    -- additions, and ROUND() would flip on a tie (macros/exact_decimal.sql)
    round(avg({{ exact_decimal('age_working_seconds', 6) }}) / 3600.0, 4) as avg_age_working_hours,
    round(max(age_working_hours), 4) as max_age_working_hours,
    round(max(age_calendar_hours), 4) as max_age_calendar_hours
from bucketed
group by backlog_date, source_system, workflow_type, node_id, node_name, handler_id, bucket_order, age_bucket
