{#-
  Working time on the Chinese working calendar (issue 7, docs/decisions.md).

  Working hours: var('process_working_hours'), a list of [start, end] local times, the same
  on every working day; default [['09:00', '12:00'], ['13:00', '18:00']] (8 h a day).
  Working days: dim_date (public holidays off, make-up workdays 调休 on); days outside
  dim_date use the chinese_working_calendar seed, then Monday–Friday
  (int_process__working_days).

  process_working_clock(ts)
      The working seconds from 2000-01-01 00:00 (Asia/Shanghai) up to the instant `ts`: a
      pure expression — one list look-up in int_process__working_day_codes (a one-row table
      holding, for every day 2000–2099, 2 × working days before it + 1 if it is a working
      day) plus the overlap of the day's time with the working periods. No join and no
      per-minute or per-day rows, so it can be used in any select. NULL outside 2000–2099.
  process_working_seconds(start_ts, end_ts)
      Working seconds between two instants = clock(end) − clock(start) (negative when end is
      before start).
  process_workday_seconds()
      Working seconds in one working day (28800 by default) — to express working hours as
      working days (PM4Py divides by 24 h, pm4py#559).
-#}

{% macro process_working_periods() -%}
    {%- set periods = var('process_working_hours', [['09:00', '12:00'], ['13:00', '18:00']]) -%}
    {%- set out = [] -%}
    {%- for p in periods -%}
        {%- set s = p[0].split(':') -%}
        {%- set e = p[1].split(':') -%}
        {%- set s_sec = (s[0] | int) * 3600 + (s[1] | int) * 60 + ((s[2] | int) if s | length > 2 else 0) -%}
        {%- set e_sec = (e[0] | int) * 3600 + (e[1] | int) * 60 + ((e[2] | int) if e | length > 2 else 0) -%}
        {%- if e_sec <= s_sec or s_sec < 0 or e_sec > 86400 -%}
            {{ exceptions.raise_compiler_error("process_working_hours: period " ~ p ~ " must be start < end within one day") }}
        {%- endif -%}
        {%- if out and s_sec < out[-1][1] -%}
            {{ exceptions.raise_compiler_error("process_working_hours: periods must be in order and must not overlap") }}
        {%- endif -%}
        {%- do out.append([s_sec, e_sec]) -%}
    {%- endfor -%}
    {{ return(out) }}
{%- endmacro %}

{% macro process_workday_seconds() -%}
    {%- set total = namespace(s=0) -%}
    {%- for p in process_working_periods() %}{% set total.s = total.s + p[1] - p[0] %}{% endfor -%}
    {{ return(total.s) }}
{%- endmacro %}

{#- Seconds of the local time of day of `local_ts` (a naive Asia/Shanghai timestamp) that fall
    in working periods. -#}
{% macro process_working_seconds_of_day(local_ts) -%}
    {%- set x -%}(epoch({{ local_ts }}) - epoch(date_trunc('day', {{ local_ts }}))){%- endset -%}
    ({%- for p in process_working_periods() -%}
        {%- if not loop.first %} + {% endif -%}
        greatest(0, least({{ x }}, {{ p[1] }}) - {{ p[0] }})
    {%- endfor -%})
{%- endmacro %}

{% macro process_working_clock(ts) -%}
    {%- set l -%}timezone('Asia/Shanghai', {{ ts }}){%- endset -%}
    {%- set code -%}
        list_extract((select day_codes from {{ ref('int_process__working_day_codes') }}), nullif(greatest(date_diff('day', date '2000-01-01', cast({{ l }} as date)) + 1, 0), 0))
    {%- endset -%}
    (({{ code }} // 2) * {{ process_workday_seconds() }} + ({{ code }} % 2) * {{ process_working_seconds_of_day(l) }})
{%- endmacro %}

{% macro process_working_seconds(start_ts, end_ts) -%}
    ({{ process_working_clock(end_ts) }} - {{ process_working_clock(start_ts) }})
{%- endmacro %}

{#- True when the instant falls outside working time: on a non-working day, or on a working day
    outside the working periods. -#}
{% macro process_is_outside_working_time(ts) -%}
    {%- set l -%}timezone('Asia/Shanghai', {{ ts }}){%- endset -%}
    {%- set code -%}
        list_extract((select day_codes from {{ ref('int_process__working_day_codes') }}), nullif(greatest(date_diff('day', date '2000-01-01', cast({{ l }} as date)) + 1, 0), 0))
    {%- endset -%}
    {%- set x -%}(epoch({{ l }}) - epoch(date_trunc('day', {{ l }}))){%- endset -%}
    ({{ code }} % 2 = 0 or not ({%- for p in process_working_periods() -%}
        {%- if not loop.first %} or {% endif -%}
        ({{ x }} >= {{ p[0] }} and {{ x }} < {{ p[1] }})
    {%- endfor -%}))
{%- endmacro %}
