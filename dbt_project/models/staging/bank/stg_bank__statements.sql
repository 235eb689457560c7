-- Incoming payments (来款) from bank statements; the key is (account, bank serial number).
with src as {{ latest_versions(source('bank', 'statements'), ['account_no', 'serial_no']) }}
select
    account_no || ':' || serial_no as bank_txn_id,
    account_no,
    serial_no as bank_serial_no,
    bank_name,
    txn_time as received_at,
    {{ local_date('txn_time') }} as received_date,
    payer_name,
    payer_account,
    payer_bank,
    amount,
    debit_amount,
    balance,
    memo,
    source_file,
    source_row,
    _extracted_at
from src
