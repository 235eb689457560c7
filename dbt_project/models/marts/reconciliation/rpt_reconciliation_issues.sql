-- Cross-system reconciliation (对账), domain §4: one row per issue open on the as-of date,
-- from every check in the reconciliation_checks seed (grace days, tolerance, owner role and
-- severity per check and issue type; disabled rows are not reported). The checks compare the
-- latest landed state of each system (staging) and count ages against the as-of date.
with as_of as (
    select {{ as_of_date() }} as as_of_date
),
issues as (
    select * from {{ ref('int_recon__customers') }}
    union all by name select * from {{ ref('int_recon__orders') }}
    union all by name select * from {{ ref('int_recon__invoices') }}
    union all by name select * from {{ ref('int_recon__contract_orders') }}
    union all by name select * from {{ ref('int_recon__invoice_applications') }}
    union all by name select * from {{ ref('int_recon__payment_claims') }}
    union all by name select * from {{ ref('int_recon__bank_receipts') }}
),
checks as (
    select * from {{ ref('reconciliation_checks') }}
),
customers_by_crm as (
    select crm_account_id, customer_key, customer_name
    from {{ ref('dim_customers') }}
    where crm_account_id is not null
),
customers_by_contract as (
    select contract_no, customer_key, customer_name
    from {{ ref('fct_contracts') }}
    where customer_key is not null
),
customers_by_erp as (
    select erp_customer_code, customer_key, customer_name
    from {{ ref('dim_customers') }}
    where erp_customer_code is not null
),
contacts as (
    select * from {{ ref('int_recon__employee_contacts') }}
),
enriched as (
    select
        i.*,
        coalesce(cc.customer_key, ce.customer_key, ck.customer_key) as customer_key,
        coalesce(i.customer_name, cc.customer_name, ce.customer_name, ck.customer_name) as resolved_customer_name,
        k.check_name_zh,
        k.check_name_en,
        k.issue_name_zh,
        k.issue_name_en,
        k.severity,
        k.owner_role,
        case k.owner_role
            when 'owner' then i.responsible_employee_code
            when 'sales' then i.responsible_employee_code
            when 'assistant' then coalesce(ct.assistant_employee_code, i.responsible_employee_code)
            when 'manager' then coalesce(ct.manager_employee_code, i.responsible_employee_code)
        end as owner_employee_code
    from issues as i
    join checks as k using (check_code, issue_type)
    left join customers_by_crm as cc on cc.crm_account_id = i.crm_account_id
    left join customers_by_erp as ce on ce.erp_customer_code = i.erp_customer_code
    left join customers_by_contract as ck on ck.contract_no = i.contract_no
    left join contacts as ct on ct.employee_code = i.responsible_employee_code
)
select
    e.check_code || ':' || e.issue_type || ':' || e.issue_key as issue_id,
    e.check_code,
    e.check_name_zh,
    e.check_name_en,
    e.issue_type,
    e.issue_name_zh,
    e.issue_name_en,
    e.severity,
    e.crm_account_id,
    e.crm_duplicate_of_account_id,
    e.crm_erp_customer_code,
    e.crm_sales_order_id,
    e.crm_order_no,
    e.crm_invoice_id,
    e.crm_invoice_number,
    e.erp_customer_code,
    e.erp_order_no,
    e.erp_invoice_number,
    e.erp_receipt_no,
    e.oa_request_id,
    e.oa_contract_no,
    e.oa_application_no,
    e.oa_claim_no,
    e.bank_txn_id,
    e.bank_serial_no,
    e.contract_no,
    e.customer_key,
    e.resolved_customer_name as customer_name,
    cast(e.crm_amount as decimal(18, 2)) as crm_amount,
    cast(e.erp_amount as decimal(18, 2)) as erp_amount,
    cast(e.oa_amount as decimal(18, 2)) as oa_amount,
    cast(e.bank_amount as decimal(18, 2)) as bank_amount,
    -- the other system's amount minus the ERP's: when both sides have one, or when one side
    -- is missing altogether (it then counts 0: the whole amount is at stake)
    case
        when e.erp_amount is not null and coalesce(e.crm_amount, e.oa_amount, e.bank_amount) is not null then
            cast(coalesce(e.crm_amount, e.oa_amount, e.bank_amount) - e.erp_amount as decimal(18, 2))
        when e.issue_type in (
            'missing_in_crm', 'missing_in_erp', 'missing_in_oa', 'missing_in_bank', 'deleted_in_erp',
            'not_issued', 'not_booked', 'unclaimed', 'contract_missing_in_oa'
        ) then
            cast(coalesce(e.crm_amount, e.oa_amount, e.bank_amount, 0) - coalesce(e.erp_amount, 0) as decimal(18, 2))
    end as difference_amount,
    e.details,
    e.reference_date,
    e.first_seen,
    e.first_seen_basis,
    a.as_of_date - e.first_seen as days_open,
    e.responsible_employee_code,
    e.owner_role,
    e.owner_employee_code,
    e.evidence_extracted_at,
    a.as_of_date
from enriched as e
cross join as_of as a
