-- Receipt allocation (核销): which credit (approved claim, prepayment transfer in) settles
-- which AR item (a blue invoice net of its red letters, see int_finance__invoices), for how
-- much and from when. Three passes, each on what the previous left:
--   1. explicit        a claim naming an invoice applies to it (a named red invoice means its
--                      blue original), up to the invoice's net amount; several claims naming
--                      the same invoice take their turn by claim date, then credit id;
--   2. fifo / order    what is left of credits naming an order goes to that order's oldest
--                      open invoices (invoice date, then invoice number);
--   3. fifo / contract what is left of credits naming a contract (directly or through their
--                      order or invoice) goes to that contract's oldest open invoices.
-- FIFO is an overlap of running totals: the credits of a pool, oldest first (date, then id),
-- laid end to end against the pool's open invoices, oldest first; every overlap is an
-- allocation. An allocation takes effect on the later of the credit date and the invoice date
-- (money received before the invoice sits as unapplied cash until the invoice exists).
-- What no pass applies is unapplied cash of the credit's contract (rpt_unapplied_cash).
with items as (
    select
        invoice_number as ar_invoice_number,
        contract_no,
        erp_order_no,
        invoice_date,
        greatest(net_amount_incl_tax, 0) as capacity
    from {{ ref('int_finance__invoices') }}
    where is_ar_item
),
item_refs as (
    -- any effective invoice number → the AR item it belongs to
    select invoice_number, ar_invoice_number
    from {{ ref('int_finance__invoices') }}
    where ar_invoice_number is not null
),
credits as (
    select credit_id, credit_date, amount, named_invoice_number, erp_order_no, contract_no
    from {{ ref('int_finance__receipt_credits') }}
    where is_counted and credit_type in ('claim', 'prepayment_transfer_in') and amount > 0
),
-- pass 1: explicit ------------------------------------------------------------------------
explicit_queue as (
    select
        c.credit_id,
        c.credit_date,
        c.amount,
        it.ar_invoice_number,
        it.invoice_date,
        it.capacity,
        coalesce(sum(c.amount) over (
            partition by it.ar_invoice_number
            order by c.credit_date, c.credit_id
            rows between unbounded preceding and 1 preceding
        ), 0) as named_before
    from credits as c
    join item_refs as r on r.invoice_number = c.named_invoice_number
    join items as it on it.ar_invoice_number = r.ar_invoice_number
),
explicit as (
    select
        credit_id,
        ar_invoice_number,
        credit_date,
        invoice_date,
        least(amount, greatest(capacity - named_before, 0)) as applied_amount,
        'explicit' as allocation_method,
        cast(null as varchar) as fifo_pool
    from explicit_queue
),
credits_1 as (
    select c.*, c.amount - coalesce(e.applied_amount, 0) as remaining
    from credits as c
    left join explicit as e using (credit_id)
),
items_1 as (
    select it.*, it.capacity - coalesce(e.applied_amount, 0) as open_amount
    from items as it
    left join (
        select ar_invoice_number, sum(applied_amount) as applied_amount from explicit group by all
    ) as e using (ar_invoice_number)
),
-- pass 2: FIFO over the named order's invoices ---------------------------------------------
order_fifo as (
    {{ fifo_allocate('credits_1', 'remaining', 'items_1', 'open_amount', 'erp_order_no', 'order') }}
),
credits_2 as (
    select c.*, c.remaining - coalesce(f.applied_amount, 0) as remaining_2
    from credits_1 as c
    left join (
        select credit_id, sum(applied_amount) as applied_amount from order_fifo group by all
    ) as f using (credit_id)
),
items_2 as (
    select it.*, it.open_amount - coalesce(f.applied_amount, 0) as open_amount_2
    from items_1 as it
    left join (
        select ar_invoice_number, sum(applied_amount) as applied_amount from order_fifo group by all
    ) as f using (ar_invoice_number)
),
-- pass 3: FIFO over the contract's invoices ------------------------------------------------
contract_fifo as (
    {{ fifo_allocate('credits_2', 'remaining_2', 'items_2', 'open_amount_2', 'contract_no', 'contract') }}
),
allocations as (
    select * from explicit where applied_amount > 0
    union all
    select * from order_fifo where applied_amount > 0
    union all
    select * from contract_fifo where applied_amount > 0
)
select
    credit_id || '>' || ar_invoice_number || '>' || coalesce(fifo_pool, allocation_method) as allocation_id,
    credit_id,
    ar_invoice_number,
    allocation_method,
    fifo_pool,
    credit_date,
    invoice_date,
    greatest(credit_date, invoice_date) as allocation_date,
    cast(applied_amount as decimal(18, 2)) as applied_amount
from allocations
