-- Check oa_claims_erp_receipts: OA payment claims (来款认领) vs ERP receipt bills (收款单)
-- carrying the claim number (F_ZT_OaClaimNo). A claim is approved when its workflow is
-- archived (归档) on or before the as-of date; finance then books the receipt bill. One row per
-- issue.
with as_of as (
    select {{ as_of_date() }} as as_of_date
),
rules as (
    {{ recon_rules('oa_claims_erp_receipts') }}
),
claims as (
    select
        f.*,
        r.request_status,
        r.request_status = '归档' and {{ local_date('r.last_operated_at') }} <= a.as_of_date as is_approved,
        case when r.request_status = '归档' then {{ local_date('r.last_operated_at') }} end as approved_date
    from {{ ref('stg_oa__payment_claim_forms') }} as f
    left join {{ ref('stg_oa__workflow_requests') }} as r using (oa_request_id)
    cross join as_of as a
),
receipts as (
    select * from {{ ref('stg_erp__receipt_bills') }} where not is_deleted
),
contract_owners as (
    select contract_no, owner_employee_code
    from {{ ref('fct_contracts') }}
),
not_booked as (
    select
        'not_booked' as issue_type,
        c.claim_no as issue_key,
        c.oa_request_id,
        c.claim_no as oa_claim_no,
        c.contract_no as oa_contract_no,
        c.contract_no,
        c.bank_serial_no,
        c.claim_amount as oa_amount,
        co.owner_employee_code as responsible_employee_code,
        'claim approved ' || c.approved_date || ', no ERP receipt bill carries its number' as details,
        c.approved_date as reference_date,
        'oa_approved' as first_seen_basis,
        c._extracted_at as evidence_extracted_at
    from claims as c
    left join contract_owners as co using (contract_no)
    where c.is_approved
        and c.claim_no not in (select oa_claim_no from receipts where oa_claim_no is not null)
),
missing_in_oa as (
    select
        'missing_in_oa' as issue_type,
        r.erp_receipt_no as issue_key,
        r.erp_receipt_no,
        r.erp_customer_code,
        r.contract_no,
        r.bank_serial_no,
        r.amount as erp_amount,
        co.owner_employee_code as responsible_employee_code,
        case when r.oa_claim_no is null then 'ERP receipt bill names no OA claim'
            else 'OA has no payment claim ' || r.oa_claim_no end as details,
        {{ local_date('r.modified_at') }} as reference_date,
        'erp_last_modified' as first_seen_basis,
        r._extracted_at as evidence_extracted_at
    from receipts as r
    left join contract_owners as co using (contract_no)
    where r.oa_claim_no is null
        or r.oa_claim_no not in (select claim_no from claims where claim_no is not null)
),
pairs as (
    select
        c.oa_request_id,
        c.claim_no,
        c.claim_amount,
        c.contract_no as claim_contract_no,
        c.invoice_number as claim_invoice_number,
        c.bank_serial_no as claim_bank_serial_no,
        c.approved_date,
        c._extracted_at as oa_extracted_at,
        r.erp_receipt_no,
        r.erp_customer_code,
        r.amount,
        r.contract_no,
        r.invoice_number,
        r.bank_serial_no,
        r.modified_at,
        r._extracted_at as erp_extracted_at,
        co.owner_employee_code
    from claims as c
    join receipts as r on r.oa_claim_no = c.claim_no
    left join contract_owners as co on co.contract_no = coalesce(c.contract_no, r.contract_no)
),
amount_mismatch as (
    select
        'amount_mismatch' as issue_type,
        p.erp_receipt_no as issue_key,
        p.oa_request_id,
        p.claim_no as oa_claim_no,
        p.claim_contract_no as oa_contract_no,
        p.erp_receipt_no,
        p.erp_customer_code,
        coalesce(p.claim_contract_no, p.contract_no) as contract_no,
        p.bank_serial_no,
        p.claim_amount as oa_amount,
        p.amount as erp_amount,
        p.owner_employee_code as responsible_employee_code,
        'claimed ' || p.claim_amount || ' / booked ' || p.amount as details,
        {{ local_date('p.modified_at') }} as reference_date,
        'erp_last_modified' as first_seen_basis,
        greatest(p.oa_extracted_at, p.erp_extracted_at) as evidence_extracted_at
    from pairs as p
    join rules as r on r.issue_type = 'amount_mismatch'
    where abs(coalesce(p.claim_amount, 0) - coalesce(p.amount, 0)) > r.amount_tolerance
),
reference_mismatch as (
    select
        'reference_mismatch' as issue_type,
        p.erp_receipt_no as issue_key,
        p.oa_request_id,
        p.claim_no as oa_claim_no,
        p.claim_contract_no as oa_contract_no,
        p.erp_receipt_no,
        p.erp_customer_code,
        coalesce(p.claim_contract_no, p.contract_no) as contract_no,
        p.bank_serial_no,
        p.claim_amount as oa_amount,
        p.amount as erp_amount,
        p.owner_employee_code as responsible_employee_code,
        concat_ws('; ',
            case when p.claim_bank_serial_no is distinct from p.bank_serial_no then
                'bank serial ' || coalesce(p.claim_bank_serial_no, '(none)') || ' / ' || coalesce(p.bank_serial_no, '(none)') end,
            case when p.claim_contract_no is distinct from p.contract_no then
                'contract ' || coalesce(p.claim_contract_no, '(none)') || ' / ' || coalesce(p.contract_no, '(none)') end,
            case when p.claim_invoice_number is distinct from p.invoice_number then
                'invoice ' || coalesce(p.claim_invoice_number, '(none)') || ' / ' || coalesce(p.invoice_number, '(none)') end
        ) || ' (OA claim / ERP receipt bill)' as details,
        {{ local_date('p.modified_at') }} as reference_date,
        'erp_last_modified' as first_seen_basis,
        greatest(p.oa_extracted_at, p.erp_extracted_at) as evidence_extracted_at
    from pairs as p
    where p.claim_bank_serial_no is distinct from p.bank_serial_no
        or p.claim_contract_no is distinct from p.contract_no
        or p.claim_invoice_number is distinct from p.invoice_number
),
{{ recon_emit('oa_claims_erp_receipts', ['not_booked', 'missing_in_oa', 'amount_mismatch', 'reference_mismatch']) }}
