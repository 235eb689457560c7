-- Invoicing and collection status per contract (合同开票回款状态), as of the as-of date,
-- tax-inclusive and tax-exclusive side by side. One row per contract number known to the OA
-- (fct_contracts) or named by an ERP order, invoice or a credit (is_contract_known = false
-- when the OA form is missing, e.g. quarantined). Order-line grain: rpt_order_line_billing_status.
--   contracted       the contract's latest approved amount (fct_contracts.amount);
--   ordered / delivered / invoiced   counted ERP order lines / delivery lines / effective
--                    invoices net of red letters;
--   collected        approved payment claims to the contract (回款, the domain definition;
--                    same as the collections in rpt_sales_ranking);
--   prepayment transfers in / out (合同转账), and net_received = collected + in − out;
--   delivered_not_invoiced = max(delivered − invoiced, 0)          已发货未开票;
--   invoiced_not_collected = max(invoiced − (collected + transferred in), 0)   已开票未收款
--                    (money transferred from a prepayment contract pays the formal contract;
--                    a transfer out never makes a contract without invoices "not collected");
--   over_invoiced    = max(invoiced − delivered, 0); invoiced_over_contract = max(invoiced −
--                    contracted, 0);
--   prepayment_balance = max(net_received − invoiced, 0)          预收款余额 (cash ahead of
--                    invoicing; on a prepayment contract, what is not transferred yet);
--   applied / unapplied / open_ar: receipts applied to the contract's invoices, cash not applied
--                    (rpt_unapplied_cash), open AR (rpt_ar_aging) on the as-of date.
-- Cash has no VAT split: its tax-exclusive twin uses the contract's ordered excl/incl ratio
-- (else the VAT rate of its business type in dim_products).
with as_of as (
    select {{ as_of_date() }} as as_of_date
),
contracts as (
    select * from {{ ref('fct_contracts') }}
),
order_lines as (
    select contract_no, amount_incl_tax, amount_excl_tax
    from {{ ref('fct_sales_order_lines') }}
    where is_counted
),
ordered as (
    select
        contract_no,
        sum(amount_incl_tax) as ordered_incl,
        sum(amount_excl_tax) as ordered_excl
    from order_lines
    group by all
),
delivered as (
    select contract_no, sum(amount_incl_tax) as delivered_incl, sum(amount_excl_tax) as delivered_excl,
        max(delivery_date) as last_delivery_date
    from {{ ref('fct_deliveries') }}
    where is_counted
    group by all
),
invoiced as (
    select
        contract_no,
        sum(net_amount_incl_tax) as invoiced_incl,
        sum(net_amount_excl_tax) as invoiced_excl,
        sum(amount_incl_tax) filter (where red_blue = 'red') as red_letter_incl,
        count(*) filter (where red_blue = 'blue') as blue_invoice_count,
        count(*) filter (where red_blue = 'red') as red_invoice_count,
        max(invoice_date) as last_invoice_date
    from {{ ref('int_finance__invoices') }}
    where is_effective
    group by all
),
credits as (
    select
        contract_no,
        sum(amount) filter (where credit_type = 'claim') as collected,
        sum(amount) filter (where credit_type = 'prepayment_transfer_in') as transferred_in,
        -sum(amount) filter (where credit_type = 'prepayment_transfer_out') as transferred_out,
        max(credit_date) filter (where credit_type = 'claim') as last_collection_date
    from {{ ref('int_finance__receipt_credits') }}
    where is_counted
    group by all
),
applied as (
    select i.contract_no, sum(a.applied_amount) as applied
    from {{ ref('int_finance__receipt_allocations') }} as a
    join {{ ref('int_finance__invoices') }} as i on i.invoice_number = a.ar_invoice_number
    group by all
),
open_ar as (
    select contract_no, sum(open_amount) as open_ar, sum(open_amount) filter (where is_overdue) as overdue_ar
    from {{ ref('rpt_ar_aging') }}
    where is_as_of_date
    group by all
),
unapplied as (
    select contract_no, sum(unapplied_amount) as unapplied
    from {{ ref('rpt_unapplied_cash') }}
    where is_as_of_date and pool_type = 'contract'
    group by all
),
business_rates as (
    select business_type, mode(tax_rate) as tax_rate
    from {{ ref('dim_products') }}
    group by all
),
keys as (
    select contract_no from contracts
    union
    select contract_no from ordered
    union
    select contract_no from invoiced where contract_no is not null
    union
    select contract_no from credits where contract_no is not null
),
measured as (
    select
        k.contract_no,
        c.contract_no is not null as is_contract_known,
        c.contract_type,
        c.is_prepayment,
        c.business_type,
        c.customer_key,
        c.erp_customer_code,
        c.customer_name,
        c.owner_employee_code,
        c.owner_name,
        c.owner_team_name,
        c.owner_region,
        c.signed_date,
        c.status,
        c.is_terminated,
        c.payment_terms_days,
        coalesce(c.amount, 0) as contracted,
        coalesce(o.ordered_incl, 0) as ordered_incl,
        coalesce(o.ordered_excl, 0) as ordered_excl,
        coalesce(d.delivered_incl, 0) as delivered_incl,
        coalesce(d.delivered_excl, 0) as delivered_excl,
        coalesce(i.invoiced_incl, 0) as invoiced_incl,
        coalesce(i.invoiced_excl, 0) as invoiced_excl,
        coalesce(i.red_letter_incl, 0) as red_letter_incl,
        coalesce(i.blue_invoice_count, 0) as blue_invoice_count,
        coalesce(i.red_invoice_count, 0) as red_invoice_count,
        coalesce(cr.collected, 0) as collected,
        coalesce(cr.transferred_in, 0) as transferred_in,
        coalesce(cr.transferred_out, 0) as transferred_out,
        coalesce(cr.collected, 0) + coalesce(cr.transferred_in, 0) - coalesce(cr.transferred_out, 0) as net_received,
        coalesce(ap.applied, 0) as applied,
        coalesce(u.unapplied, 0) as unapplied,
        coalesce(ar.open_ar, 0) as open_ar,
        coalesce(ar.overdue_ar, 0) as overdue_ar,
        d.last_delivery_date,
        i.last_invoice_date,
        cr.last_collection_date,
        -- tax-exclusive / tax-inclusive ratio for amounts without a VAT split (contract, cash)
        case
            when o.ordered_incl <> 0 then o.ordered_excl / o.ordered_incl
            else 1 / (1 + br.tax_rate)
        end as excl_ratio,
        a.as_of_date
    from keys as k
    cross join as_of as a
    left join contracts as c using (contract_no)
    left join ordered as o using (contract_no)
    left join delivered as d using (contract_no)
    left join invoiced as i using (contract_no)
    left join credits as cr using (contract_no)
    left join applied as ap using (contract_no)
    left join unapplied as u using (contract_no)
    left join open_ar as ar using (contract_no)
    left join business_rates as br on br.business_type = c.business_type
),
excl as (
    select
        *,
        round(contracted * excl_ratio, 2) as contracted_excl,
        round(collected * excl_ratio, 2) as collected_excl,
        round(net_received * excl_ratio, 2) as net_received_excl,
        round((collected + transferred_in) * excl_ratio, 2) as paid_in_excl
    from measured
)
select
    contract_no,
    is_contract_known,
    contract_type,
    is_prepayment,
    business_type,
    customer_key,
    erp_customer_code,
    customer_name,
    owner_employee_code,
    owner_name,
    owner_team_name,
    owner_region,
    signed_date,
    status,
    is_terminated,
    payment_terms_days,
    cast(contracted as decimal(18, 2)) as contracted_amount_incl_tax,
    cast(contracted_excl as decimal(18, 2)) as contracted_amount_excl_tax,
    cast(ordered_incl as decimal(18, 2)) as ordered_amount_incl_tax,
    cast(ordered_excl as decimal(18, 2)) as ordered_amount_excl_tax,
    cast(delivered_incl as decimal(18, 2)) as delivered_amount_incl_tax,
    cast(delivered_excl as decimal(18, 2)) as delivered_amount_excl_tax,
    cast(invoiced_incl as decimal(18, 2)) as invoiced_amount_incl_tax,
    cast(invoiced_excl as decimal(18, 2)) as invoiced_amount_excl_tax,
    cast(red_letter_incl as decimal(18, 2)) as red_letter_amount_incl_tax,
    blue_invoice_count,
    red_invoice_count,
    cast(collected as decimal(18, 2)) as collected_amount_incl_tax,
    cast(collected_excl as decimal(18, 2)) as collected_amount_excl_tax,
    cast(transferred_in as decimal(18, 2)) as prepayment_transferred_in_amount,
    cast(transferred_out as decimal(18, 2)) as prepayment_transferred_out_amount,
    cast(net_received as decimal(18, 2)) as net_received_amount_incl_tax,
    cast(net_received_excl as decimal(18, 2)) as net_received_amount_excl_tax,
    cast(greatest(delivered_incl - invoiced_incl, 0) as decimal(18, 2)) as delivered_not_invoiced_incl_tax,
    cast(greatest(delivered_excl - invoiced_excl, 0) as decimal(18, 2)) as delivered_not_invoiced_excl_tax,
    cast(greatest(invoiced_incl - (collected + transferred_in), 0) as decimal(18, 2)) as invoiced_not_collected_incl_tax,
    cast(greatest(invoiced_excl - paid_in_excl, 0) as decimal(18, 2)) as invoiced_not_collected_excl_tax,
    cast(greatest(invoiced_incl - delivered_incl, 0) as decimal(18, 2)) as over_invoiced_incl_tax,
    cast(greatest(invoiced_excl - delivered_excl, 0) as decimal(18, 2)) as over_invoiced_excl_tax,
    cast(greatest(invoiced_incl - contracted, 0) as decimal(18, 2)) as invoiced_over_contract_incl_tax,
    cast(greatest(net_received - invoiced_incl, 0) as decimal(18, 2)) as prepayment_balance_incl_tax,
    cast(greatest(net_received_excl - invoiced_excl, 0) as decimal(18, 2)) as prepayment_balance_excl_tax,
    cast(applied as decimal(18, 2)) as applied_amount,
    cast(unapplied as decimal(18, 2)) as unapplied_amount,
    cast(open_ar as decimal(18, 2)) as open_ar_amount,
    cast(overdue_ar as decimal(18, 2)) as overdue_ar_amount,
    net_received < 0 as is_prepayment_overdrawn,
    case when invoiced_incl > 0 then cast(round((collected + transferred_in) / invoiced_incl, 4) as decimal(9, 4)) end
        as collection_rate,
    last_delivery_date,
    last_invoice_date,
    last_collection_date,
    as_of_date
from excl
