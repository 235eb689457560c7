-- Check crm_erp_orders: the CRM's copies of audited ERP sales orders (module Sales_Orders) vs
-- the ERP orders (domain §2: audited ERP orders are copied to the CRM the next day and ERP
-- deletions must be reflected). Matched on the order number (the copy's SO_Number). One row
-- per issue.
with as_of as (
    select {{ as_of_date() }} as as_of_date
),
rules as (
    {{ recon_rules('crm_erp_orders') }}
),
erp as (
    select * from {{ ref('int_recon__erp_orders') }}
),
crm as (
    select
        o.*,
        u.employee_code as owner_employee_code
    from {{ ref('stg_crm__sales_orders') }} as o
    left join {{ ref('stg_crm__users') }} as u on u.crm_user_id = o.owner_crm_user_id
    where not o.is_deleted
),
-- the ERP customer of the copy's CRM account: matched in dim_customers, else the code the CRM holds
crm_account_codes as (
    select crm_account_id, coalesce(erp_customer_code, crm_erp_customer_code) as erp_customer_code
    from {{ ref('dim_customers') }}
    where crm_account_id is not null
),
-- the ERP status as the CRM copy would show it
erp_status as (
    select
        *,
        case
            when is_cancelled then '作废'
            when document_status = 'C' then '已审核'
            when document_status = 'D' then '重新审核'
            when document_status = 'B' then '审核中'
            when document_status = 'A' then '创建'
            when document_status = 'Z' then '暂存'
        end as erp_status_text
    from erp
),
joined as (
    select
        c.crm_sales_order_id,
        c.erp_order_no as crm_order_no,
        c.order_status as crm_status,
        c.amount as crm_amount,
        c.crm_account_id,
        c.contract_no as crm_contract_no,
        c.erp_bill_id,
        c.owner_employee_code,
        c.created_at as crm_created_at,
        c.modified_at as crm_modified_at,
        c._extracted_at as crm_extracted_at,
        e.erp_order_no,
        e.erp_order_id,
        e.is_deleted as erp_is_deleted,
        e.erp_status_text,
        e.document_status,
        e.amount_incl_tax as erp_amount,
        e.contract_no as erp_contract_no,
        e.salesperson_code,
        e.erp_customer_code,
        e.erp_customer_codes,
        e.modified_at as erp_modified_at,
        e._extracted_at as erp_extracted_at,
        ac.erp_customer_code as crm_erp_customer_code
    from crm as c
    left join erp_status as e on e.erp_order_no = c.erp_order_no
    left join crm_account_codes as ac on ac.crm_account_id = c.crm_account_id
),
missing_in_crm as (
    -- audited, live ERP orders without a live CRM copy
    select
        'missing_in_crm' as issue_type,
        e.erp_order_no as issue_key,
        e.erp_order_no,
        e.erp_customer_code,
        e.contract_no,
        e.amount_incl_tax as erp_amount,
        e.salesperson_code as responsible_employee_code,
        'audited ERP order has no live CRM copy' as details,
        {{ local_date('e.approved_at') }} as reference_date,
        'erp_audited' as first_seen_basis,
        e._extracted_at as evidence_extracted_at
    from erp_status as e
    where not e.is_deleted
        and e.document_status = 'C'
        and not e.is_cancelled
        and e.erp_order_no not in (select erp_order_no from crm where erp_order_no is not null)
),
missing_in_erp as (
    -- a live copy of an order the ERP never had: no ERP document id on the copy
    select
        'missing_in_erp' as issue_type,
        crm_sales_order_id as issue_key,
        crm_sales_order_id,
        crm_order_no,
        crm_account_id,
        crm_contract_no as contract_no,
        crm_amount,
        owner_employee_code as responsible_employee_code,
        'CRM order ' || coalesce(crm_order_no, '(no number)') || ' has no ERP order and no ERP document id' as details,
        {{ local_date('crm_created_at') }} as reference_date,
        'crm_copy_created' as first_seen_basis,
        crm_extracted_at as evidence_extracted_at
    from joined
    where erp_order_no is null and erp_bill_id is null
),
deleted_in_erp as (
    -- a live copy of an order the ERP deleted: the landing holds its tombstone, or the ERP no
    -- longer has the order although the copy carries its ERP document id
    select
        'deleted_in_erp' as issue_type,
        crm_sales_order_id as issue_key,
        crm_sales_order_id,
        crm_order_no,
        crm_account_id,
        erp_order_no,
        crm_contract_no as contract_no,
        crm_amount,
        coalesce(salesperson_code, owner_employee_code) as responsible_employee_code,
        case
            when erp_order_no is not null then 'ERP order deleted (tombstone in the landing zone)'
            else 'ERP order (document id ' || erp_bill_id || ') no longer in the ERP'
        end as details,
        -- the ERP's last change before the deletion when the landing saw the order, else the
        -- copy's creation (a lower bound: the deletion was not observed)
        {{ local_date('coalesce(erp_modified_at, crm_created_at)') }} as reference_date,
        case when erp_order_no is not null then 'erp_last_modified' else 'crm_copy_created' end as first_seen_basis,
        greatest(crm_extracted_at, erp_extracted_at) as evidence_extracted_at
    from joined
    where (erp_order_no is null and erp_bill_id is not null) or erp_is_deleted
),
live_pairs as (
    select * from joined where erp_order_no is not null and not erp_is_deleted
),
amount_mismatch as (
    select
        'amount_mismatch' as issue_type,
        p.crm_sales_order_id as issue_key,
        p.crm_sales_order_id,
        p.crm_order_no,
        p.crm_account_id,
        p.erp_order_no,
        p.erp_customer_code,
        coalesce(p.erp_contract_no, p.crm_contract_no) as contract_no,
        p.crm_amount,
        p.erp_amount,
        coalesce(p.salesperson_code, p.owner_employee_code) as responsible_employee_code,
        'CRM total ' || p.crm_amount || ' / ERP total ' || p.erp_amount as details,
        {{ local_date('greatest(p.crm_modified_at, p.erp_modified_at)') }} as reference_date,
        'later_modification' as first_seen_basis,
        greatest(p.crm_extracted_at, p.erp_extracted_at) as evidence_extracted_at
    from live_pairs as p
    join rules as r on r.issue_type = 'amount_mismatch'
    where abs(coalesce(p.crm_amount, 0) - p.erp_amount) > r.amount_tolerance
),
status_mismatch as (
    select
        'status_mismatch' as issue_type,
        p.crm_sales_order_id as issue_key,
        p.crm_sales_order_id,
        p.crm_order_no,
        p.crm_account_id,
        p.erp_order_no,
        p.erp_customer_code,
        coalesce(p.erp_contract_no, p.crm_contract_no) as contract_no,
        p.crm_amount,
        p.erp_amount,
        coalesce(p.salesperson_code, p.owner_employee_code) as responsible_employee_code,
        'CRM status ' || coalesce(p.crm_status, '(none)') || ' / ERP status ' || p.erp_status_text
            || ' (' || p.document_status || ')' as details,
        {{ local_date('p.erp_modified_at') }} as reference_date,
        'erp_last_modified' as first_seen_basis,
        greatest(p.crm_extracted_at, p.erp_extracted_at) as evidence_extracted_at
    from live_pairs as p
    where p.crm_status is distinct from p.erp_status_text
),
customer_mismatch as (
    select
        'customer_mismatch' as issue_type,
        p.crm_sales_order_id as issue_key,
        p.crm_sales_order_id,
        p.crm_order_no,
        p.crm_account_id,
        p.erp_order_no,
        p.erp_customer_code,
        coalesce(p.erp_contract_no, p.crm_contract_no) as contract_no,
        p.crm_amount,
        p.erp_amount,
        coalesce(p.salesperson_code, p.owner_employee_code) as responsible_employee_code,
        'CRM account ' || p.crm_account_id || ' is ERP customer '
            || coalesce(p.crm_erp_customer_code, '(none)') || ' / ERP order lines name '
            || array_to_string(p.erp_customer_codes, ', ') as details,
        {{ local_date('greatest(p.crm_modified_at, p.erp_modified_at)') }} as reference_date,
        'later_modification' as first_seen_basis,
        greatest(p.crm_extracted_at, p.erp_extracted_at) as evidence_extracted_at
    from live_pairs as p
    where p.crm_erp_customer_code is not null
        and p.erp_customer_codes != [p.crm_erp_customer_code]
),
{{ recon_emit('crm_erp_orders', ['missing_in_crm', 'missing_in_erp', 'deleted_in_erp', 'amount_mismatch', 'status_mismatch', 'customer_mismatch']) }}
