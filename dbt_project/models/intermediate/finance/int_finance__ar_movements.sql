-- Every dated change of an AR item's balance (tax-inclusive, CNY):
--   invoice     + the item's own amount on its invoice date (a blue invoice; an orphan red
--               invoice, with its negative amount);
--   red_letter  + a matched red-letter invoice (negative) on its own date, against its blue
--               original;
--   collection  − an allocation (int_finance__receipt_allocations) on its allocation date.
-- The balance of an item on day D is the sum of its movements dated on or before D.
with invoices as (
    select invoice_number, ar_invoice_number, red_blue, is_ar_item, invoice_date, amount_incl_tax
    from {{ ref('int_finance__invoices') }}
    where ar_invoice_number is not null
),
allocations as (
    select allocation_id, credit_id, ar_invoice_number, allocation_date, applied_amount
    from {{ ref('int_finance__receipt_allocations') }}
)
select
    'invoice:' || invoice_number as movement_id,
    ar_invoice_number,
    case when is_ar_item then 'invoice' else 'red_letter' end as movement_type,
    invoice_date as movement_date,
    invoice_number as source_id,
    amount_incl_tax as amount_incl_tax
from invoices
union all
select
    'allocation:' || allocation_id,
    ar_invoice_number,
    'collection',
    allocation_date,
    credit_id,
    cast(-applied_amount as decimal(18, 2))
from allocations
