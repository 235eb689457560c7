-- Process overview per workflow type and month (Asia/Shanghai): instances submitted and
-- finished (by outcome), open at the month's end, throughput of those finished (mean / p50 /
-- p90, calendar and working hours), first-time-right, returns, SLA, long-running, automation
-- and after-hours shares. Months run from the type's first submission to the as-of month (or its last activity).
-- Definitions: docs/decisions.md.
with as_of as (
    select cast(date_trunc('month', {{ as_of_date() }}) as date) as as_of_month
),
instances as (
    select
        *,
        cast(date_trunc('month', submitted_date) as date) as submitted_month,
        cast(date_trunc('month', finished_date) as date) as finished_month
    from {{ ref('fct_workflow_instances') }}
    where submitted_at is not null
),
types as (
    select
        source_system,
        workflow_type,
        min(submitted_month) as first_month,
        max(coalesce(finished_month, submitted_month)) as last_month
    from instances
    group by all
),
spine as (
    select
        t.source_system,
        t.workflow_type,
        cast(unnest(generate_series(t.first_month, greatest(t.last_month, a.as_of_month), interval 1 month)) as date) as month_start
    from types as t
    cross join as_of as a
),
submitted as (
    select source_system, workflow_type, submitted_month as month_start, count(*) as submitted
    from instances
    group by all
),
finished as (
    select
        source_system,
        workflow_type,
        finished_month as month_start,
        count(*) as finished,
        count(*) filter (where outcome = 'approved') as approved,
        count(*) filter (where outcome = 'completed') as completed,
        count(*) filter (where outcome = 'rejected') as rejected,
        count(*) filter (where outcome = 'withdrawn') as withdrawn,
        count(*) filter (where outcome in ('cancelled', 'deleted')) as cancelled_or_deleted,
        -- means and sums over exact decimals: the same on every build (macros/exact_decimal.sql)
        round(avg({{ exact_decimal('throughput_calendar_hours') }}), 4) as mean_throughput_calendar_hours,
        round(quantile_cont(throughput_calendar_hours, 0.5), 4) as p50_throughput_calendar_hours,
        round(quantile_cont(throughput_calendar_hours, 0.9), 4) as p90_throughput_calendar_hours,
        round(avg({{ exact_decimal('throughput_working_hours') }}), 4) as mean_throughput_working_hours,
        round(quantile_cont(throughput_working_hours, 0.5), 4) as p50_throughput_working_hours,
        round(quantile_cont(throughput_working_hours, 0.9), 4) as p90_throughput_working_hours,
        count(*) filter (where is_first_time_right) as first_time_right,
        count(*) filter (where returns + rejections > 0) as with_returns,
        round(avg(node_visits), 4) as avg_node_visits,
        round(avg(rework_visits), 4) as avg_rework_visits,
        count(*) filter (where is_sla_breached) as sla_breached,
        count(*) filter (where is_long_running) as long_running,
        cast(sum({{ exact_decimal('delay_working_hours') }}) as double) as delay_working_hours
    from instances
    where finished_at is not null
    group by all
),
tasks as (
    select
        v.source_system,
        v.workflow_type,
        cast(date_trunc('month', v.acted_date) as date) as month_start,
        count(*) filter (where not v.is_initiator_task and v.action <> 'withdraw') as approval_tasks,
        count(*) filter (where v.is_automated) as automated_tasks,
        count(*) filter (where not v.is_automated) as human_tasks,
        count(*) filter (where v.is_after_hours) as after_hours_tasks
    from {{ ref('fct_workflow_node_visits') }} as v
    where v.acted_at is not null and not v.is_draft
    group by all
),
joined as (
    select
        s.source_system,
        s.workflow_type,
        s.month_start,
        coalesce(sb.submitted, 0) as submitted,
        coalesce(f.finished, 0) as finished,
        coalesce(f.approved, 0) as approved,
        coalesce(f.completed, 0) as completed,
        coalesce(f.rejected, 0) as rejected,
        coalesce(f.withdrawn, 0) as withdrawn,
        coalesce(f.cancelled_or_deleted, 0) as cancelled_or_deleted,
        -- work in progress at the month's end: submitted so far − finished so far
        sum(coalesce(sb.submitted, 0) - coalesce(f.finished, 0)) over (
            partition by s.source_system, s.workflow_type order by s.month_start
            rows between unbounded preceding and current row
        )::bigint as open_at_month_end,
        f.mean_throughput_calendar_hours,
        f.p50_throughput_calendar_hours,
        f.p90_throughput_calendar_hours,
        f.mean_throughput_working_hours,
        f.p50_throughput_working_hours,
        f.p90_throughput_working_hours,
        coalesce(f.first_time_right, 0) as first_time_right,
        coalesce(f.with_returns, 0) as with_returns,
        f.avg_node_visits,
        f.avg_rework_visits,
        coalesce(f.sla_breached, 0) as sla_breached,
        coalesce(f.long_running, 0) as long_running,
        coalesce(f.delay_working_hours, 0) as delay_working_hours,
        coalesce(t.approval_tasks, 0) as approval_tasks,
        coalesce(t.automated_tasks, 0) as automated_tasks,
        coalesce(t.human_tasks, 0) as human_tasks,
        coalesce(t.after_hours_tasks, 0) as after_hours_tasks
    from spine as s
    left join submitted as sb using (source_system, workflow_type, month_start)
    left join finished as f using (source_system, workflow_type, month_start)
    left join tasks as t using (source_system, workflow_type, month_start)
)
select
    md5(concat_ws('|', source_system, workflow_type, month_start)) as overview_row_id,
    source_system,
    workflow_type,
    month_start,
    strftime(month_start, '%Y-%m') as year_month,
    submitted,
    finished,
    approved,
    completed,
    rejected,
    withdrawn,
    cancelled_or_deleted,
    open_at_month_end,
    mean_throughput_calendar_hours,
    p50_throughput_calendar_hours,
    p90_throughput_calendar_hours,
    mean_throughput_working_hours,
    p50_throughput_working_hours,
    p90_throughput_working_hours,
    round(first_time_right / nullif(finished, 0), 6) as first_time_right_rate,
    round(with_returns / nullif(finished, 0), 6) as return_rate,
    avg_node_visits,
    avg_rework_visits,
    round(sla_breached / nullif(finished, 0), 6) as sla_breach_rate,
    long_running,
    delay_working_hours,
    approval_tasks,
    automated_tasks,
    round(automated_tasks / nullif(approval_tasks, 0), 6) as automation_rate,
    round(after_hours_tasks / nullif(human_tasks, 0), 6) as after_hours_share
from joined
