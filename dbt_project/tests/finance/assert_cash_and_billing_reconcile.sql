-- Money is neither created nor lost between the finance marts, on the as-of date:
-- counted credits = Σ fct_receipt_allocations + Σ rpt_unapplied_cash on the as-of date;
-- per contract, rpt_contract_billing_status's open AR = rpt_ar_aging's; and the order-line
-- report adds up to the contract report (ordered) and to the deliveries of its lines
-- (delivered).
with credits as (
    select coalesce(sum(amount), 0) as credited
    from {{ ref('int_finance__receipt_credits') }}
    where is_counted
),
applied as (
    select coalesce(sum(applied_amount), 0) as applied from {{ ref('fct_receipt_allocations') }}
),
unapplied as (
    select coalesce(sum(unapplied_amount), 0) as unapplied
    from {{ ref('rpt_unapplied_cash') }}
    where is_as_of_date
),
cash as (
    select 'credits <> applied + unapplied' as failure, null as contract_no
    from credits, applied, unapplied
    where credited <> applied + unapplied
),
aging as (
    select contract_no, sum(open_amount) as open_ar
    from {{ ref('rpt_ar_aging') }}
    where is_as_of_date and contract_no is not null
    group by all
),
contract_ar as (
    select 'contract open AR <> aging' as failure, b.contract_no
    from {{ ref('rpt_contract_billing_status') }} as b
    full join aging as a using (contract_no)
    where coalesce(b.open_ar_amount, 0) <> coalesce(a.open_ar, 0)
),
lines as (
    select contract_no, sum(delivered_amount_incl_tax) as delivered, sum(ordered_amount_incl_tax) as ordered
    from {{ ref('rpt_order_line_billing_status') }}
    group by all
),
deliveries_of_known_lines as (
    -- deliveries of a quarantined order line count for the contract but have no line row
    select d.contract_no, sum(d.amount_incl_tax) as delivered
    from {{ ref('fct_deliveries') }} as d
    join {{ ref('rpt_order_line_billing_status') }} as l using (erp_order_entry_id)
    where d.is_counted
    group by all
),
contract_lines as (
    select 'order lines <> contract (ordered) or deliveries (delivered)' as failure, b.contract_no
    from {{ ref('rpt_contract_billing_status') }} as b
    join lines as l using (contract_no)
    left join deliveries_of_known_lines as d using (contract_no)
    where b.ordered_amount_incl_tax <> l.ordered
        or l.delivered <> coalesce(d.delivered, 0)
        or l.delivered > b.delivered_amount_incl_tax
)
select * from cash
union all select * from contract_ar
union all select * from contract_lines
