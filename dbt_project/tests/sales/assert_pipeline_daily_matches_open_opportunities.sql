-- The daily pipeline (built from stage history) on the as-of date must equal the open
-- opportunities of fct_opportunities (built from the Deals' current stage), per stage:
-- count, amount and weighted amount. A difference means the stage history and the Deals
-- module disagree, or the interval logic is wrong.
with last_day as (
    select stage_order, sum(open_count) as n, sum(open_amount) as amount, sum(weighted_open_amount) as weighted
    from {{ ref('rpt_pipeline_daily') }}
    where date_day = (select max(date_day) from {{ ref('rpt_pipeline_daily') }})
    group by all
),
opps as (
    select
        o.current_stage_order as stage_order,
        count(*) as n,
        coalesce(sum(o.amount) filter (where o.amount >= 0), 0) as amount,
        coalesce(sum(o.weighted_amount), 0) as weighted
    from {{ ref('fct_opportunities') }} as o
    where o.is_open
    group by all
)
select
    coalesce(l.stage_order, o.stage_order) as stage_order,
    l.n as pipeline_count, o.n as opportunity_count,
    l.amount as pipeline_amount, o.amount as opportunity_amount
from last_day as l
full join opps as o using (stage_order)
where coalesce(l.n, 0) <> coalesce(o.n, 0)
    or abs(coalesce(l.amount, 0) - coalesce(o.amount, 0)) > 0.01
    or abs(coalesce(l.weighted, 0) - coalesce(o.weighted, 0)) > 0.01
