-- Payment claim (来款认领, formtable_main_1122): links a bank receipt to a contract, order or
-- invoice.
with src as {{ latest_versions(source('oa', 'formtable_main_1122'), 'requestId') }}
select
    "requestId" as oa_request_id,
    rlbh as claim_no,
    yhlsh as bank_serial_no,
    fkrmc as payer_name,
    rlje as claim_amount,
    nullif(htbh, '') as contract_no,
    nullif(ddbh, '') as erp_order_no,
    nullif(fphm, '') as invoice_number,
    rlrq as claim_date,
    _extracted_at
from src
