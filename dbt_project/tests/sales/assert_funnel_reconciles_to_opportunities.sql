-- Integrity of the funnel: within each cohort group, reached(S+1) <= reached(S) (a funnel only
-- narrows); every opportunity reached 潜在 (reached(1) over all rows = opportunities with a
-- known highest stage); won / lost / expired / open counts and the weighted pipeline add up
-- to fct_opportunities.
with f as (
    select * from {{ ref('rpt_sales_funnel') }}
),
widening as (
    select funnel_row_id as problem
    from f
    where next_stage_reached_count > reached_count
),
funnel_totals as (
    select
        sum(reached_count) filter (where stage_order = 1) as reached_first,
        sum(won_count) as won,
        sum(lost_count) as lost,
        sum(expired_count) as expired,
        sum(open_count) as open,
        sum(weighted_open_amount) as weighted
    from f
),
fct_totals as (
    select
        count(*) filter (where highest_stage_order >= 1) as reached_first,
        count(*) filter (where is_won) as won,
        count(*) filter (where is_lost) as lost,
        count(*) filter (where is_expired) as expired,
        count(*) filter (where is_open) as open,
        coalesce(sum(weighted_amount) filter (where is_open), 0) as weighted
    from {{ ref('fct_opportunities') }}
)
select problem from widening
union all
select 'totals differ: funnel reached/won/lost/expired/open ' || concat_ws('/', ft.reached_first, ft.won, ft.lost, ft.expired, ft.open)
    || ' vs fct ' || concat_ws('/', ot.reached_first, ot.won, ot.lost, ot.expired, ot.open)
from funnel_totals as ft, fct_totals as ot
where ft.reached_first <> ot.reached_first
    or ft.won <> ot.won
    or ft.lost <> ot.lost
    or ft.expired <> ot.expired
    or ft.open <> ot.open
    or abs(ft.weighted - ot.weighted) > 0.01
