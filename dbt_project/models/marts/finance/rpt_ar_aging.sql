-- AR aging (账龄): one row per AR item (a blue invoice net of its red letters, or an orphan
-- red invoice) with a non-zero open balance, per snapshot date — the as-of date and every
-- month-end of the history. Point in time: on snapshot D the balance is the sum of the item's
-- movements dated on or before D (int_finance__ar_movements): invoices dated after D do not
-- exist yet, red letters and allocations dated after D never count.
-- Two bucket views from editable seeds: days past due (D − due date; 0 or less = not due)
-- against ar_aging_buckets, and days since the invoice date against ar_invoice_age_buckets.
-- Customer, owner, team and region are those of the invoice date.
with snapshots as (
    select snapshot_date, is_as_of_date, is_month_end
    from {{ ref('int_finance__ar_snapshot_dates') }}
),
daily as (
    select
        ar_invoice_number,
        movement_date,
        sum(amount_incl_tax) as amount,
        sum(amount_incl_tax) filter (where movement_type = 'invoice') as invoiced,
        sum(amount_incl_tax) filter (where movement_type = 'red_letter') as red_letter,
        sum(-amount_incl_tax) filter (where movement_type = 'collection') as collected
    from {{ ref('int_finance__ar_movements') }}
    group by all
),
balances as (
    select
        ar_invoice_number,
        movement_date as valid_from,
        lead(movement_date, 1, date '9999-12-31') over w as valid_to,
        sum(amount) over (w rows unbounded preceding) as open_amount,
        sum(coalesce(invoiced, 0)) over (w rows unbounded preceding) as invoiced_to_date,
        sum(coalesce(red_letter, 0)) over (w rows unbounded preceding) as red_letter_to_date,
        sum(coalesce(collected, 0)) over (w rows unbounded preceding) as collected_to_date
    from daily
    window w as (partition by ar_invoice_number order by movement_date)
),
open_items as (
    select s.snapshot_date, s.is_as_of_date, s.is_month_end, b.*
    from balances as b
    join snapshots as s
        on s.snapshot_date >= b.valid_from
        and s.snapshot_date < b.valid_to
    where b.open_amount <> 0
),
items as (
    select
        invoice_number,
        invoice_kind,
        red_blue,
        invoice_date,
        due_date,
        due_date_source,
        customer_key,
        erp_customer_code,
        customer_name,
        customer_region,
        contract_no,
        erp_order_no,
        owner_employee_code,
        owner_name,
        owner_team_name,
        owner_region
    from {{ ref('fct_invoices') }}
    where is_ar_item
),
due_buckets as (
    select * from {{ ref('ar_aging_buckets') }}
),
age_buckets as (
    select * from {{ ref('ar_invoice_age_buckets') }}
),
aged as (
    select
        o.*,
        i.*,
        o.snapshot_date - i.due_date as days_past_due,
        o.snapshot_date - i.invoice_date as days_since_invoice
    from open_items as o
    join items as i on i.invoice_number = o.ar_invoice_number
)
select
    strftime(a.snapshot_date, '%Y-%m-%d') || '|' || a.invoice_number as aging_id,
    a.snapshot_date,
    a.is_as_of_date,
    a.is_month_end,
    a.invoice_number,
    a.invoice_kind,
    a.red_blue,
    a.invoice_date,
    a.due_date,
    a.due_date_source,
    a.customer_key,
    a.erp_customer_code,
    a.customer_name,
    a.customer_region,
    a.contract_no,
    a.erp_order_no,
    a.owner_employee_code,
    a.owner_name,
    a.owner_team_name,
    a.owner_region,
    cast(a.invoiced_to_date as decimal(18, 2)) as invoiced_amount,
    cast(a.red_letter_to_date as decimal(18, 2)) as red_letter_amount,
    cast(a.collected_to_date as decimal(18, 2)) as collected_amount,
    cast(a.open_amount as decimal(18, 2)) as open_amount,
    a.days_past_due,
    a.days_since_invoice,
    a.days_past_due > 0 as is_overdue,
    db.bucket_code as due_bucket_code,
    db.bucket_label_zh as due_bucket_label_zh,
    db.bucket_label_en as due_bucket_label_en,
    db.sort_order as due_bucket_sort_order,
    ab.bucket_code as invoice_age_bucket_code,
    ab.bucket_label_zh as invoice_age_bucket_label_zh,
    ab.bucket_label_en as invoice_age_bucket_label_en,
    ab.sort_order as invoice_age_bucket_sort_order
from aged as a
left join due_buckets as db
    on a.days_past_due >= coalesce(db.min_days_past_due, -2147483648)
    and a.days_past_due <= coalesce(db.max_days_past_due, 2147483647)
left join age_buckets as ab
    on a.days_since_invoice >= coalesce(ab.min_days_since_invoice, -2147483648)
    and a.days_since_invoice <= coalesce(ab.max_days_since_invoice, 2147483647)
