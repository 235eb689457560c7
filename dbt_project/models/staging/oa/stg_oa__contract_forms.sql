-- Contract approval form (合同审批, formtable_main_1101). Signed date (qdrq) is filled when
-- the approval is archived.
with src as {{ latest_versions(source('oa', 'formtable_main_1101'), 'requestId') }}
select
    "requestId" as oa_request_id,
    htbh as contract_no,
    htmc as contract_name,
    htlx as contract_type,
    khid as crm_account_id,
    khmc as customer_name,
    sjid as crm_deal_id,
    ywlx as business_type,
    htje as original_amount,
    qdrq as signed_date,
    ksrq as start_date,
    jsrq as end_date,
    fkts as payment_terms_days,
    xsry as salesperson_name,
    ssqy as region,
    _extracted_at
from src
