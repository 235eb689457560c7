-- Check bank_erp_receipts: incoming payments on the imported bank statements vs the ERP
-- receipt bills (F_ZT_BankSerialNo) and, for money nobody has booked, the OA payment claims
-- (yhlsh). Matched on the bank serial number. One row per issue.
with as_of as (
    select {{ as_of_date() }} as as_of_date
),
rules as (
    {{ recon_rules('bank_erp_receipts') }}
),
bank as (
    select * from {{ ref('stg_bank__statements') }} where amount > 0
),
-- how far the imported statements reach: ERP receipts dated later cannot be checked yet
coverage as (
    select max(received_date) as covered_through from bank
),
claims as (
    select bank_serial_no, min(claim_no) as claim_no, min(contract_no) as contract_no
    from {{ ref('stg_oa__payment_claim_forms') }}
    where bank_serial_no is not null
    group by all
),
receipts as (
    select * from {{ ref('stg_erp__receipt_bills') }} where not is_deleted
),
receipts_by_serial as (
    select
        bank_serial_no,
        cast(sum(amount) as decimal(18, 2)) as amount,
        count(*) as receipt_count,
        string_agg(erp_receipt_no, ', ' order by erp_receipt_no) as erp_receipt_nos,
        min(contract_no) as contract_no,
        min(erp_customer_code) as erp_customer_code,
        max(modified_at) as modified_at,
        max(_extracted_at) as _extracted_at
    from receipts
    where bank_serial_no is not null
    group by all
),
contracts as (
    select contract_no, owner_employee_code
    from {{ ref('fct_contracts') }}
),
-- a contract number quoted in the payer's memo (e.g. HT-HD-202402-96520002款)
memo_contracts as (
    select
        b.bank_txn_id,
        c.contract_no,
        c.owner_employee_code
    from bank as b
    join contracts as c
        on c.contract_no = regexp_extract(b.memo, '(HT|YF)-[A-Z]{2}-\d{6}-\d+', 0)
),
unclaimed as (
    select
        'unclaimed' as issue_type,
        b.bank_txn_id as issue_key,
        b.bank_txn_id,
        b.bank_serial_no,
        m.contract_no,
        b.amount as bank_amount,
        m.owner_employee_code as responsible_employee_code,
        'received ' || b.received_date || ' from ' || coalesce(b.payer_name, '(unknown payer)')
            || coalesce(' memo ' || b.memo, '') || '; no OA claim, no ERP receipt bill' as details,
        b.received_date as reference_date,
        'bank_received' as first_seen_basis,
        b._extracted_at as evidence_extracted_at
    from bank as b
    left join memo_contracts as m using (bank_txn_id)
    where b.bank_serial_no not in (select bank_serial_no from claims)
        and b.bank_serial_no not in (select bank_serial_no from receipts_by_serial)
),
missing_in_bank as (
    select
        'missing_in_bank' as issue_type,
        r.erp_receipt_no as issue_key,
        r.erp_receipt_no,
        r.erp_customer_code,
        r.contract_no,
        r.bank_serial_no,
        r.amount as erp_amount,
        co.owner_employee_code as responsible_employee_code,
        case when r.bank_serial_no is null then 'ERP receipt bill names no bank serial number'
            else 'no imported statement line has serial ' || r.bank_serial_no
                || ' (statements cover up to ' || cv.covered_through || ')' end as details,
        r.receipt_date as reference_date,
        'erp_receipt_date' as first_seen_basis,
        r._extracted_at as evidence_extracted_at
    from receipts as r
    cross join coverage as cv
    left join contracts as co using (contract_no)
    where r.receipt_date <= cv.covered_through
        and (r.bank_serial_no is null
            or r.bank_serial_no not in (select bank_serial_no from bank))
),
amount_mismatch as (
    select
        'amount_mismatch' as issue_type,
        b.bank_txn_id as issue_key,
        b.bank_txn_id,
        b.bank_serial_no,
        rs.erp_receipt_nos as erp_receipt_no,
        rs.erp_customer_code,
        rs.contract_no,
        b.amount as bank_amount,
        rs.amount as erp_amount,
        co.owner_employee_code as responsible_employee_code,
        'statement ' || b.amount || ' / ' || rs.receipt_count || ' ERP receipt bill(s) ' || rs.amount as details,
        {{ local_date('rs.modified_at') }} as reference_date,
        'erp_last_modified' as first_seen_basis,
        greatest(b._extracted_at, rs._extracted_at) as evidence_extracted_at
    from bank as b
    join receipts_by_serial as rs using (bank_serial_no)
    join rules as r on r.issue_type = 'amount_mismatch'
    left join contracts as co on co.contract_no = rs.contract_no
    where abs(b.amount - rs.amount) > r.amount_tolerance
),
{{ recon_emit('bank_erp_receipts', ['unclaimed', 'missing_in_bank', 'amount_mismatch']) }}
