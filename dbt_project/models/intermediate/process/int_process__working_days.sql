-- The working calendar behind working time (macros/process_working_time.sql): every day from
-- 2000-01-01 to 2099-12-31. dim_date decides where it has the day; before and after it the
-- chinese_working_calendar seed, then Monday–Friday (is_calendar_known = false).
with days as (
    select cast(unnest(generate_series(date '2000-01-01', date '2099-12-31', interval 1 day)) as date) as date_day
),
joined as (
    select
        days.date_day,
        coalesce(dd.is_workday, cal.is_workday, isodow(days.date_day) <= 5) as is_workday,
        coalesce(dd.is_holiday, cal.is_holiday, false) as is_holiday,
        coalesce(dd.is_makeup_workday, cal.is_makeup_workday, false) as is_makeup_workday,
        coalesce(dd.is_calendar_known, cal.calendar_date is not null) as is_calendar_known
    from days
    left join {{ ref('dim_date') }} as dd on dd.date_day = days.date_day
    left join {{ ref('chinese_working_calendar') }} as cal on cal.calendar_date = days.date_day
)
select
    date_day,
    cast(date_diff('day', date '2000-01-01', date_day) + 1 as integer) as day_no,
    is_workday,
    is_holiday,
    is_makeup_workday,
    is_calendar_known,
    cast(coalesce(sum(case when is_workday then 1 else 0 end) over (
        order by date_day rows between unbounded preceding and 1 preceding), 0) as integer) as workdays_before
from joined
