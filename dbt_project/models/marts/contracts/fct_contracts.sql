-- One row per contract number (合同编号 htbh), with its status as of the as-of date. The
-- governing approval request is the archived one (else the newest; see
-- int_contracts__approvals). The salesperson (xsry) is a name on the form: it resolves to
-- the one employee with that name in dim_employees (names are unique in this company; an
-- ambiguous name resolves to NULL), and the owner's team and region come from the version in
-- force on the signing date (not yet signed: the submission, else the creation date).
with contracts as (
    select
        f.*,
        s.status,
        s.status_en,
        s.status_reason,
        s.is_signed,
        s.is_terminated,
        s.completed_date,
        s.days_to_expiry,
        s.is_expiring
    from {{ ref('int_contracts__facts') }} as f
    join {{ ref('int_contracts__status') }} as s using (contract_no)
),
employee_names as (
    select
        employee_name,
        case when count(distinct employee_code) = 1 then min(employee_code) end as employee_code
    from {{ ref('dim_employees') }}
    group by all
),
employees as (
    select
        employee_code,
        employee_name,
        team_name,
        region,
        valid_from,
        valid_to
    from {{ ref('dim_employees') }}
),
customers as (
    select
        customer_key,
        crm_account_id,
        erp_customer_code,
        customer_grade
    from {{ ref('dim_customers') }}
    where crm_account_id is not null
),
owned as (
    select
        c.*,
        n.employee_code as owner_employee_code,
        coalesce(c.signed_date, c.approval_submitted_date, c.approval_created_date) as owner_as_of_date
    from contracts as c
    left join employee_names as n on n.employee_name = c.salesperson_name
)
select
    o.contract_no,
    o.oa_request_id,
    o.approval_request_count,
    o.is_form_missing,
    o.contract_name,
    o.contract_type,
    o.is_prepayment,
    cu.customer_key,
    o.crm_account_id,
    cu.erp_customer_code,
    o.customer_name,
    o.crm_deal_id,
    o.business_type,
    o.owner_employee_code,
    o.salesperson_name as owner_name,
    e.team_name as owner_team_name,
    e.region as owner_region,
    o.form_region,
    o.original_amount,
    o.amount,
    o.change_request_count,
    o.approved_change_count,
    o.last_change_approved_date,
    o.approval_request_status,
    o.approval_outcome,
    o.approval_waiting_node,
    o.approval_created_date,
    o.approval_submitted_date,
    o.approval_approved_date,
    o.is_approved,
    o.signed_date,
    o.start_date,
    o.end_date,
    o.payment_terms_days,
    o.status,
    o.status_en,
    o.status_reason,
    o.is_signed,
    o.completed_date,
    o.mailing_request_count,
    o.paper_sent_date,
    o.paper_received_date,
    o.is_paper_received,
    o.started_project_count > 0 as is_started,
    o.first_start_date,
    o.project_count,
    o.started_project_count,
    o.delivered_project_count,
    o.open_project_count,
    o.started_project_amount,
    o.delivered_project_amount,
    o.is_terminated,
    o.has_pending_termination,
    o.termination_request_id,
    o.terminated_date,
    o.termination_approved_date,
    o.termination_reason,
    o.days_to_expiry,
    o.is_expiring,
    cast(o.transferred_in_amount as decimal(18, 2)) as transferred_in_amount,
    o.transferred_from_contract_no,
    cast(o.transferred_out_amount as decimal(18, 2)) as transferred_out_amount,
    o.transferred_to_contract_no,
    o.as_of_date
from owned as o
left join customers as cu on cu.crm_account_id = o.crm_account_id
left join employees as e
    on e.employee_code = o.owner_employee_code
    and o.owner_as_of_date >= e.valid_from
    and o.owner_as_of_date < e.valid_to
