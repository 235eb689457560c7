-- Check oa_contracts_erp_orders: OA contracts (fct_contracts, one row per contract number, its
-- approval and amount as of the as-of date) vs the live ERP sales orders that name them
-- (F_ZT_ContractNo). Deleted and voided ERP orders do not count. One row per issue.
with as_of as (
    select {{ as_of_date() }} as as_of_date
),
rules as (
    {{ recon_rules('oa_contracts_erp_orders') }}
),
orders as (
    select *
    from {{ ref('int_recon__erp_orders') }}
    where not is_deleted and not is_cancelled
),
contracts as (
    select
        contract_no,
        oa_request_id,
        amount,
        is_approved,
        approval_outcome,
        status,
        is_terminated,
        termination_approved_date,
        erp_customer_code,
        owner_employee_code,
        coalesce(last_change_approved_date, signed_date, approval_created_date) as last_event_date
    from {{ ref('fct_contracts') }}
),
joined as (
    select
        o.*,
        c.contract_no as oa_contract_no,
        c.oa_request_id,
        c.amount as contract_amount,
        c.is_approved,
        c.approval_outcome,
        c.status as contract_status,
        c.is_terminated,
        c.termination_approved_date,
        c.erp_customer_code as contract_erp_customer_code,
        c.owner_employee_code as contract_owner_employee_code,
        c.last_event_date
    from orders as o
    left join contracts as c using (contract_no)
),
contract_missing_in_oa as (
    select
        'contract_missing_in_oa' as issue_type,
        erp_order_no as issue_key,
        erp_order_no,
        erp_customer_code,
        contract_no,
        amount_incl_tax as erp_amount,
        salesperson_code as responsible_employee_code,
        case when contract_no is null then 'ERP order names no contract'
            else 'OA has no contract approval for ' || contract_no end as details,
        order_date as reference_date,
        'erp_order_date' as first_seen_basis,
        _extracted_at as evidence_extracted_at
    from joined
    where oa_contract_no is null
),
contract_not_approved as (
    select
        'contract_not_approved' as issue_type,
        erp_order_no as issue_key,
        erp_order_no,
        erp_customer_code,
        oa_contract_no,
        oa_request_id,
        contract_no,
        amount_incl_tax as erp_amount,
        coalesce(contract_owner_employee_code, salesperson_code) as responsible_employee_code,
        'contract approval is ' || coalesce(approval_outcome, 'unknown') || ' (status '
            || coalesce(contract_status, '?') || ')' as details,
        order_date as reference_date,
        'erp_order_date' as first_seen_basis,
        _extracted_at as evidence_extracted_at
    from joined
    where oa_contract_no is not null and not is_approved
),
order_after_termination as (
    select
        'order_after_termination' as issue_type,
        erp_order_no as issue_key,
        erp_order_no,
        erp_customer_code,
        oa_contract_no,
        oa_request_id,
        contract_no,
        amount_incl_tax as erp_amount,
        coalesce(contract_owner_employee_code, salesperson_code) as responsible_employee_code,
        'order dated ' || order_date || ', contract terminated ' || termination_approved_date as details,
        order_date as reference_date,
        'erp_order_date' as first_seen_basis,
        _extracted_at as evidence_extracted_at
    from joined
    where is_terminated and order_date > termination_approved_date
),
contract_totals as (
    select
        oa_contract_no,
        min(oa_request_id) as oa_request_id,
        min(contract_amount) as contract_amount,
        min(contract_owner_employee_code) as responsible_employee_code,
        min(last_event_date) as last_event_date,
        cast(sum(amount_incl_tax) as decimal(18, 2)) as erp_amount,
        count(*) as order_count,
        max(order_date) as last_order_date,
        max(_extracted_at) as evidence_extracted_at
    from joined
    where oa_contract_no is not null and is_approved
    group by oa_contract_no
),
orders_exceed_contract as (
    select
        'orders_exceed_contract' as issue_type,
        t.oa_contract_no as issue_key,
        t.oa_contract_no,
        t.oa_request_id,
        t.oa_contract_no as contract_no,
        t.contract_amount as oa_amount,
        t.erp_amount,
        t.responsible_employee_code,
        t.order_count || ' live ERP orders total ' || t.erp_amount || ' > contract amount '
            || t.contract_amount as details,
        greatest(t.last_order_date, t.last_event_date) as reference_date,
        'later_of_last_order_and_contract_change' as first_seen_basis,
        t.evidence_extracted_at
    from contract_totals as t
    join rules as r on r.issue_type = 'orders_exceed_contract'
    where t.erp_amount - t.contract_amount > r.amount_tolerance
),
customer_mismatch as (
    select
        'customer_mismatch' as issue_type,
        erp_order_no as issue_key,
        erp_order_no,
        erp_customer_code,
        oa_contract_no,
        oa_request_id,
        contract_no,
        amount_incl_tax as erp_amount,
        coalesce(contract_owner_employee_code, salesperson_code) as responsible_employee_code,
        'contract customer is ERP ' || contract_erp_customer_code || ' / ERP order lines name '
            || array_to_string(erp_customer_codes, ', ') as details,
        order_date as reference_date,
        'erp_order_date' as first_seen_basis,
        _extracted_at as evidence_extracted_at
    from joined
    where oa_contract_no is not null
        and contract_erp_customer_code is not null
        and erp_customer_codes != [contract_erp_customer_code]
),
{{ recon_emit('oa_contracts_erp_orders', ['contract_missing_in_oa', 'contract_not_approved', 'order_after_termination', 'orders_exceed_contract', 'customer_mismatch']) }}
