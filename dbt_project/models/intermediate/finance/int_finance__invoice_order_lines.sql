-- Each line of an effective invoice tied to the sales order line it bills. Kingdee's invoice
-- line names the order (FSRCBILLNO) and the material but not the order line, so the k-th
-- invoice line of material M on an invoice matches the k-th line of M on its order (both in
-- entry-id order, which is the order the ERP creates them in). Red-letter lines match the
-- same way, so a reversal lands on the order line of the line it reverses. Invoice lines
-- without a match (another material, more lines than the order has) keep
-- erp_order_entry_id NULL and count only at contract level.
with invoices as (
    select invoice_number, ar_invoice_number, invoice_date
    from {{ ref('int_finance__invoices') }}
    where is_effective
),
invoice_lines as (
    select
        l.invoice_line_id,
        l.invoice_number,
        i.ar_invoice_number,
        i.invoice_date,
        l.erp_order_no,
        l.erp_material_code,
        l.contract_no,
        l.amount_excl_tax,
        l.tax_amount,
        l.amount_incl_tax,
        row_number() over (
            partition by l.invoice_number, l.erp_material_code order by l.erp_invoice_entry_id
        ) as material_seq
    from {{ ref('stg_erp__invoice_lines') }} as l
    join invoices as i using (invoice_number)
    where not l.is_deleted
),
order_lines as (
    select
        erp_order_entry_id,
        erp_order_no,
        erp_material_code,
        row_number() over (
            partition by erp_order_no, erp_material_code order by erp_order_entry_id
        ) as material_seq
    from {{ ref('stg_erp__sales_order_lines') }}
    where not is_deleted
)
select
    il.invoice_line_id,
    il.invoice_number,
    il.ar_invoice_number,
    il.invoice_date,
    il.erp_order_no,
    ol.erp_order_entry_id,
    il.erp_material_code,
    il.contract_no,
    il.amount_excl_tax,
    il.tax_amount,
    il.amount_incl_tax
from invoice_lines as il
left join order_lines as ol
    on ol.erp_order_no = il.erp_order_no
    and ol.erp_material_code = il.erp_material_code
    and ol.material_seq = il.material_seq
