-- fct_invoices reconciles to the ERP invoice lines in staging: per invoice kind and colour,
-- the same invoices and the same live-line totals (tax-exclusive, VAT, tax-inclusive); the net
-- columns add up to the effective invoices' amounts (red letters move between invoices, money
-- does not appear or vanish); and every blue invoice's net = own amount + its red letters.
with stg as (
    select
        invoice_kind,
        red_blue,
        count(distinct invoice_number) as invoices,
        sum(amount_excl_tax) filter (where not is_deleted) as excl,
        sum(tax_amount) filter (where not is_deleted) as tax,
        sum(amount_incl_tax) filter (where not is_deleted) as incl
    from {{ ref('stg_erp__invoice_lines') }}
    group by all
),
fct as (
    select
        invoice_kind,
        red_blue,
        count(*) as invoices,
        sum(amount_excl_tax) as excl,
        sum(tax_amount) as tax,
        sum(amount_incl_tax) as incl
    from {{ ref('fct_invoices') }}
    group by all
),
totals as (
    select
        coalesce(s.invoice_kind, f.invoice_kind) as invoice_kind,
        coalesce(s.red_blue, f.red_blue) as red_blue,
        'staging vs fct totals' as failure
    from stg as s
    full join fct as f using (invoice_kind, red_blue)
    where s.invoices is distinct from f.invoices
        or coalesce(s.excl, 0) <> coalesce(f.excl, 0)
        or coalesce(s.tax, 0) <> coalesce(f.tax, 0)
        or coalesce(s.incl, 0) <> coalesce(f.incl, 0)
),
net as (
    select null as invoice_kind, null as red_blue, 'net <> effective amounts' as failure
    from {{ ref('fct_invoices') }}
    having coalesce(sum(net_amount_incl_tax), 0) <> coalesce(sum(amount_incl_tax) filter (where is_effective), 0)
        or coalesce(sum(net_amount_excl_tax), 0) <> coalesce(sum(amount_excl_tax) filter (where is_effective), 0)
        or coalesce(sum(net_tax_amount), 0) <> coalesce(sum(tax_amount) filter (where is_effective), 0)
),
blue as (
    select b.invoice_kind, b.invoice_number as red_blue, 'blue net <> own + red letters' as failure
    from {{ ref('fct_invoices') }} as b
    left join (
        select original_invoice_number, sum(amount_incl_tax) as red
        from {{ ref('fct_invoices') }}
        where red_blue = 'red' and is_effective and is_red_letter_matched
        group by all
    ) as r on r.original_invoice_number = b.invoice_number
    where b.red_blue = 'blue' and b.is_effective
        and b.net_amount_incl_tax <> b.amount_incl_tax + coalesce(r.red, 0)
)
select * from totals
union all select * from net
union all select * from blue
