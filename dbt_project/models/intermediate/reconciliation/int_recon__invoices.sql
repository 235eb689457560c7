-- Check crm_erp_invoices: the CRM's copies of ERP VAT invoices (module Invoices) vs the ERP
-- invoices (domain §2: audited ERP invoices are copied to the CRM the next day). Matched on
-- the 20-digit invoice number. One row per issue.
with as_of as (
    select {{ as_of_date() }} as as_of_date
),
rules as (
    {{ recon_rules('crm_erp_invoices') }}
),
erp as (
    select * from {{ ref('int_recon__erp_invoices') }}
),
crm as (
    select
        i.*,
        u.employee_code as owner_employee_code
    from {{ ref('stg_crm__invoices') }} as i
    left join {{ ref('stg_crm__users') }} as u on u.crm_user_id = i.owner_crm_user_id
    where not i.is_deleted
),
contract_owners as (
    select contract_no, owner_employee_code
    from {{ ref('fct_contracts') }}
),
missing_in_crm as (
    select
        'missing_in_crm' as issue_type,
        e.invoice_number as issue_key,
        e.invoice_number as erp_invoice_number,
        e.erp_order_no,
        e.erp_customer_code,
        e.contract_no,
        e.amount_incl_tax as erp_amount,
        co.owner_employee_code as responsible_employee_code,
        'audited ERP invoice (' || e.red_blue || ') has no live CRM copy' as details,
        -- an invoice's last change is its audit (FModifyDate), a day before the copy is due
        {{ local_date('e.modified_at') }} as reference_date,
        'erp_audited' as first_seen_basis,
        e._extracted_at as evidence_extracted_at
    from erp as e
    left join contract_owners as co using (contract_no)
    where not e.is_deleted
        and e.is_audited
        and e.invoice_number not in (select invoice_number from crm where invoice_number is not null)
),
joined as (
    select
        c.crm_invoice_id,
        c.invoice_number as crm_invoice_number,
        c.amount as crm_amount,
        c.crm_account_id,
        c.contract_no as crm_contract_no,
        c.erp_order_no as crm_erp_order_no,
        c.created_at as crm_created_at,
        c.modified_at as crm_modified_at,
        c._extracted_at as crm_extracted_at,
        coalesce(c.owner_employee_code, co.owner_employee_code) as responsible_employee_code,
        e.invoice_number as erp_invoice_number,
        e.is_deleted as erp_is_deleted,
        e.amount_incl_tax as erp_amount,
        e.erp_customer_code,
        e.erp_order_no,
        e.modified_at as erp_modified_at,
        e._extracted_at as erp_extracted_at
    from crm as c
    left join erp as e on e.invoice_number = c.invoice_number
    left join contract_owners as co on co.contract_no = c.contract_no
),
missing_in_erp as (
    select
        'missing_in_erp' as issue_type,
        crm_invoice_id as issue_key,
        crm_invoice_id,
        crm_invoice_number,
        crm_account_id,
        erp_invoice_number,
        crm_erp_order_no as erp_order_no,
        crm_contract_no as contract_no,
        crm_amount,
        responsible_employee_code,
        case when erp_is_deleted then 'ERP invoice deleted' else 'ERP has no invoice with this number' end as details,
        {{ local_date('coalesce(erp_modified_at, crm_created_at)') }} as reference_date,
        case when erp_is_deleted then 'erp_last_modified' else 'crm_copy_created' end as first_seen_basis,
        greatest(crm_extracted_at, erp_extracted_at) as evidence_extracted_at
    from joined
    where erp_invoice_number is null or erp_is_deleted
),
amount_mismatch as (
    select
        'amount_mismatch' as issue_type,
        j.crm_invoice_id as issue_key,
        j.crm_invoice_id,
        j.crm_invoice_number,
        j.crm_account_id,
        j.erp_invoice_number,
        j.erp_order_no,
        j.erp_customer_code,
        j.crm_contract_no as contract_no,
        j.crm_amount,
        j.erp_amount,
        j.responsible_employee_code,
        'CRM total ' || j.crm_amount || ' / ERP total ' || j.erp_amount as details,
        {{ local_date('greatest(j.crm_modified_at, j.erp_modified_at)') }} as reference_date,
        'later_modification' as first_seen_basis,
        greatest(j.crm_extracted_at, j.erp_extracted_at) as evidence_extracted_at
    from joined as j
    join rules as r on r.issue_type = 'amount_mismatch'
    where j.erp_invoice_number is not null
        and not j.erp_is_deleted
        and abs(coalesce(j.crm_amount, 0) - j.erp_amount) > r.amount_tolerance
),
{{ recon_emit('crm_erp_invoices', ['missing_in_crm', 'missing_in_erp', 'amount_mismatch']) }}
