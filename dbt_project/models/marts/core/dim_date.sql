-- One row per day with the Chinese working calendar. Days of years the chinese-calendar seed
-- does not cover fall back to Monday–Friday working days (is_calendar_known = false); the
-- build warns when that touches a year up to the as-of date (history on a guessed calendar).
{%- if execute %}
    {%- set gap = run_query(
        "select string_agg(distinct cast(year(d) as varchar), ', ' order by cast(year(d) as varchar)) "
        ~ "from (select unnest(generate_series(date '2015-01-01', "
        ~ "cast(date_trunc('year', " ~ as_of_date() ~ ") + interval 3 year - interval 1 day as date), interval 1 day))::date as d) "
        ~ "where year(d) <= year(" ~ as_of_date() ~ ") and year(d) not in (select distinct year(calendar_date) from " ~ ref('chinese_working_calendar') ~ ")"
    ).columns[0].values()[0] -%}
    {%- if gap %}
        {{ exceptions.warn("dim_date: the chinese-calendar package has no holiday data for " ~ gap ~ "; those years count Monday–Friday as working days. Upgrade chinese-calendar and run `uv run python -m zhongtai.calendar_seed`.") }}
    {%- endif %}
{%- endif %}
with days as (
    select cast(unnest(generate_series(
        date '2015-01-01',
        cast(date_trunc('year', {{ as_of_date() }}) + interval 3 year - interval 1 day as date),
        interval 1 day
    )) as date) as date_day
),
cal as (
    select * from {{ ref('chinese_working_calendar') }}
)
select
    days.date_day,
    year(days.date_day) as year,
    quarter(days.date_day) as quarter,
    month(days.date_day) as month,
    isodow(days.date_day) as iso_weekday,
    cast(date_trunc('week', days.date_day) as date) as week_start,
    cast(date_trunc('month', days.date_day) as date) as month_start,
    cast(date_trunc('quarter', days.date_day) as date) as quarter_start,
    cast(date_trunc('year', days.date_day) as date) as year_start,
    cast(last_day(days.date_day) as date) as month_end,
    days.date_day = last_day(days.date_day) as is_month_end,
    strftime(days.date_day, '%Y-%m') as year_month,
    year(days.date_day) || '-Q' || quarter(days.date_day) as year_quarter,
    strftime(days.date_day, '%G-W%V') as iso_year_week,
    isodow(days.date_day) >= 6 as is_weekend,
    coalesce(cal.is_workday, isodow(days.date_day) <= 5) as is_workday,
    coalesce(cal.is_holiday, false) as is_holiday,
    coalesce(cal.is_makeup_workday, false) as is_makeup_workday,
    nullif(cal.holiday_name, '') as holiday_name,
    cal.calendar_date is not null as is_calendar_known,
    -- working days from 2015-01-01 up to and including this day: working days between two
    -- dates are a difference of this column
    sum(case when coalesce(cal.is_workday, isodow(days.date_day) <= 5) then 1 else 0 end)
        over (order by days.date_day) as workday_index
from days
left join cal on cal.calendar_date = days.date_day
