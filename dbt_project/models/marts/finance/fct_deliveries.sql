-- One row per ERP outbound delivery line (销售出库单分录), tied to the sales order line it
-- ships. The delivery carries only tax-inclusive amounts; the tax-exclusive amount applies
-- the order line's own excl/incl ratio (a full delivery gives exactly the order line's
-- tax-exclusive amount), else the line's VAT rate. A line counts as delivered when it is
-- audited and not deleted and dated on or before the as-of date (`is_counted`).
with as_of as (
    select {{ as_of_date() }} as as_of_date
),
deliveries as (
    select * from {{ ref('stg_erp__delivery_lines') }}
),
order_lines as (
    select erp_order_entry_id, contract_no, tax_rate, amount_excl_tax, amount_incl_tax, customer_key
    from {{ ref('fct_sales_order_lines') }}
),
customers as (
    select customer_key, erp_customer_code
    from {{ ref('dim_customers') }}
    where erp_customer_code is not null
),
employees as (
    select employee_code, team_name, region, valid_from, valid_to
    from {{ ref('dim_employees') }}
)
select
    d.erp_delivery_entry_id,
    d.erp_delivery_id,
    d.erp_delivery_no,
    d.delivery_date,
    d.erp_order_no,
    d.erp_order_entry_id,
    coalesce(d.contract_no, ol.contract_no) as contract_no,
    cu.customer_key,
    d.erp_customer_code,
    d.salesperson_code,
    e.team_name as salesperson_team_name,
    e.region as salesperson_region,
    d.erp_material_code,
    d.warehouse,
    d.quantity,
    d.unit_price_incl_tax,
    ol.tax_rate,
    d.amount_incl_tax,
    cast(case
        when ol.amount_incl_tax <> 0 then round(d.amount_incl_tax * ol.amount_excl_tax / ol.amount_incl_tax, 2)
        when ol.tax_rate is not null then round(d.amount_incl_tax / (1 + ol.tax_rate), 2)
    end as decimal(18, 2)) as amount_excl_tax,
    cast(d.amount_incl_tax - case
        when ol.amount_incl_tax <> 0 then round(d.amount_incl_tax * ol.amount_excl_tax / ol.amount_incl_tax, 2)
        when ol.tax_rate is not null then round(d.amount_incl_tax / (1 + ol.tax_rate), 2)
    end as decimal(18, 2)) as tax_amount,
    d.document_status,
    d.is_audited,
    d.is_deleted,
    d.is_audited and not d.is_deleted and d.delivery_date <= a.as_of_date as is_counted,
    d.created_at,
    d.modified_at
from deliveries as d
cross join as_of as a
left join order_lines as ol on ol.erp_order_entry_id = d.erp_order_entry_id
left join customers as cu on cu.erp_customer_code = d.erp_customer_code
left join employees as e
    on e.employee_code = d.salesperson_code
    and d.delivery_date >= e.valid_from
    and d.delivery_date < e.valid_to
