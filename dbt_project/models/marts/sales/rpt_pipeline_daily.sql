-- Open pipeline at the end of each day, by region × business type × open stage, from the
-- stage history: an opportunity is in stage S on day D when it entered S on or before D and
-- had not left it by the end of D (a stay entered and left on the same day never shows). It
-- is open from creation until it enters 成交 / 输单 / 失效. Amounts are the amount recorded at
-- each stage entry (what was known then), weighted by the stage probability.
-- Dense: every day from the first opportunity to the as-of date for every region × business
-- type × stage that ever had an opportunity, zero-filled, so a chart needs no gap handling.
-- Built as daily deltas (+ on entry, − on exit) and a running sum, never day × deal.
with as_of as (
    select {{ as_of_date() }} as as_of_date
),
opps as (
    select
        crm_deal_id,
        coalesce(region, '未知') as region,
        coalesce(business_type, '未知') as business_type
    from {{ ref('fct_opportunities') }}
),
stays as (
    select
        o.region,
        o.business_type,
        h.stage_order,
        h.entered_date as start_date,
        h.exited_date as end_date,
        case when h.amount >= 0 then h.amount else 0 end as amount,
        case when h.amount >= 0 then h.weighted_amount else 0 end as weighted_amount
    from {{ ref('fct_opportunity_stage_history') }} as h
    join opps as o using (crm_deal_id)
    cross join as_of
    where h.stage_group = 'open'
        and h.entered_date <= as_of.as_of_date
        and (h.exited_date is null or h.exited_date > h.entered_date)
),
deltas as (
    select region, business_type, stage_order, start_date as date_day,
        1 as count_delta, amount as amount_delta, weighted_amount as weighted_delta
    from stays
    union all
    select region, business_type, stage_order, end_date,
        -1, -amount, -weighted_amount
    from stays
    cross join as_of
    where end_date is not null and end_date <= as_of.as_of_date
),
daily_deltas as (
    select
        region, business_type, stage_order, date_day,
        sum(count_delta) as count_delta,
        sum(amount_delta) as amount_delta,
        sum(weighted_delta) as weighted_delta
    from deltas
    group by all
),
days as (
    select d.date_day
    from {{ ref('dim_date') }} as d
    cross join as_of
    where d.date_day between (select min(start_date) from stays) and as_of.as_of_date
),
slices as (
    select distinct region, business_type, stage_order from stays
),
spine as (
    select days.date_day, slices.region, slices.business_type, slices.stage_order
    from days
    cross join slices
),
running as (
    select
        sp.date_day,
        sp.region,
        sp.business_type,
        sp.stage_order,
        sum(coalesce(dd.count_delta, 0)) over w as open_count,
        sum(coalesce(dd.amount_delta, 0)) over w as open_amount,
        sum(coalesce(dd.weighted_delta, 0)) over w as weighted_open_amount
    from spine as sp
    left join daily_deltas as dd
        on dd.date_day = sp.date_day
        and dd.region = sp.region
        and dd.business_type = sp.business_type
        and dd.stage_order = sp.stage_order
    window w as (
        partition by sp.region, sp.business_type, sp.stage_order
        order by sp.date_day
        rows between unbounded preceding and current row
    )
)
select
    strftime(r.date_day, '%Y-%m-%d') || '|' || r.region || '|' || r.business_type || '|' || r.stage_order
        as pipeline_row_id,
    r.date_day,
    r.region,
    r.business_type,
    s.stage,
    s.stage_name_en,
    r.stage_order,
    s.probability as stage_probability,
    cast(r.open_count as integer) as open_count,
    cast(r.open_amount as decimal(18, 2)) as open_amount,
    cast(r.weighted_open_amount as decimal(18, 2)) as weighted_open_amount
from running as r
join {{ ref('opportunity_stages') }} as s using (stage_order)
