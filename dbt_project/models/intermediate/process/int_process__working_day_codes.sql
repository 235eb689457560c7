-- One row: the working calendar packed into a list for process_working_clock(), element i
-- (1-based) for day 2000-01-01 + i − 1 = 2 × working days before that day + 1 if it is a
-- working day.
select
    min(date_day) as first_day,
    max(date_day) as last_day,
    list(workdays_before * 2 + case when is_workday then 1 else 0 end order by date_day) as day_codes
from {{ ref('int_process__working_days') }}
