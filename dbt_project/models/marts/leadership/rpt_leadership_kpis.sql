-- Company and region KPIs per period (week / month / quarter / year) for the leadership portal.
-- Flows within the period:
--   signed            formal contracts signed (as in rpt_sales_ranking)
--   started           contracts whose first project started (已启动合同额)
--   prepayment        prepayment contracts (预付款合同) signed
--   received_back     contracts whose signed paper copy came back (合同回收, 收到时间 in the period)
--   collected         approved payment claims (回款)
--   invoiced          VAT invoices issued, red-letter reversals counted negative on their own date
-- Stocks at the period's end (or the as-of date for the running period), summed per contract
-- before adding up so one contract's surplus never hides another's gap:
--   delivered_not_invoiced = Σ max(delivered − invoiced, 0)            已发货未开票
--   invoiced_not_collected = Σ max(invoiced − (collected + transferred in), 0)   已开票未收款
-- Region = the contract owner's region (flows: on the event date; stocks: at signing).
-- region = '全公司' holds the company total. Up to the as-of date; all amounts tax-inclusive.
with as_of as (
    select {{ as_of_date() }} as as_of_date
),
periods as (
    select 'week' as period_type union all select 'month' union all select 'quarter' union all select 'year'
),
contracts as (
    select contract_no, is_prepayment, amount, signed_date, paper_received_date,
        owner_region, form_region
    from {{ ref('fct_contracts') }}
),
flows as (
    select event_type as measure, event_date as day, region, amount
    from {{ ref('int_sales_credit_events') }}
    union all
    select 'prepayment', signed_date, coalesce(owner_region, form_region), amount
    from contracts
    where is_prepayment and signed_date is not null
    union all
    select 'received_back', paper_received_date, coalesce(owner_region, form_region), amount
    from contracts
    where paper_received_date is not null
    union all
    select 'invoiced', i.invoice_date, coalesce(c.owner_region, c.form_region), i.amount_incl_tax
    from {{ ref('int_finance__invoices') }} as i
    left join contracts as c using (contract_no)
    where i.is_effective
),
-- per contract, every change of delivered / invoiced / paid-in, in date order
stock_events as (
    select contract_no, delivery_date as day, amount_incl_tax as d_delivered, 0 as d_invoiced, 0 as d_paid
    from {{ ref('fct_deliveries') }}
    where is_counted and contract_no is not null
    union all
    select contract_no, invoice_date, 0, amount_incl_tax, 0
    from {{ ref('int_finance__invoices') }}
    where is_effective and contract_no is not null
    union all
    select contract_no, credit_date, 0, 0, amount
    from {{ ref('int_finance__receipt_credits') }}
    where is_counted and contract_no is not null and credit_type in ('claim', 'prepayment_transfer_in')
),
stock_daily as (
    select contract_no, day, sum(d_delivered) as d_delivered, sum(d_invoiced) as d_invoiced, sum(d_paid) as d_paid
    from stock_events
    group by all
),
balances as (
    select
        contract_no,
        day,
        greatest(
            sum(d_delivered) over w - sum(d_invoiced) over w, 0
        ) as dni,
        greatest(sum(d_invoiced) over w - sum(d_paid) over w, 0) as inc
    from stock_daily
    window w as (partition by contract_no order by day rows between unbounded preceding and current row)
),
-- the change of each contract's positive balance: summing these up to a day gives
-- Σ over contracts of the balance on that day
stock_deltas as (
    select
        b.day,
        coalesce(c.owner_region, c.form_region) as region,
        b.dni - coalesce(lag(b.dni) over (partition by b.contract_no order by b.day), 0) as d_dni,
        b.inc - coalesce(lag(b.inc) over (partition by b.contract_no order by b.day), 0) as d_inc
    from balances as b
    left join contracts as c using (contract_no)
),
flow_rows as (
    select
        p.period_type,
        case p.period_type
            when 'week' then d.week_start when 'month' then d.month_start
            when 'quarter' then d.quarter_start else d.year_start
        end as period_start,
        f.region,
        f.measure,
        f.amount
    from flows as f
    join {{ ref('dim_date') }} as d on d.date_day = f.day
    cross join periods as p
    cross join as_of
    where f.day <= as_of.as_of_date
),
flow_by_region as (
    select period_type, period_start, coalesce(region, '未知') as region,
        sum(amount) filter (where measure = 'signed') as signed_amount,
        count(*) filter (where measure = 'signed') as signed_count,
        sum(amount) filter (where measure = 'started') as started_amount,
        sum(amount) filter (where measure = 'prepayment') as prepayment_amount,
        sum(amount) filter (where measure = 'received_back') as received_back_amount,
        count(*) filter (where measure = 'received_back') as received_back_count,
        sum(amount) filter (where measure = 'collected') as collected_amount,
        sum(amount) filter (where measure = 'invoiced') as invoiced_amount
    from flow_rows
    group by all
),
period_list as (
    select distinct p.period_type,
        case p.period_type
            when 'week' then d.week_start when 'month' then d.month_start
            when 'quarter' then d.quarter_start else d.year_start
        end as period_start
    from {{ ref('dim_date') }} as d
    cross join periods as p
    cross join as_of
    where d.date_day <= as_of.as_of_date
        and d.date_day >= (select min(day) from flows)
),
period_ends as (
    select
        pl.period_type,
        pl.period_start,
        least(
            cast(case pl.period_type
                when 'week' then pl.period_start + interval 6 day
                when 'month' then pl.period_start + interval 1 month - interval 1 day
                when 'quarter' then pl.period_start + interval 3 month - interval 1 day
                else pl.period_start + interval 1 year - interval 1 day
            end as date),
            as_of.as_of_date
        ) as period_end
    from period_list as pl
    cross join as_of
),
stock_region_daily as (
    select coalesce(region, '未知') as region, day, sum(d_dni) as d_dni, sum(d_inc) as d_inc
    from stock_deltas
    group by all
),
stock_running as (
    select
        region, day,
        sum(d_dni) over w as delivered_not_invoiced,
        sum(d_inc) over w as invoiced_not_collected
    from stock_region_daily
    window w as (partition by region order by day rows between unbounded preceding and current row)
),
stocks as (
    select pe.period_type, pe.period_start, s.region,
        arg_max(s.delivered_not_invoiced, s.day) as delivered_not_invoiced_amount,
        arg_max(s.invoiced_not_collected, s.day) as invoiced_not_collected_amount
    from period_ends as pe
    join stock_running as s on s.day <= pe.period_end
    group by all
),
regions as (
    select distinct coalesce(region, '未知') as region from flows
    union
    select distinct region from stock_running
),
by_region as (
    select
        pe.period_type, pe.period_start, pe.period_end, r.region,
        f.signed_amount, f.signed_count, f.started_amount, f.prepayment_amount,
        f.received_back_amount, f.received_back_count, f.collected_amount, f.invoiced_amount,
        s.delivered_not_invoiced_amount, s.invoiced_not_collected_amount
    from period_ends as pe
    cross join regions as r
    left join flow_by_region as f
        on f.period_type = pe.period_type and f.period_start = pe.period_start and f.region = r.region
    left join stocks as s
        on s.period_type = pe.period_type and s.period_start = pe.period_start and s.region = r.region
),
with_total as (
    select * from by_region
    union all
    select period_type, period_start, max(period_end), '全公司',
        sum(signed_amount), sum(signed_count), sum(started_amount), sum(prepayment_amount),
        sum(received_back_amount), sum(received_back_count), sum(collected_amount),
        sum(invoiced_amount), sum(delivered_not_invoiced_amount), sum(invoiced_not_collected_amount)
    from by_region
    group by period_type, period_start
),
filled as (
    select
        period_type, period_start, period_end, region,
        coalesce(signed_amount, 0) as signed_amount,
        coalesce(signed_count, 0) as signed_count,
        coalesce(started_amount, 0) as started_amount,
        coalesce(prepayment_amount, 0) as prepayment_amount,
        coalesce(received_back_amount, 0) as received_back_amount,
        coalesce(received_back_count, 0) as received_back_count,
        coalesce(collected_amount, 0) as collected_amount,
        coalesce(invoiced_amount, 0) as invoiced_amount,
        coalesce(delivered_not_invoiced_amount, 0) as delivered_not_invoiced_amount,
        coalesce(invoiced_not_collected_amount, 0) as invoiced_not_collected_amount
    from with_total
),
previous as (
    select *,
        case period_type
            when 'week' then period_start - interval 7 day
            when 'month' then period_start - interval 1 month
            when 'quarter' then period_start - interval 3 month
            else period_start - interval 1 year
        end as previous_period_start
    from filled
)
select
    c.period_type || '|' || strftime(c.period_start, '%Y-%m-%d') || '|' || c.region as kpi_id,
    c.period_type,
    c.period_start,
    c.period_end,
    case c.period_type
        when 'week' then strftime(c.period_start, '%G-W%V')
        when 'month' then strftime(c.period_start, '%Y-%m')
        when 'quarter' then year(c.period_start) || '-Q' || quarter(c.period_start)
        else cast(year(c.period_start) as varchar)
    end as period_label,
    c.region,
    c.region = '全公司' as is_company_total,
    cast(c.signed_amount as decimal(18, 2)) as signed_amount,
    c.signed_count,
    cast(c.started_amount as decimal(18, 2)) as started_amount,
    cast(c.prepayment_amount as decimal(18, 2)) as prepayment_amount,
    cast(c.received_back_amount as decimal(18, 2)) as received_back_amount,
    c.received_back_count,
    cast(c.collected_amount as decimal(18, 2)) as collected_amount,
    cast(c.invoiced_amount as decimal(18, 2)) as invoiced_amount,
    cast(c.delivered_not_invoiced_amount as decimal(18, 2)) as delivered_not_invoiced_amount,
    cast(c.invoiced_not_collected_amount as decimal(18, 2)) as invoiced_not_collected_amount,
    cast(p.signed_amount as decimal(18, 2)) as previous_signed_amount,
    cast(p.started_amount as decimal(18, 2)) as previous_started_amount,
    cast(p.collected_amount as decimal(18, 2)) as previous_collected_amount,
    cast(p.invoiced_amount as decimal(18, 2)) as previous_invoiced_amount,
    case when p.signed_amount <> 0 then round((c.signed_amount - p.signed_amount) / p.signed_amount, 4) end as signed_change_rate,
    case when p.collected_amount <> 0 then round((c.collected_amount - p.collected_amount) / p.collected_amount, 4) end as collected_change_rate
from previous as c
left join filled as p
    on p.period_type = c.period_type and p.region = c.region
    and p.period_start = cast(c.previous_period_start as date)
