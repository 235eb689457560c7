-- Sales funnel, LONG by stage: one row per creation-month cohort × business type × region ×
-- owner × funnel stage (潜在 … 成交, always all five, so a funnel chart can plot
-- reached_count against stage in stage_order without reshaping).
--   reached(S)        = opportunities whose highest stage ever >= S (skipped stages count)
--   conversion        = reached(S+1) / reached(S)          (NULL on the last stage / 0 base)
--   open / weighted   = open opportunities currently IN stage S (sum over stages = pipeline)
--   won               = on the 成交 row; lost / expired on the stage they were closed from
--   group_*           = ratios for the whole cohort group, repeated on its five rows:
--                       never sum them; re-derive from the additive columns instead.
with opps as (
    select
        crm_deal_id,
        created_month,
        coalesce(business_type, '未知') as business_type,
        coalesce(region, '未知') as region,
        coalesce(owner_employee_code, '未知') as owner_employee_code,
        highest_stage_order,
        current_stage_order,
        closed_from_stage_order,
        stage_group,
        case when amount >= 0 then amount end as amount,
        weighted_amount,
        days_to_close
    from {{ ref('fct_opportunities') }}
),
stages as (
    select stage, stage_order, stage_name_en, probability
    from {{ ref('opportunity_stages') }}
    where stage_order is not null
),
groups as (
    select
        created_month,
        business_type,
        region,
        owner_employee_code,
        count(*) filter (where stage_group = 'open') as open_count,
        count(*) filter (where stage_group = 'won') as won_count,
        count(*) filter (where stage_group in ('won', 'lost', 'expired')) as closed_count,
        sum(amount) filter (where stage_group = 'won') as won_amount,
        sum(amount) filter (where stage_group in ('won', 'lost', 'expired')) as closed_amount,
        avg(amount) filter (where stage_group = 'won') as avg_won_amount,
        avg(days_to_close) filter (where stage_group = 'won') as avg_days_to_close
    from opps
    group by all
),
per_stage as (
    select
        o.created_month,
        o.business_type,
        o.region,
        o.owner_employee_code,
        s.stage_order,
        count(*) filter (where o.highest_stage_order >= s.stage_order) as reached_count,
        coalesce(sum(o.amount) filter (where o.highest_stage_order >= s.stage_order), 0) as reached_amount,
        count(*) filter (where o.stage_group = 'open' and o.current_stage_order = s.stage_order) as open_count,
        coalesce(sum(o.amount) filter (where o.stage_group = 'open' and o.current_stage_order = s.stage_order), 0) as open_amount,
        coalesce(sum(o.weighted_amount) filter (where o.stage_group = 'open' and o.current_stage_order = s.stage_order), 0) as weighted_open_amount,
        count(*) filter (where o.stage_group = 'won' and s.stage_order = 5) as won_count,
        coalesce(sum(o.amount) filter (where o.stage_group = 'won' and s.stage_order = 5), 0) as won_amount,
        count(*) filter (where o.stage_group = 'lost' and o.closed_from_stage_order = s.stage_order) as lost_count,
        coalesce(sum(o.amount) filter (where o.stage_group = 'lost' and o.closed_from_stage_order = s.stage_order), 0) as lost_amount,
        count(*) filter (where o.stage_group = 'expired' and o.closed_from_stage_order = s.stage_order) as expired_count,
        coalesce(sum(o.amount) filter (where o.stage_group = 'expired' and o.closed_from_stage_order = s.stage_order), 0) as expired_amount
    from opps as o
    cross join stages as s
    group by all
),
stays as (
    -- completed stays in an open stage (entry → exit), by the opportunity's cohort group
    select
        o.created_month,
        o.business_type,
        o.region,
        o.owner_employee_code,
        h.stage_order,
        count(*) as completed_stay_count,
        quantile_cont(h.days_in_stage, 0.5) as days_in_stage_p50,
        quantile_cont(h.days_in_stage, 0.9) as days_in_stage_p90
    from {{ ref('fct_opportunity_stage_history') }} as h
    join opps as o using (crm_deal_id)
    where h.stage_group = 'open' and h.exited_at is not null
    group by all
),
funnel as (
    select
        p.*,
        lead(p.reached_count) over (
            partition by p.created_month, p.business_type, p.region, p.owner_employee_code
            order by p.stage_order
        ) as next_stage_reached_count,
        first_value(p.reached_count) over (
            partition by p.created_month, p.business_type, p.region, p.owner_employee_code
            order by p.stage_order
        ) as first_stage_reached_count
    from per_stage as p
)
select
    f.created_month || '|' || f.business_type || '|' || f.region || '|' || f.owner_employee_code
        || '|' || f.stage_order as funnel_row_id,
    f.created_month as cohort_month,
    f.business_type,
    f.region,
    f.owner_employee_code,
    s.stage,
    s.stage_name_en,
    f.stage_order,
    s.probability as stage_probability,
    f.reached_count,
    cast(f.reached_amount as decimal(18, 2)) as reached_amount,
    f.next_stage_reached_count,
    f.next_stage_reached_count / nullif(f.reached_count, 0) as conversion_to_next_rate,
    f.reached_count / nullif(f.first_stage_reached_count, 0) as conversion_from_first_rate,
    f.open_count,
    cast(f.open_amount as decimal(18, 2)) as open_amount,
    cast(f.weighted_open_amount as decimal(18, 2)) as weighted_open_amount,
    f.won_count,
    cast(f.won_amount as decimal(18, 2)) as won_amount,
    f.lost_count,
    cast(f.lost_amount as decimal(18, 2)) as lost_amount,
    f.expired_count,
    cast(f.expired_amount as decimal(18, 2)) as expired_amount,
    coalesce(st.completed_stay_count, 0) as completed_stay_count,
    st.days_in_stage_p50,
    st.days_in_stage_p90,
    g.open_count as group_open_count,
    g.won_count / nullif(g.closed_count, 0) as group_win_rate_count,
    g.won_amount / nullif(g.closed_amount, 0) as group_win_rate_amount,
    cast(g.avg_won_amount as decimal(18, 2)) as group_avg_won_amount,
    g.avg_days_to_close as group_avg_days_to_close,
    cast(
        g.open_count * (g.won_count / nullif(g.closed_count, 0)) * g.avg_won_amount
        / nullif(g.avg_days_to_close, 0)
        as decimal(18, 2)
    ) as group_sales_velocity
from funnel as f
join stages as s using (stage_order)
join groups as g
    on g.created_month = f.created_month
    and g.business_type = f.business_type
    and g.region = f.region
    and g.owner_employee_code = f.owner_employee_code
left join stays as st
    on st.created_month = f.created_month
    and st.business_type = f.business_type
    and st.region = f.region
    and st.owner_employee_code = f.owner_employee_code
    and st.stage_order = f.stage_order
