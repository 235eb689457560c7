-- process_age_buckets must tile [0, ∞): the first starts at 0, each next one starts where the
-- previous ends, only the last is open-ended (rpt_workflow_backlog_daily puts every age in
-- exactly one bucket by range).
with b as (
    select
        *,
        lag(max_working_hours) over (order by bucket_order) as prev_max,
        row_number() over (order by bucket_order) as rn,
        count(*) over () as n
    from {{ ref('process_age_buckets') }}
)
select *
from b
where (rn = 1 and min_working_hours <> 0)
   or (rn > 1 and min_working_hours is distinct from prev_max)
   or (rn < n and (max_working_hours is null or max_working_hours <= min_working_hours))
   or (rn = n and max_working_hours is not null)
