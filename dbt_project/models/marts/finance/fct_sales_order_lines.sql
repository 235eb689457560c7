-- One row per ERP sales order line (销售订单分录), with the customer, the contract and the
-- salesperson's team and region on the order date (point in time). A line counts as ordered
-- when it is audited (C), not voided, not deleted in the ERP (`is_counted`); deleted lines
-- stay for reconciliation. Lines dated after the as-of date do not count yet.
with as_of as (
    select {{ as_of_date() }} as as_of_date
),
lines as (
    select * from {{ ref('stg_erp__sales_order_lines') }}
),
customers as (
    select customer_key, erp_customer_code
    from {{ ref('dim_customers') }}
    where erp_customer_code is not null
),
products as (
    select erp_material_code, business_type, product_group
    from {{ ref('dim_products') }}
),
employees as (
    select employee_code, team_name, region, valid_from, valid_to
    from {{ ref('dim_employees') }}
)
select
    l.erp_order_entry_id,
    l.erp_order_id,
    l.erp_order_no,
    row_number() over (partition by l.erp_order_no order by l.erp_order_entry_id) as line_seq,
    l.order_date,
    l.contract_no,
    l.crm_deal_id,
    cu.customer_key,
    l.erp_customer_code,
    l.customer_name,
    l.salesperson_code,
    l.salesperson_name,
    e.team_name as salesperson_team_name,
    e.region as salesperson_region,
    l.sales_department,
    l.erp_material_code,
    l.material_name,
    p.business_type,
    p.product_group,
    l.quantity,
    l.unit_price_excl_tax,
    l.unit_price_incl_tax,
    l.tax_rate,
    l.amount_excl_tax,
    l.tax_amount,
    l.amount_incl_tax,
    l.delivery_date as promised_delivery_date,
    l.document_status,
    l.is_audited,
    l.is_closed,
    l.is_cancelled,
    l.is_deleted,
    l.is_audited and not l.is_cancelled and not l.is_deleted and l.order_date <= a.as_of_date as is_counted,
    l.created_at,
    l.approved_at,
    l.modified_at
from lines as l
cross join as_of as a
left join customers as cu on cu.erp_customer_code = l.erp_customer_code
left join products as p on p.erp_material_code = l.erp_material_code
left join employees as e
    on e.employee_code = l.salesperson_code
    and l.order_date >= e.valid_from
    and l.order_date < e.valid_to
