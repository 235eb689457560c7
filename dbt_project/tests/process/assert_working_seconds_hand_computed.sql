-- Working time on the Chinese calendar against hand-computed cases (default hours 09:00–12:00
-- and 13:00–18:00, 8 h a day). 2025: National Day 10-01..10-08 off with make-up workdays
-- Sun 09-28 and Sat 10-11; Labour Day 05-01..05-05 off with make-up workday Sun 04-27.
-- Only meaningful with the default working hours: skipped when var('process_working_hours')
-- is overridden.
{{ config(enabled=var('process_working_hours', none) is none) }}
with cases as (
    select * from (values
        ('weekend: Fri 16:00 → Mon 10:30', timestamptz '2025-03-07 16:00:00+08', timestamptz '2025-03-10 10:30:00+08', 2 * 3600 + 5400),
        ('rest Saturday → make-up Sunday 11:00', timestamptz '2025-09-27 10:00:00+08', timestamptz '2025-09-28 11:00:00+08', 2 * 3600),
        ('over National Day', timestamptz '2025-09-30 17:00:00+08', timestamptz '2025-10-09 09:30:00+08', 5400),
        ('National Day with both make-up days', timestamptz '2025-09-26 17:30:00+08', timestamptz '2025-10-13 12:30:00+08', 185400),
        ('lunch break and evening', timestamptz '2025-03-10 11:30:00+08', timestamptz '2025-03-10 20:00:00+08', 19800),
        ('inside a holiday', timestamptz '2025-10-02 10:00:00+08', timestamptz '2025-10-03 15:00:00+08', 0),
        ('Labour Day from the make-up Sunday', timestamptz '2025-04-27 08:00:00+08', timestamptz '2025-05-06 08:59:00+08', 32 * 3600),
        ('same instant', timestamptz '2025-03-10 10:00:00+08', timestamptz '2025-03-10 10:00:00+08', 0),
        ('UTC input, fractional seconds', timestamptz '2025-03-10 01:00:00.250+00', timestamptz '2025-03-10 02:00:00.750+00', 3600.5),
        ('backwards is negative', timestamptz '2025-03-10 10:30:00+08', timestamptz '2025-03-07 16:00:00+08', -12600)
    ) as t(label, start_at, end_at, expected_seconds)
)
select
    label,
    expected_seconds,
    {{ process_working_seconds('start_at', 'end_at') }} as actual_seconds
from cases
where abs({{ process_working_seconds('start_at', 'end_at') }} - expected_seconds) > 0.001
   or {{ process_working_seconds('start_at', 'end_at') }} is null
