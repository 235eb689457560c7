-- The dates AR is reported as of: every month-end from the first month with an invoice or a
-- credit up to the last month-end before the as-of date, plus the as-of date itself (which
-- may be a month-end too: then one row carries both flags).
with as_of as (
    select {{ as_of_date() }} as as_of_date
),
first_activity as (
    select least(
        (select min(movement_date) from {{ ref('int_finance__ar_movements') }}),
        (select min(credit_date) from {{ ref('int_finance__receipt_credits') }} where is_counted)
    ) as first_date
),
month_ends as (
    select cast(last_day(cast(m as date)) as date) as snapshot_date
    from first_activity as f
    cross join as_of as a
    cross join unnest(generate_series(
        cast(date_trunc('month', coalesce(f.first_date, a.as_of_date)) as timestamp),
        cast(date_trunc('month', a.as_of_date) as timestamp),
        interval 1 month
    )) as g(m)
),
dates as (
    select snapshot_date from month_ends, as_of where snapshot_date < as_of.as_of_date
    union
    select as_of_date from as_of
)
select
    d.snapshot_date,
    d.snapshot_date = a.as_of_date as is_as_of_date,
    d.snapshot_date = last_day(d.snapshot_date) as is_month_end,
    strftime(d.snapshot_date, '%Y-%m') as snapshot_month,
    lag(d.snapshot_date) over (order by d.snapshot_date) as previous_snapshot_date,
    a.as_of_date
from dates as d
cross join as_of as a
