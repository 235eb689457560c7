-- One row per ERP sales order (销售订单, erp_order_no) summed from its lines
-- (fct_sales_order_lines). Amounts count only lines that are audited, not voided and not
-- deleted; a fully deleted order stays with is_deleted for the CRM ↔ ERP reconciliation.
with lines as (
    select * from {{ ref('fct_sales_order_lines') }}
)
select
    erp_order_no,
    min(erp_order_id) as erp_order_id,
    min(order_date) as order_date,
    min(contract_no) as contract_no,
    min(crm_deal_id) as crm_deal_id,
    min(customer_key) as customer_key,
    min(erp_customer_code) as erp_customer_code,
    min(customer_name) as customer_name,
    min(salesperson_code) as salesperson_code,
    min(salesperson_name) as salesperson_name,
    min(salesperson_team_name) as salesperson_team_name,
    min(salesperson_region) as salesperson_region,
    min(business_type) as business_type,
    count(*) as line_count,
    count(*) filter (where is_counted) as counted_line_count,
    cast(coalesce(sum(amount_excl_tax) filter (where is_counted), 0) as decimal(18, 2)) as amount_excl_tax,
    cast(coalesce(sum(tax_amount) filter (where is_counted), 0) as decimal(18, 2)) as tax_amount,
    cast(coalesce(sum(amount_incl_tax) filter (where is_counted), 0) as decimal(18, 2)) as amount_incl_tax,
    arg_max(document_status, (modified_at, document_status)) filter (where modified_at is not null) as document_status,
    bool_and(is_audited) as is_audited,
    bool_or(is_closed) as is_closed,
    bool_and(is_cancelled) as is_cancelled,
    bool_and(is_deleted) as is_deleted,
    min(promised_delivery_date) as promised_delivery_date,
    min(created_at) as created_at,
    max(approved_at) as approved_at,
    max(modified_at) as modified_at
from lines
group by erp_order_no
