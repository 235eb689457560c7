-- ERP sales orders at header level for the reconciliation: one row per order number, with the
-- total of its live lines, its status and whether the ERP deleted it. Kingdee deletes whole
-- bills; a line removed from an order is a tombstone of that line only, so an order counts as
-- deleted when every line is.
with lines as (
    select * from {{ ref('stg_erp__sales_order_lines') }}
),
-- the customer of an order: the code most of its live lines name, preferring a code the ERP
-- knows (a line pointing at an unknown code is the odd one out); any other code is a mismatch
order_customers as (
    select
        l.erp_order_no,
        l.erp_customer_code
    from lines as l
    left join {{ ref('stg_erp__customers') }} as c
        on c.erp_customer_code = l.erp_customer_code and not c.is_deleted
    where not l.is_deleted
    group by l.erp_order_no, l.erp_customer_code
    qualify row_number() over (
        partition by l.erp_order_no
        order by count(*) desc, bool_or(c.erp_customer_code is not null) desc, l.erp_customer_code
    ) = 1
)
select
    erp_order_no,
    min(erp_order_id) as erp_order_id,
    min(order_date) as order_date,
    -- header fields repeat on every line; the live lines win
    arg_min(document_status, (is_deleted, document_status)) filter (where is_deleted is not null) as document_status,
    bool_or(is_cancelled and not is_deleted) as is_cancelled,
    bool_and(is_deleted) as is_deleted,
    min(contract_no) filter (where not is_deleted) as contract_no,
    min(crm_deal_id) filter (where not is_deleted) as crm_deal_id,
    arg_min(salesperson_code, (is_deleted, salesperson_code)) filter (where is_deleted is not null) as salesperson_code,
    max(oc.erp_customer_code) as erp_customer_code,
    count(distinct l.erp_customer_code) filter (where not is_deleted) as customer_code_count,
    list(distinct l.erp_customer_code order by l.erp_customer_code) filter (where not is_deleted) as erp_customer_codes,
    count(*) filter (where not is_deleted) as live_line_count,
    cast(coalesce(sum(amount_incl_tax) filter (where not is_deleted), 0) as decimal(18, 2)) as amount_incl_tax,
    max(approved_at) as approved_at,
    max(modified_at) as modified_at,
    max(_extracted_at) as _extracted_at
from lines as l
left join order_customers as oc using (erp_order_no)
group by erp_order_no
