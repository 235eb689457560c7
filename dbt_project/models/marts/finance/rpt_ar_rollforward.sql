-- AR roll-forward and DSO per snapshot period (the month up to each month-end, and the days
-- from the last month-end to the as-of date) for the company and per region (the owner's
-- region on the invoice date; '未分配' when the invoice has no owner with a region):
--   opening + invoiced + red_letter − collected = closing
-- opening = the previous snapshot's closing; invoiced / red_letter / collected are the AR
-- movements dated in (previous snapshot, snapshot]; collected counts receipts *applied* to
-- invoices (unapplied cash is in rpt_unapplied_cash); closing = Σ open_amount in rpt_ar_aging.
-- DSO (days sales outstanding) = closing / net invoiced (blue + red letters) in the 90 days
-- ending on the snapshot date × 90; NULL when that net invoiced is 0 or negative.
with snapshots as (
    select snapshot_date, previous_snapshot_date, is_as_of_date, is_month_end
    from {{ ref('int_finance__ar_snapshot_dates') }}
),
items as (
    select invoice_number, coalesce(owner_region, '未分配') as region
    from {{ ref('fct_invoices') }}
    where is_ar_item
),
movements as (
    select m.movement_type, m.movement_date, m.amount_incl_tax, i.region
    from {{ ref('int_finance__ar_movements') }} as m
    join items as i on i.invoice_number = m.ar_invoice_number
),
regions as (
    select distinct region from items
),
grid as (
    select s.*, r.region
    from snapshots as s
    cross join regions as r
),
closing as (
    select
        snapshot_date,
        coalesce(owner_region, '未分配') as region,
        sum(open_amount) as closing_amount,
        sum(open_amount) filter (where is_overdue) as overdue_amount
    from {{ ref('rpt_ar_aging') }}
    group by all
),
flows as (
    select
        s.snapshot_date,
        m.region,
        sum(m.amount_incl_tax) filter (where m.movement_type = 'invoice') as invoiced_amount,
        sum(m.amount_incl_tax) filter (where m.movement_type = 'red_letter') as red_letter_amount,
        sum(-m.amount_incl_tax) filter (where m.movement_type = 'collection') as collected_amount
    from snapshots as s
    join movements as m
        on m.movement_date <= s.snapshot_date
        and (s.previous_snapshot_date is null or m.movement_date > s.previous_snapshot_date)
    group by all
),
trailing_90d as (
    select
        s.snapshot_date,
        m.region,
        sum(m.amount_incl_tax) as net_invoiced_90d
    from snapshots as s
    join movements as m
        on m.movement_date <= s.snapshot_date
        and m.movement_date > s.snapshot_date - 90
        and m.movement_type in ('invoice', 'red_letter')
    group by all
),
by_region as (
    select
        g.snapshot_date,
        g.previous_snapshot_date,
        g.is_as_of_date,
        g.is_month_end,
        g.region,
        coalesce(lag(c.closing_amount) over (partition by g.region order by g.snapshot_date), 0) as opening_amount,
        coalesce(f.invoiced_amount, 0) as invoiced_amount,
        coalesce(f.red_letter_amount, 0) as red_letter_amount,
        coalesce(f.collected_amount, 0) as collected_amount,
        coalesce(c.closing_amount, 0) as closing_amount,
        coalesce(c.overdue_amount, 0) as overdue_amount,
        coalesce(t.net_invoiced_90d, 0) as net_invoiced_90d
    from grid as g
    left join closing as c on c.snapshot_date = g.snapshot_date and c.region = g.region
    left join flows as f on f.snapshot_date = g.snapshot_date and f.region = g.region
    left join trailing_90d as t on t.snapshot_date = g.snapshot_date and t.region = g.region
),
levels as (
    select 'region' as level, * from by_region
    union all
    select
        'company' as level,
        snapshot_date,
        max(previous_snapshot_date),
        max(is_as_of_date),
        max(is_month_end),
        null as region,
        sum(opening_amount),
        sum(invoiced_amount),
        sum(red_letter_amount),
        sum(collected_amount),
        sum(closing_amount),
        sum(overdue_amount),
        sum(net_invoiced_90d)
    from by_region
    group by snapshot_date
)
select
    strftime(snapshot_date, '%Y-%m-%d') || '|' || level || '|' || coalesce(region, '') as rollforward_id,
    level,
    region,
    snapshot_date,
    coalesce(previous_snapshot_date + 1, cast(date_trunc('month', snapshot_date) as date)) as period_start,
    is_as_of_date,
    is_month_end,
    cast(opening_amount as decimal(18, 2)) as opening_amount,
    cast(invoiced_amount as decimal(18, 2)) as invoiced_amount,
    cast(red_letter_amount as decimal(18, 2)) as red_letter_amount,
    cast(invoiced_amount + red_letter_amount as decimal(18, 2)) as net_invoiced_amount,
    cast(collected_amount as decimal(18, 2)) as collected_amount,
    cast(closing_amount as decimal(18, 2)) as closing_amount,
    cast(overdue_amount as decimal(18, 2)) as overdue_amount,
    cast(net_invoiced_90d as decimal(18, 2)) as net_invoiced_90d,
    cast(case when net_invoiced_90d > 0 then closing_amount / net_invoiced_90d * 90 end as decimal(10, 1))
        as dso_days
from levels
