-- One row per VAT invoice (invoice_number) built from its lines, with red-letter netting.
-- An invoice is effective when it is audited (C), not deleted in the ERP and dated on or
-- before the as-of date; only effective invoices carry net amounts and count in AR.
-- Red-letter (红字) invoices stay their own documents; each effective red invoice whose
-- original (FSrcInvoiceNo) is an effective blue invoice is netted into that blue invoice:
-- the blue row carries net = own + its reds, the red row net 0 (it lives inside the blue
-- one). A red invoice whose original is unknown (quarantined, deleted, not yet effective) is
-- an orphan credit note: its net is its own (negative) amount and it is its own AR item.
with as_of as (
    select {{ as_of_date() }} as as_of_date
),
lines as (
    select
        l.*,
        not l.is_deleted as is_live_line
    from {{ ref('stg_erp__invoice_lines') }} as l
),
invoices as (
    select
        invoice_number,
        min(erp_form_id) as erp_form_id,
        min(invoice_kind) as invoice_kind,
        min(erp_invoice_id) as erp_invoice_id,
        min(erp_invoice_bill_no) as erp_invoice_bill_no,
        min(invoice_date) as invoice_date,
        min(erp_customer_code) as erp_customer_code,
        min(customer_name) as customer_name,
        min(red_blue) as red_blue,
        min(original_invoice_number) as original_invoice_number,
        min(contract_no) as contract_no,
        min(erp_order_no) as erp_order_no,
        min(oa_application_no) as oa_application_no,
        min(settle_org) as settle_org,
        count(*) filter (where is_live_line) as line_count,
        count(*) filter (where not is_live_line) as deleted_line_count,
        -- the VAT rate when all live lines share one, else NULL (mixed rates)
        case when count(distinct tax_rate) filter (where is_live_line) = 1
            then min(tax_rate) filter (where is_live_line) end as tax_rate,
        cast(coalesce(sum(amount_excl_tax) filter (where is_live_line), 0) as decimal(18, 2)) as amount_excl_tax,
        cast(coalesce(sum(tax_amount) filter (where is_live_line), 0) as decimal(18, 2)) as tax_amount,
        cast(coalesce(sum(amount_incl_tax) filter (where is_live_line), 0) as decimal(18, 2)) as amount_incl_tax,
        coalesce(arg_max(document_status, (modified_at, document_status)) filter (where modified_at is not null), max(document_status)) as document_status,
        bool_and(is_deleted) as is_deleted,
        min(created_at) as created_at,
        max(modified_at) as modified_at
    from lines
    group by invoice_number
),
flagged as (
    select
        i.*,
        i.document_status = 'C' as is_audited,
        i.document_status = 'C' and not i.is_deleted and i.invoice_date <= a.as_of_date as is_effective,
        a.as_of_date
    from invoices as i
    cross join as_of as a
),
effective_blues as (
    select invoice_number from flagged where red_blue = 'blue' and is_effective
),
reds as (
    -- effective red invoices netted into an effective blue original
    select
        r.original_invoice_number as blue_invoice_number,
        count(*) as red_letter_count,
        sum(r.amount_excl_tax) as red_excl,
        sum(r.tax_amount) as red_tax,
        sum(r.amount_incl_tax) as red_incl,
        max(r.invoice_date) as last_red_letter_date
    from flagged as r
    join effective_blues as b on b.invoice_number = r.original_invoice_number
    where r.red_blue = 'red' and r.is_effective
    group by r.original_invoice_number
),
netted as (
    select
        f.*,
        coalesce(rd.red_letter_count, 0) as red_letter_count,
        cast(coalesce(rd.red_incl, 0) as decimal(18, 2)) as red_letter_amount_incl_tax,
        rd.last_red_letter_date,
        -- a red invoice is matched when its original is an effective blue invoice
        case
            when f.red_blue = 'red' and f.is_effective then eb.invoice_number is not null
        end as is_red_letter_matched,
        rd.red_excl,
        rd.red_tax,
        rd.red_incl
    from flagged as f
    left join reds as rd on rd.blue_invoice_number = f.invoice_number and f.red_blue = 'blue'
    left join effective_blues as eb on eb.invoice_number = f.original_invoice_number and f.red_blue = 'red'
)
select
    invoice_number,
    erp_form_id,
    invoice_kind,
    erp_invoice_id,
    erp_invoice_bill_no,
    invoice_date,
    erp_customer_code,
    customer_name,
    red_blue,
    original_invoice_number,
    contract_no,
    erp_order_no,
    oa_application_no,
    settle_org,
    line_count,
    deleted_line_count,
    tax_rate,
    amount_excl_tax,
    tax_amount,
    amount_incl_tax,
    red_letter_count,
    red_letter_amount_incl_tax,
    last_red_letter_date,
    is_red_letter_matched,
    -- net amounts: blue = own + netted reds; matched red = 0; orphan red = own; not effective = NULL
    cast(case
        when not is_effective then null
        when red_blue = 'red' and is_red_letter_matched then 0
        else amount_excl_tax + coalesce(red_excl, 0)
    end as decimal(18, 2)) as net_amount_excl_tax,
    cast(case
        when not is_effective then null
        when red_blue = 'red' and is_red_letter_matched then 0
        else tax_amount + coalesce(red_tax, 0)
    end as decimal(18, 2)) as net_tax_amount,
    cast(case
        when not is_effective then null
        when red_blue = 'red' and is_red_letter_matched then 0
        else amount_incl_tax + coalesce(red_incl, 0)
    end as decimal(18, 2)) as net_amount_incl_tax,
    coalesce(red_blue = 'blue' and red_letter_count > 0 and amount_incl_tax + red_incl <= 0, false)
        as is_fully_reversed,
    coalesce(red_blue = 'blue' and red_letter_count > 0 and amount_incl_tax + red_incl > 0, false)
        as is_partially_reversed,
    -- the AR item this invoice belongs to: itself, or for a matched red its blue original
    case
        when not is_effective then null
        when red_blue = 'red' and is_red_letter_matched then original_invoice_number
        else invoice_number
    end as ar_invoice_number,
    coalesce(is_effective and not (red_blue = 'red' and is_red_letter_matched), false) as is_ar_item,
    document_status,
    is_audited,
    is_deleted,
    is_effective,
    created_at,
    modified_at,
    as_of_date
from netted
