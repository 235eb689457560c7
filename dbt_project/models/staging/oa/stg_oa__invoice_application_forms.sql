-- Invoice application (开票申请, formtable_main_1121).
with src as {{ latest_versions(source('oa', 'formtable_main_1121'), 'requestId') }}
select
    "requestId" as oa_request_id,
    sqbh as application_no,
    htbh as contract_no,
    ddbh as erp_order_no,
    khmc as customer_name,
    fplx as invoice_type,
    -- the form holds the rate in percent (13 = 13%); a fraction here, like the ERP's tax_rate
    cast(sl / 100 as decimal(9, 4)) as tax_rate,
    kpje as amount_incl_tax,
    sqrq as application_date,
    _extracted_at
from src
