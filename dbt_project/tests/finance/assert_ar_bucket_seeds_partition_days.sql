-- Every day count from −3,650 to 36,500 falls in exactly one bucket of each aging seed, so
-- bucket totals always add up to open AR (no gap, no overlap) after finance edits a seed.
with days as (
    select unnest(range(-3650, 36501)) as d
),
due as (
    select 'ar_aging_buckets' as seed, d.d, count(b.bucket_code) as buckets
    from days as d
    left join {{ ref('ar_aging_buckets') }} as b
        on d.d >= coalesce(b.min_days_past_due, -2147483648)
        and d.d <= coalesce(b.max_days_past_due, 2147483647)
    group by all
),
age as (
    select 'ar_invoice_age_buckets' as seed, d.d, count(b.bucket_code) as buckets
    from days as d
    left join {{ ref('ar_invoice_age_buckets') }} as b
        on d.d >= coalesce(b.min_days_since_invoice, -2147483648)
        and d.d <= coalesce(b.max_days_since_invoice, 2147483647)
    where d.d >= 0
    group by all
)
select seed, min(d) as first_day, max(d) as last_day, buckets
from (select * from due union all select * from age)
where buckets <> 1
group by seed, buckets
