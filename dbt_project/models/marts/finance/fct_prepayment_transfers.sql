-- One row per prepayment transfer (合同转账, workflow 123): money received on a prepayment
-- contract (预付款合同, YF-…) moved to its formal contract (HT-…). An approved transfer dated on
-- or before the as-of date counts (`is_counted`): it takes the amount out of the prepayment
-- contract's unapplied cash and makes it a credit of the formal contract, applied FIFO to that
-- contract's invoices (fct_receipt_allocations).
with requests as (
    select oa_request_id, request_status, approval_outcome, archived_date, waiting_node_name,
        is_known_as_of, as_of_date
    from {{ ref('int_finance__form_requests') }}
),
forms as (
    select * from {{ ref('stg_oa__prepayment_transfer_forms') }}
),
contracts as (
    select contract_no, is_prepayment, customer_key, erp_customer_code, owner_employee_code
    from {{ ref('fct_contracts') }}
),
claimed as (
    -- approved claims to the prepayment contract up to the transfer date
    select
        f.oa_request_id,
        sum(c.amount) as claimed_before_transfer
    from forms as f
    join {{ ref('int_finance__receipt_credits') }} as c
        on c.contract_no = f.prepayment_contract_no
        and c.credit_type = 'claim'
        and c.is_counted
        and c.credit_date <= f.transfer_date
    group by all
),
applied as (
    select substr(credit_id, 13) as oa_request_id, sum(applied_amount) as applied_amount
    from {{ ref('int_finance__receipt_allocations') }}
    where credit_id like 'transfer_in:%'
    group by all
)
select
    f.oa_request_id,
    f.transfer_no,
    f.prepayment_contract_no,
    f.formal_contract_no,
    yf.is_prepayment as is_from_prepayment_contract,
    coalesce(ht.customer_key, yf.customer_key) as customer_key,
    coalesce(ht.erp_customer_code, yf.erp_customer_code) as erp_customer_code,
    yf.erp_customer_code is distinct from ht.erp_customer_code as is_customer_mismatch,
    ht.owner_employee_code,
    f.transfer_amount,
    f.transfer_date,
    r.request_status,
    r.approval_outcome,
    r.waiting_node_name,
    case when r.approval_outcome = 'approved' then r.archived_date end as approved_date,
    coalesce(r.approval_outcome = 'approved' and f.transfer_date <= r.as_of_date, false) as is_counted,
    cast(coalesce(cl.claimed_before_transfer, 0) as decimal(18, 2)) as prepayment_claimed_before_transfer,
    coalesce(cl.claimed_before_transfer, 0) < f.transfer_amount as exceeds_claimed_prepayment,
    cast(coalesce(ap.applied_amount, 0) as decimal(18, 2)) as applied_to_invoices_amount,
    r.as_of_date
from forms as f
left join requests as r using (oa_request_id)
left join contracts as yf on yf.contract_no = f.prepayment_contract_no
left join contracts as ht on ht.contract_no = f.formal_contract_no
left join claimed as cl using (oa_request_id)
left join applied as ap using (oa_request_id)
where coalesce(r.is_known_as_of, true)
