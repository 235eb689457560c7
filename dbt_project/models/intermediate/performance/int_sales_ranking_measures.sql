-- The measures behind rpt_sales_ranking, one row per level (person / team / region), period
-- (week / month / quarter / year) and entity: signed, started and collected amounts, start
-- rate, targets and completion. Events are credited to the owner's team and region on the
-- event date (point in time); targets to the team on the month's first day. Weeks have no
-- target (targets are monthly). An entity appears in a period when it had an event or a
-- target.
with events as (
    select * from {{ ref('int_sales_credit_events') }}
    where event_date <= {{ as_of_date() }}
),
targets as (
    select * from {{ ref('int_sales_targets_monthly') }}
),
periods as (
    select 'week' as period_type union all select 'month' union all select 'quarter' union all select 'year'
),
levels as (
    select 'person' as level union all select 'team' union all select 'region'
),
event_rows as (
    select
        l.level,
        p.period_type,
        case p.period_type
            when 'week' then d.week_start when 'month' then d.month_start
            when 'quarter' then d.quarter_start else d.year_start
        end as period_start,
        case l.level
            when 'person' then e.owner_employee_code
            when 'team' then e.team_oa_department_id
            else e.region
        end as entity_key,
        case l.level
            when 'person' then e.owner_name when 'team' then e.team_name else e.region
        end as entity_name,
        e.region,
        e.event_date,
        e.event_type,
        e.amount
    from events as e
    join {{ ref('dim_date') }} as d on d.date_day = e.event_date
    cross join periods as p
    cross join levels as l
),
target_rows as (
    select
        l.level,
        p.period_type,
        case p.period_type
            when 'month' then t.month_start
            when 'quarter' then cast(date_trunc('quarter', t.month_start) as date)
            else cast(date_trunc('year', t.month_start) as date)
        end as period_start,
        case l.level
            when 'person' then t.owner_employee_code
            when 'team' then t.team_oa_department_id
            else t.region
        end as entity_key,
        t.contract_target,
        t.collection_target
    from targets as t
    cross join (select * from periods where period_type <> 'week') as p
    cross join levels as l
    where t.month_start <= {{ as_of_date() }}
),
measures as (
    select
        level, period_type, period_start, entity_key,
        -- the name and region at the entity's latest event in the period (a person or team
        -- can move region within it; ties on the day: the largest value, deterministic)
        arg_max(entity_name, (event_date, entity_name)) as entity_name,
        arg_max(region, (event_date, region)) as region,
        sum(case when event_type = 'signed' then amount else 0 end) as signed_amount,
        count(case when event_type = 'signed' then 1 end) as signed_count,
        sum(case when event_type = 'started' then amount else 0 end) as started_amount,
        sum(case when event_type = 'collected' then amount else 0 end) as collected_amount
    from event_rows
    where entity_key is not null
    group by all
),
target_sums as (
    select
        level, period_type, period_start, entity_key,
        sum(contract_target) as contract_target,
        sum(collection_target) as collection_target
    from target_rows
    where entity_key is not null
    group by all
),
-- signed amount of the contracts signed in the period that have started (by any date up to
-- the as-of date): the numerator of the start rate
started_of_signed as (
    select
        l.level, p.period_type,
        case p.period_type
            when 'week' then d.week_start when 'month' then d.month_start
            when 'quarter' then d.quarter_start else d.year_start
        end as period_start,
        case l.level
            when 'person' then s.owner_employee_code
            when 'team' then s.team_oa_department_id
            else s.region
        end as entity_key,
        sum(s.amount) as started_of_signed_amount
    from events as s
    join events as st on st.contract_no = s.contract_no and st.event_type = 'started'
    join {{ ref('dim_date') }} as d on d.date_day = s.event_date
    cross join periods as p
    cross join levels as l
    where s.event_type = 'signed'
    group by all
),
names as (
    select distinct on (employee_code) employee_code, employee_name, region
    from {{ ref('dim_employees') }}
    order by employee_code, valid_from desc, employee_name, region
),
teams as (
    select distinct on (team_oa_department_id) team_oa_department_id, team_name, region
    from {{ ref('dim_employees') }}
    where team_oa_department_id is not null
    order by team_oa_department_id, valid_from desc, team_name, region
),
combined as (
    select
        coalesce(m.level, t.level) as level,
        coalesce(m.period_type, t.period_type) as period_type,
        coalesce(m.period_start, t.period_start) as period_start,
        coalesce(m.entity_key, t.entity_key) as entity_key,
        m.entity_name,
        m.region,
        coalesce(m.signed_amount, 0) as signed_amount,
        coalesce(m.signed_count, 0) as signed_count,
        coalesce(m.started_amount, 0) as started_amount,
        coalesce(m.collected_amount, 0) as collected_amount,
        t.contract_target,
        t.collection_target
    from measures as m
    full join target_sums as t
        on t.level = m.level and t.period_type = m.period_type
        and t.period_start = m.period_start and t.entity_key = m.entity_key
),
final as (
    select
        c.level,
        c.period_type,
        c.period_start,
        c.entity_key,
        coalesce(c.entity_name, n.employee_name, tm.team_name, c.entity_key) as entity_name,
        coalesce(c.region, n.region, tm.region, case when c.level = 'region' then c.entity_key end) as region,
        cast(c.signed_amount as decimal(18, 2)) as signed_amount,
        c.signed_count,
        cast(c.started_amount as decimal(18, 2)) as started_amount,
        cast(coalesce(s.started_of_signed_amount, 0) as decimal(18, 2)) as started_of_signed_amount,
        case when c.signed_amount <> 0
            then round(coalesce(s.started_of_signed_amount, 0) / c.signed_amount, 4) end as start_rate,
        cast(c.collected_amount as decimal(18, 2)) as collected_amount,
        cast(c.contract_target as decimal(18, 2)) as contract_target,
        case when c.contract_target <> 0
            then round(c.signed_amount / c.contract_target, 4) end as contract_target_completion,
        cast(c.collection_target as decimal(18, 2)) as collection_target,
        case when c.collection_target <> 0
            then round(c.collected_amount / c.collection_target, 4) end as collection_completion,
        case c.period_type
            when 'week' then c.period_start - interval 7 day
            when 'month' then c.period_start - interval 1 month
            when 'quarter' then c.period_start - interval 3 month
            else c.period_start - interval 1 year
        end as previous_period_start
    from combined as c
    left join started_of_signed as s
        on s.level = c.level and s.period_type = c.period_type
        and s.period_start = c.period_start and s.entity_key = c.entity_key
    left join names as n on c.level = 'person' and n.employee_code = c.entity_key
    left join teams as tm on c.level = 'team' and tm.team_oa_department_id = c.entity_key
)
select
    level, period_type, period_start, entity_key, entity_name, region,
    signed_amount, signed_count, started_amount, started_of_signed_amount, start_rate,
    collected_amount, contract_target, contract_target_completion, collection_target,
    collection_completion, cast(previous_period_start as date) as previous_period_start
from final
