-- Invoicing and collection status per sales order line (the line grain of
-- rpt_contract_billing_status), as of the as-of date, tax-inclusive and tax-exclusive side by
-- side:
--   ordered                  the line's amount (counted lines: audited, not voided/deleted);
--   delivered                its counted outbound delivery lines;
--   invoiced                 its effective invoice lines net of red letters (invoice lines are
--                            tied to order lines in int_finance__invoice_order_lines);
--   collected                receipts *applied* to its invoices (fct_receipt_allocations),
--                            spread over the invoice's order lines in proportion to their net
--                            invoiced amount (claims name contracts or invoices, never lines);
--   delivered_not_invoiced   max(delivered − invoiced, 0)   已发货未开票;
--   invoiced_not_collected   max(invoiced − collected, 0)   已开票未收款;
--   over_invoiced            max(invoiced − delivered, 0)   invoiced ahead of delivery.
-- Cash carries no VAT split: collected excl. tax = collected × the line's invoiced excl/incl.
with as_of as (
    select {{ as_of_date() }} as as_of_date
),
order_lines as (
    select * from {{ ref('fct_sales_order_lines') }}
    where not is_deleted
),
delivered as (
    select
        erp_order_entry_id,
        sum(amount_incl_tax) as delivered_incl,
        sum(amount_excl_tax) as delivered_excl,
        sum(quantity) as delivered_quantity,
        min(delivery_date) as first_delivery_date,
        max(delivery_date) as last_delivery_date
    from {{ ref('fct_deliveries') }}
    where is_counted
    group by all
),
invoice_lines as (
    select * from {{ ref('int_finance__invoice_order_lines') }}
),
invoiced as (
    select
        erp_order_entry_id,
        sum(amount_incl_tax) as invoiced_incl,
        sum(amount_excl_tax) as invoiced_excl,
        min(invoice_date) as first_invoice_date,
        max(invoice_date) as last_invoice_date
    from invoice_lines
    where erp_order_entry_id is not null
    group by all
),
item_lines as (
    select
        ar_invoice_number,
        coalesce(erp_order_entry_id, -1) as entry_key,
        sum(amount_incl_tax) as line_net
    from invoice_lines
    group by all
),
item_totals as (
    select ar_invoice_number, sum(line_net) as item_net
    from item_lines
    group by all
),
applied as (
    select ar_invoice_number, sum(applied_amount) as applied_amount
    from {{ ref('int_finance__receipt_allocations') }}
    group by all
),
shares as (
    select
        il.entry_key,
        ap.applied_amount,
        t.item_net,
        il.line_net,
        sum(il.line_net) over (
            partition by il.ar_invoice_number order by il.entry_key rows unbounded preceding
        ) as run_end
    from item_lines as il
    join item_totals as t using (ar_invoice_number)
    join applied as ap using (ar_invoice_number)
    where t.item_net > 0
),
collected as (
    select
        entry_key as erp_order_entry_id,
        sum(
            cast(round(applied_amount * run_end / item_net, 2) as decimal(18, 2))
            - cast(round(applied_amount * (run_end - line_net) / item_net, 2) as decimal(18, 2))
        ) as collected_incl
    from shares
    where entry_key <> -1
    group by all
),
contracts as (
    select contract_no, contract_type, is_prepayment, owner_employee_code, owner_name,
        owner_team_name, owner_region
    from {{ ref('fct_contracts') }}
),
measured as (
    select
        ol.*,
        a.as_of_date,
        coalesce(d.delivered_incl, 0) as delivered_incl,
        coalesce(d.delivered_excl, 0) as delivered_excl,
        coalesce(d.delivered_quantity, 0) as delivered_quantity,
        d.first_delivery_date,
        d.last_delivery_date,
        coalesce(i.invoiced_incl, 0) as invoiced_incl,
        coalesce(i.invoiced_excl, 0) as invoiced_excl,
        i.first_invoice_date,
        i.last_invoice_date,
        coalesce(c.collected_incl, 0) as collected_incl,
        case
            when coalesce(i.invoiced_incl, 0) <> 0
                then round(coalesce(c.collected_incl, 0) * i.invoiced_excl / i.invoiced_incl, 2)
            else round(coalesce(c.collected_incl, 0) / (1 + ol.tax_rate), 2)
        end as collected_excl
    from order_lines as ol
    cross join as_of as a
    left join delivered as d using (erp_order_entry_id)
    left join invoiced as i using (erp_order_entry_id)
    left join collected as c using (erp_order_entry_id)
)
select
    m.erp_order_entry_id,
    m.erp_order_no,
    m.line_seq,
    m.order_date,
    m.contract_no,
    k.contract_type,
    k.is_prepayment,
    m.customer_key,
    m.erp_customer_code,
    m.customer_name,
    m.salesperson_code,
    m.salesperson_name,
    m.salesperson_team_name,
    m.salesperson_region,
    k.owner_employee_code as contract_owner_employee_code,
    k.owner_region as contract_owner_region,
    m.erp_material_code,
    m.material_name,
    m.business_type,
    m.tax_rate,
    m.quantity as ordered_quantity,
    m.delivered_quantity,
    m.is_counted,
    cast(case when m.is_counted then m.amount_incl_tax else 0 end as decimal(18, 2)) as ordered_amount_incl_tax,
    cast(case when m.is_counted then m.amount_excl_tax else 0 end as decimal(18, 2)) as ordered_amount_excl_tax,
    cast(m.delivered_incl as decimal(18, 2)) as delivered_amount_incl_tax,
    cast(m.delivered_excl as decimal(18, 2)) as delivered_amount_excl_tax,
    cast(m.invoiced_incl as decimal(18, 2)) as invoiced_amount_incl_tax,
    cast(m.invoiced_excl as decimal(18, 2)) as invoiced_amount_excl_tax,
    cast(m.collected_incl as decimal(18, 2)) as collected_amount_incl_tax,
    cast(m.collected_excl as decimal(18, 2)) as collected_amount_excl_tax,
    cast(greatest(m.delivered_incl - m.invoiced_incl, 0) as decimal(18, 2)) as delivered_not_invoiced_incl_tax,
    cast(greatest(m.delivered_excl - m.invoiced_excl, 0) as decimal(18, 2)) as delivered_not_invoiced_excl_tax,
    cast(greatest(m.invoiced_incl - m.collected_incl, 0) as decimal(18, 2)) as invoiced_not_collected_incl_tax,
    cast(greatest(m.invoiced_excl - m.collected_excl, 0) as decimal(18, 2)) as invoiced_not_collected_excl_tax,
    cast(greatest(m.invoiced_incl - m.delivered_incl, 0) as decimal(18, 2)) as over_invoiced_incl_tax,
    cast(greatest(m.invoiced_excl - m.delivered_excl, 0) as decimal(18, 2)) as over_invoiced_excl_tax,
    m.first_delivery_date,
    m.last_delivery_date,
    m.first_invoice_date,
    m.last_invoice_date,
    case when m.delivered_incl > m.invoiced_incl then m.as_of_date - m.last_delivery_date end
        as days_delivered_not_invoiced,
    m.as_of_date
from measured as m
left join contracts as k using (contract_no)
