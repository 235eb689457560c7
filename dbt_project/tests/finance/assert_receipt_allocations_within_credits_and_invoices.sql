-- Allocations never exceed the credit (claim or prepayment transfer) nor the invoice: per
-- credit Σ applied ≤ its amount, per AR item Σ applied ≤ its net amount (0 for a fully
-- reversed or orphan red invoice), every applied amount is positive, and nothing is applied
-- before the invoice or the money exists.
with allocations as (
    select * from {{ ref('int_finance__receipt_allocations') }}
),
credits as (
    select c.credit_id, c.amount, sum(a.applied_amount) as applied
    from {{ ref('int_finance__receipt_credits') }} as c
    join allocations as a using (credit_id)
    group by all
),
items as (
    select i.invoice_number, greatest(i.net_amount_incl_tax, 0) as capacity, sum(a.applied_amount) as applied
    from {{ ref('int_finance__invoices') }} as i
    join allocations as a on a.ar_invoice_number = i.invoice_number
    group by all
)
select 'credit over-applied' as failure, credit_id as id, amount, applied from credits where applied > amount
union all
select 'invoice over-applied', invoice_number, capacity, applied from items where applied > capacity
union all
select 'non-positive allocation', allocation_id, applied_amount, null from allocations where applied_amount <= 0
union all
select 'allocation before invoice or credit', allocation_id, applied_amount, null
from allocations
where allocation_date < invoice_date or allocation_date < credit_date
union all
select 'allocation to a non-AR item', a.allocation_id, a.applied_amount, null
from allocations as a
left join {{ ref('int_finance__invoices') }} as i on i.invoice_number = a.ar_invoice_number and i.is_ar_item
where i.invoice_number is null
