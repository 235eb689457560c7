-- AR roll-forward per month (and the stub up to the as-of date), per region and for the
-- company: opening + invoiced + red letters − collected (applied) = closing; every opening is
-- the previous closing (0 before the first snapshot); the company rows are the sum of the
-- region rows; and the company closing is open AR computed from the invoices and allocations
-- themselves, not from the aging.
with rf as (
    select * from {{ ref('rpt_ar_rollforward') }}
),
identity as (
    select rollforward_id, 'opening + invoiced + red_letter - collected <> closing' as failure
    from rf
    where opening_amount + invoiced_amount + red_letter_amount - collected_amount <> closing_amount
),
chain as (
    select rollforward_id, 'opening <> previous closing' as failure
    from (
        select
            rollforward_id,
            opening_amount,
            coalesce(lag(closing_amount) over (partition by level, region order by snapshot_date), 0)
                as previous_closing
        from rf
    )
    where opening_amount <> previous_closing
),
company as (
    select c.rollforward_id, 'company <> sum of regions' as failure
    from rf as c
    join (
        select snapshot_date, sum(closing_amount) as closing, sum(collected_amount) as collected,
            sum(invoiced_amount) as invoiced, sum(red_letter_amount) as red_letter
        from rf
        where level = 'region'
        group by all
    ) as r using (snapshot_date)
    where c.level = 'company'
        and (c.closing_amount <> r.closing or c.collected_amount <> r.collected
            or c.invoiced_amount <> r.invoiced or c.red_letter_amount <> r.red_letter)
),
invoiced as (
    select ar_invoice_number as k, invoice_date as d, amount_incl_tax as a
    from {{ ref('int_finance__invoices') }}
    where is_effective
),
applied as (
    select ar_invoice_number as k, allocation_date as d, -applied_amount as a
    from {{ ref('int_finance__receipt_allocations') }}
),
independent as (
    select c.rollforward_id, 'company closing <> invoices - allocations' as failure
    from rf as c
    where c.level = 'company'
        and c.closing_amount <> (
            select coalesce(sum(a), 0)
            from (select * from invoiced union all select * from applied)
            where d <= c.snapshot_date
        )
)
select * from identity
union all select * from chain
union all select * from company
union all select * from independent
