-- Prepayment transfer (合同转账, formtable_main_1123): a prepayment contract's money moves to
-- its formal contract.
with src as {{ latest_versions(source('oa', 'formtable_main_1123'), 'requestId') }}
select
    "requestId" as oa_request_id,
    zzbh as transfer_no,
    yfhtbh as prepayment_contract_no,
    zshtbh as formal_contract_no,
    zzje as transfer_amount,
    zzrq as transfer_date,
    _extracted_at
from src
