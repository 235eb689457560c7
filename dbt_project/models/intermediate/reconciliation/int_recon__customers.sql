-- Check crm_erp_customers: CRM accounts vs ERP customers (customers are mastered in the ERP
-- and copied to the CRM; domain §2). Pairs come from int_customer_matches (ERP code the CRM
-- holds, then tax id, then exact name). One row per issue.
with as_of as (
    select {{ as_of_date() }} as as_of_date
),
rules as (
    {{ recon_rules('crm_erp_customers') }}
),
crm as (
    select
        a.*,
        u.employee_code as owner_employee_code
    from {{ ref('stg_crm__accounts') }} as a
    left join {{ ref('stg_crm__users') }} as u on u.crm_user_id = a.owner_crm_user_id
),
erp as (
    select * from {{ ref('stg_erp__customers') }}
),
matches as (
    select * from {{ ref('int_customer_matches') }}
),
-- the salesperson of an ERP customer's latest order, for ERP-only customers
erp_sellers as (
    select erp_customer_code, arg_max(salesperson_code, (order_date, salesperson_code)) filter (where order_date is not null) as salesperson_code
    from {{ ref('stg_erp__sales_order_lines') }}
    where not is_deleted
    group by all
),
pairs as (
    select
        c.crm_account_id,
        c.account_name,
        c.tax_number as crm_tax_number,
        c.erp_customer_code as crm_erp_customer_code,
        c.owner_employee_code,
        c.modified_at as crm_modified_at,
        c._extracted_at as crm_extracted_at,
        e.erp_customer_code,
        e.customer_name as erp_customer_name,
        e.tax_number as erp_tax_number,
        e.created_at as erp_created_at,
        e.modified_at as erp_modified_at,
        e._extracted_at as erp_extracted_at,
        m.match_method
    from matches as m
    join crm as c on c.crm_account_id = m.crm_account_id
    join erp as e on e.erp_customer_code = m.erp_customer_code
    where not c.is_deleted and not e.is_deleted
),
missing_in_erp as (
    -- a live, unmatched account holds an ERP code the ERP does not have (or deleted)
    select
        'missing_in_erp' as issue_type,
        c.crm_account_id as issue_key,
        c.crm_account_id,
        c.erp_customer_code as crm_erp_customer_code,
        c.account_name as customer_name,
        c.owner_employee_code as responsible_employee_code,
        'ERP has no live customer ' || c.erp_customer_code
            || case when e.is_deleted then ' (deleted in the ERP)' else '' end as details,
        {{ local_date('c.modified_at') }} as reference_date,
        'crm_modified' as first_seen_basis,
        greatest(c._extracted_at, e._extracted_at) as evidence_extracted_at
    from crm as c
    left join erp as e on e.erp_customer_code = c.erp_customer_code
    where not c.is_deleted
        and c.erp_customer_code is not null
        and (e.erp_customer_code is null or e.is_deleted)
        -- matched to another ERP customer (by tax id or name): reported as code_not_synced
        and c.crm_account_id not in (select crm_account_id from pairs)
),
missing_in_crm as (
    -- a live ERP customer with no live CRM account matched to it
    select
        'missing_in_crm' as issue_type,
        e.erp_customer_code as issue_key,
        e.erp_customer_code,
        e.customer_name,
        s.salesperson_code as responsible_employee_code,
        'no live CRM account matches ERP customer ' || e.erp_customer_code
            || coalesce(' (its match ' || m.crm_account_id || ' is deleted in the CRM)', '') as details,
        {{ local_date('e.created_at') }} as reference_date,
        'erp_created' as first_seen_basis,
        e._extracted_at as evidence_extracted_at
    from erp as e
    left join matches as m on m.erp_customer_code = e.erp_customer_code
    left join crm as c on c.crm_account_id = m.crm_account_id
    left join erp_sellers as s on s.erp_customer_code = e.erp_customer_code
    where not e.is_deleted
        and (c.crm_account_id is null or c.is_deleted)
),
code_not_synced as (
    select
        'code_not_synced' as issue_type,
        p.crm_account_id as issue_key,
        p.crm_account_id,
        p.crm_erp_customer_code,
        p.erp_customer_code,
        p.account_name as customer_name,
        p.owner_employee_code as responsible_employee_code,
        'CRM holds ERP code ' || coalesce(p.crm_erp_customer_code, '(none)') || ', matched by '
            || p.match_method || ' to ' || p.erp_customer_code as details,
        {{ local_date('p.erp_created_at') }} as reference_date,
        'erp_created' as first_seen_basis,
        greatest(p.crm_extracted_at, p.erp_extracted_at) as evidence_extracted_at
    from pairs as p
    where p.crm_erp_customer_code is distinct from p.erp_customer_code
),
name_mismatch as (
    select
        'name_mismatch' as issue_type,
        p.crm_account_id as issue_key,
        p.crm_account_id,
        p.crm_erp_customer_code,
        p.erp_customer_code,
        p.account_name as customer_name,
        p.owner_employee_code as responsible_employee_code,
        'CRM name ' || p.account_name || ' / ERP name ' || p.erp_customer_name as details,
        {{ local_date('greatest(p.crm_modified_at, p.erp_modified_at)') }} as reference_date,
        'later_modification' as first_seen_basis,
        greatest(p.crm_extracted_at, p.erp_extracted_at) as evidence_extracted_at
    from pairs as p
    where trim(p.account_name) is distinct from trim(p.erp_customer_name)
),
tax_number_mismatch as (
    select
        'tax_number_mismatch' as issue_type,
        p.crm_account_id as issue_key,
        p.crm_account_id,
        p.crm_erp_customer_code,
        p.erp_customer_code,
        p.account_name as customer_name,
        p.owner_employee_code as responsible_employee_code,
        'CRM tax id ' || coalesce(p.crm_tax_number, '(none)') || ' / ERP tax id '
            || coalesce(p.erp_tax_number, '(none)') as details,
        {{ local_date('greatest(p.crm_modified_at, p.erp_modified_at)') }} as reference_date,
        'later_modification' as first_seen_basis,
        greatest(p.crm_extracted_at, p.erp_extracted_at) as evidence_extracted_at
    from pairs as p
    where p.crm_tax_number is distinct from p.erp_tax_number
),
live_accounts as (
    select * from crm where not is_deleted
),
same_key as (
    -- live accounts sharing a trimmed name or a tax id (two equi-joins: fast at scale)
    select d.crm_account_id, o.crm_account_id as original_crm_account_id, 'name' as shared
    from live_accounts as d
    join live_accounts as o on trim(o.account_name) = trim(d.account_name)
    where o.created_at < d.created_at
        or (o.created_at = d.created_at and o.crm_account_id < d.crm_account_id)
    union all
    select d.crm_account_id, o.crm_account_id, 'tax id'
    from live_accounts as d
    join live_accounts as o on o.tax_number = d.tax_number
    where o.created_at < d.created_at
        or (o.created_at = d.created_at and o.crm_account_id < d.crm_account_id)
),
duplicate_candidates as (
    -- every live account with an earlier live account of the same name or tax id: the
    -- duplicate of the earliest such account
    select
        d.crm_account_id,
        k.original_crm_account_id,
        k.shared,
        d.account_name,
        d.erp_customer_code as crm_erp_customer_code,
        d.owner_employee_code,
        d.created_at,
        greatest(d._extracted_at, o._extracted_at) as evidence_extracted_at
    from same_key as k
    join live_accounts as d on d.crm_account_id = k.crm_account_id
    join live_accounts as o on o.crm_account_id = k.original_crm_account_id
    qualify row_number() over (
        partition by d.crm_account_id order by o.created_at, o.crm_account_id, k.shared
    ) = 1
),
duplicate_account as (
    select
        'duplicate_account' as issue_type,
        crm_account_id as issue_key,
        crm_account_id,
        original_crm_account_id as crm_duplicate_of_account_id,
        crm_erp_customer_code,
        account_name as customer_name,
        owner_employee_code as responsible_employee_code,
        'same ' || shared || ' as CRM account ' || original_crm_account_id as details,
        {{ local_date('created_at') }} as reference_date,
        'crm_created' as first_seen_basis,
        evidence_extracted_at
    from duplicate_candidates
),
{{ recon_emit('crm_erp_customers', ['missing_in_erp', 'missing_in_crm', 'code_not_synced', 'name_mismatch', 'tax_number_mismatch', 'duplicate_account']) }}
