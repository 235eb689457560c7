-- Collections (回款): money claimed to a contract by an approved payment claim (来款认领), on
-- the claim date. A claim naming only an order or an invoice is traced to its contract
-- through the ERP order or invoice. Claims still in approval do not count yet.
with claims as (
    select f.*, r.request_status
    from {{ ref('stg_oa__payment_claim_forms') }} as f
    join {{ ref('stg_oa__workflow_requests') }} as r using (oa_request_id)
    where r.request_status = '归档'
),
order_contracts as (
    select erp_order_no, min(contract_no) as contract_no
    from {{ ref('stg_erp__sales_order_lines') }}
    where not is_deleted and contract_no is not null
    group by all
),
invoice_contracts as (
    select invoice_number, min(contract_no) as contract_no
    from {{ ref('stg_erp__invoice_lines') }}
    where not is_deleted and contract_no is not null
    group by all
)
select
    c.oa_request_id,
    c.claim_no,
    c.bank_serial_no,
    coalesce(c.contract_no, oc.contract_no, ic.contract_no) as contract_no,
    case
        when c.contract_no is not null then 'claim'
        when oc.contract_no is not null then 'order'
        when ic.contract_no is not null then 'invoice'
    end as contract_source,
    c.claim_date,
    c.claim_amount
from claims as c
left join order_contracts as oc on oc.erp_order_no = c.erp_order_no
left join invoice_contracts as ic on ic.invoice_number = c.invoice_number
