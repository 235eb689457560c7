-- One row per project (项目, numbered <contract no>-P<n>) from the project start and delivery
-- forms. The sequence number is parsed from the project number; is_number_derived is false
-- when the number does not read <its contract no>-P<n>. The project manager (xmjl) is a name,
-- resolved to dim_employees like the contract owner.
with projects as (
    select
        project_no,
        contract_no,
        project_seq,
        is_number_derived,
        has_delivery_contract_mismatch,
        has_start_form,
        start_request_id,
        project_name,
        start_date,
        project_manager_name,
        project_amount,
        start_request_status,
        start_approval_outcome,
        start_approved_date,
        start_request_count,
        is_started,
        delivery_request_id,
        delivery_date,
        delivery_content,
        delivery_request_status,
        delivery_approval_outcome,
        delivery_approved_date,
        delivery_request_count,
        is_delivered
    from {{ ref('int_contracts__projects') }}
),
employee_names as (
    select
        employee_name,
        case when count(distinct employee_code) = 1 then min(employee_code) end as employee_code
    from {{ ref('dim_employees') }}
    group by all
),
contracts as (
    select contract_no
    from {{ ref('int_contracts__approvals') }}
)
select
    p.project_no,
    p.contract_no,
    p.project_seq,
    p.is_number_derived,
    c.contract_no is not null as is_contract_known,
    p.has_delivery_contract_mismatch,
    p.has_start_form,
    p.project_name,
    p.project_manager_name,
    n.employee_code as project_manager_employee_code,
    p.project_amount,
    p.start_request_id,
    p.start_date,
    p.start_request_status,
    p.start_approval_outcome,
    p.start_approved_date,
    p.start_request_count,
    p.is_started,
    p.delivery_request_id,
    p.delivery_date,
    p.delivery_content,
    p.delivery_request_status,
    p.delivery_approval_outcome,
    p.delivery_approved_date,
    p.delivery_request_count,
    p.is_delivered,
    case when p.is_delivered then p.delivery_date - p.start_date end as days_start_to_delivery
from projects as p
left join employee_names as n on n.employee_name = p.project_manager_name
left join contracts as c using (contract_no)
