-- On every snapshot date, the aging's bucket totals (due-date view and invoice-date view)
-- equal open AR computed independently from the movements: Σ (invoices + red letters −
-- applied receipts) dated on or before the snapshot — exactly, to the cent.
with snapshots as (
    select snapshot_date from {{ ref('int_finance__ar_snapshot_dates') }}
),
truth as (
    select s.snapshot_date, coalesce(sum(m.amount_incl_tax), 0) as open_ar
    from snapshots as s
    left join {{ ref('int_finance__ar_movements') }} as m on m.movement_date <= s.snapshot_date
    group by all
),
by_due as (
    select snapshot_date, sum(open_amount) as open_ar
    from (
        select snapshot_date, due_bucket_code, sum(open_amount) as open_amount
        from {{ ref('rpt_ar_aging') }}
        where due_bucket_code is not null
        group by all
    )
    group by all
),
by_age as (
    select snapshot_date, sum(open_amount) as open_ar
    from (
        select snapshot_date, invoice_age_bucket_code, sum(open_amount) as open_amount
        from {{ ref('rpt_ar_aging') }}
        where invoice_age_bucket_code is not null
        group by all
    )
    group by all
)
select t.snapshot_date, t.open_ar, d.open_ar as due_buckets_total, a.open_ar as age_buckets_total
from truth as t
left join by_due as d using (snapshot_date)
left join by_age as a using (snapshot_date)
where t.open_ar <> coalesce(d.open_ar, 0) or t.open_ar <> coalesce(a.open_ar, 0)
