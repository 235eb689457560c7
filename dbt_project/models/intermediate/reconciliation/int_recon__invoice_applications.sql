-- Check oa_invoice_applications_erp_invoices: OA invoice applications (开票申请) vs the ERP VAT
-- invoices that carry their number (F_ZT_OaApplyNo). An application is approved when its
-- workflow is archived (归档) on or before the as-of date. The ERP side of an application is
-- the net of every live invoice carrying its number: blue invoices minus their red-letter
-- reversals, so a reversal followed by a re-issue nets to the amount issued once. One row per
-- issue.
with as_of as (
    select {{ as_of_date() }} as as_of_date
),
rules as (
    {{ recon_rules('oa_invoice_applications_erp_invoices') }}
),
applications as (
    select
        f.*,
        r.request_status,
        r.last_operated_at,
        r.request_status = '归档' and {{ local_date('r.last_operated_at') }} <= a.as_of_date as is_approved,
        case when r.request_status = '归档' then {{ local_date('r.last_operated_at') }} end as approved_date
    from {{ ref('stg_oa__invoice_application_forms') }} as f
    left join {{ ref('stg_oa__workflow_requests') }} as r using (oa_request_id)
    cross join as_of as a
),
invoices as (
    select * from {{ ref('int_recon__erp_invoices') }} where not is_deleted
),
issued as (
    select
        oa_application_no,
        cast(sum(amount_incl_tax) as decimal(18, 2)) as net_amount,
        count(*) filter (where red_blue = 'blue') as blue_count,
        count(*) filter (where red_blue = 'red') as red_count,
        max(invoice_date) filter (where red_blue = 'red') as last_red_date,
        string_agg(invoice_number, ', ' order by invoice_date, invoice_number) as invoice_numbers,
        min(erp_order_no) as erp_order_no,
        min(erp_customer_code) as erp_customer_code,
        max(created_at) as last_created_at,
        max(_extracted_at) as _extracted_at
    from invoices
    where oa_application_no is not null
    group by all
),
contract_owners as (
    select contract_no, owner_employee_code
    from {{ ref('fct_contracts') }}
),
joined as (
    select
        a.*,
        i.oa_application_no as issued_application_no,
        i.net_amount,
        i.blue_count,
        i.red_count,
        i.last_red_date,
        i.invoice_numbers,
        i.erp_customer_code,
        i.last_created_at,
        i._extracted_at as erp_extracted_at,
        co.owner_employee_code
    from applications as a
    left join issued as i on i.oa_application_no = a.application_no
    left join contract_owners as co using (contract_no)
),
not_issued as (
    select
        'not_issued' as issue_type,
        application_no as issue_key,
        oa_request_id,
        application_no as oa_application_no,
        contract_no as oa_contract_no,
        contract_no,
        erp_order_no,
        amount_incl_tax as oa_amount,
        owner_employee_code as responsible_employee_code,
        'application approved ' || approved_date || ', no ERP invoice carries its number' as details,
        approved_date as reference_date,
        'oa_approved' as first_seen_basis,
        _extracted_at as evidence_extracted_at
    from joined
    where is_approved and issued_application_no is null
),
amount_mismatch as (
    select
        'amount_mismatch' as issue_type,
        j.application_no as issue_key,
        j.oa_request_id,
        j.application_no as oa_application_no,
        j.contract_no as oa_contract_no,
        j.contract_no,
        j.erp_order_no,
        j.invoice_numbers as erp_invoice_number,
        j.erp_customer_code,
        j.amount_incl_tax as oa_amount,
        j.net_amount as erp_amount,
        j.owner_employee_code as responsible_employee_code,
        'applied ' || j.amount_incl_tax || ' / invoiced net ' || j.net_amount || ' ('
            || j.blue_count || ' blue, ' || j.red_count || ' red-letter: ' || j.invoice_numbers || ')' as details,
        {{ local_date('j.last_created_at') }} as reference_date,
        'erp_invoice_created' as first_seen_basis,
        greatest(j._extracted_at, j.erp_extracted_at) as evidence_extracted_at
    from joined as j
    join rules as r on r.issue_type = 'amount_mismatch'
    cross join as_of as a
    where j.issued_application_no is not null
        and abs(coalesce(j.amount_incl_tax, 0) - j.net_amount) > r.amount_tolerance
        -- a reversal whose re-issue is still within the not-issued grace is not an issue yet
        and not (
            j.red_count > 0
            and j.last_red_date + coalesce(
                (select grace_days from rules where issue_type = 'not_issued'), 0
            ) > a.as_of_date
        )
),
missing_in_oa as (
    select
        'missing_in_oa' as issue_type,
        i.invoice_number as issue_key,
        i.invoice_number as erp_invoice_number,
        i.erp_order_no,
        i.erp_customer_code,
        i.contract_no,
        i.amount_incl_tax as erp_amount,
        co.owner_employee_code as responsible_employee_code,
        case when i.oa_application_no is null then 'ERP invoice names no OA application'
            else 'OA has no application ' || i.oa_application_no end as details,
        i.invoice_date as reference_date,
        'erp_invoice_date' as first_seen_basis,
        i._extracted_at as evidence_extracted_at
    from invoices as i
    left join contract_owners as co using (contract_no)
    where i.oa_application_no is null
        or i.oa_application_no not in (select application_no from applications where application_no is not null)
),
issued_before_approval as (
    select
        'issued_before_approval' as issue_type,
        application_no as issue_key,
        oa_request_id,
        application_no as oa_application_no,
        contract_no as oa_contract_no,
        contract_no,
        erp_order_no,
        invoice_numbers as erp_invoice_number,
        erp_customer_code,
        amount_incl_tax as oa_amount,
        net_amount as erp_amount,
        owner_employee_code as responsible_employee_code,
        'application is ' || coalesce(request_status, '(no workflow)') || ' but invoices exist: ' || invoice_numbers as details,
        {{ local_date('last_created_at') }} as reference_date,
        'erp_invoice_created' as first_seen_basis,
        greatest(_extracted_at, erp_extracted_at) as evidence_extracted_at
    from joined
    where issued_application_no is not null and not coalesce(is_approved, false)
),
{{ recon_emit('oa_invoice_applications_erp_invoices', ['not_issued', 'amount_mismatch', 'missing_in_oa', 'issued_before_approval']) }}
