-- Delay shares of one month and dimension add up to 1 (when there was any delay), and every
-- dimension carries the same month total (each splits the same tasks).
with per_dimension as (
    select month_start, dimension, sum(delay_share) as shares, sum(delay_working_hours) as total
    from {{ ref('rpt_process_efficiency') }}
    group by all
)
select *
from per_dimension
where (total > 0 and abs(shares - 1) > 0.0001)
   or abs(total - (select max(p.total) from per_dimension as p where p.month_start = per_dimension.month_start)) > 0.01
