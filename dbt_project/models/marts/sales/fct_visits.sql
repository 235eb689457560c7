-- One row per visit record (拜访记录, CRM Event): planned (计划内, linked to an approved visit
-- plan task) or unplanned (计划外, usually linked to an opportunity). The visiting
-- salesperson's team and region are the ones in force on the visit date (point in time).
with events as (
    select * from {{ ref('stg_crm__events') }}
),
tasks as (
    select crm_task_id, due_date, approval_status, task_status, assigned_by_crm_user_id
    from {{ ref('stg_crm__tasks') }}
),
employees as (
    select crm_user_id, employee_code, team_oa_department_id, team_name, region, valid_from, valid_to
    from {{ ref('dim_employees') }}
    where crm_user_id is not null
),
customers as (
    select customer_key, crm_account_id from {{ ref('dim_customers') }} where crm_account_id is not null
),
visits as (
    select
        e.crm_event_id,
        e.title,
        e.started_at,
        e.ended_at,
        {{ local_date('coalesce(e.started_at, e.checked_in_at, e.created_at)') }} as visit_date,
        e.visit_type,
        e.visit_type = '计划内' or e.crm_visit_plan_task_id is not null as is_planned,
        e.crm_visit_plan_task_id,
        coalesce(
            e.crm_account_id,
            case when e.related_module = 'Accounts' then e.related_id end
        ) as crm_account_id,
        case when e.related_module = 'Deals' then e.related_id end as crm_deal_id,
        e.crm_contact_id,
        e.related_module,
        e.venue,
        e.checked_in_at,
        e.check_in_city,
        e.owner_crm_user_id,
        e.created_at
    from events as e
)
select
    v.crm_event_id,
    v.title,
    v.visit_date,
    cast(date_trunc('month', v.visit_date) as date) as visit_month,
    v.started_at,
    v.ended_at,
    case
        when v.ended_at >= v.started_at then cast(epoch(v.ended_at - v.started_at) / 60 as integer)
    end as duration_minutes,
    v.visit_type,
    v.is_planned,
    v.crm_visit_plan_task_id,
    t.due_date as plan_due_date,
    t.approval_status as plan_approval_status,
    t.assigned_by_crm_user_id is not null as is_leader_assigned,
    case when t.due_date is not null then date_diff('day', t.due_date, v.visit_date) end as days_after_plan_due,
    c.customer_key,
    v.crm_account_id,
    v.crm_deal_id,
    v.crm_contact_id,
    v.related_module,
    v.venue,
    v.checked_in_at,
    v.checked_in_at is not null as has_check_in,
    v.check_in_city,
    v.owner_crm_user_id,
    emp.employee_code as owner_employee_code,
    emp.team_oa_department_id,
    emp.team_name,
    emp.region,
    v.created_at
from visits as v
left join tasks as t on t.crm_task_id = v.crm_visit_plan_task_id
left join customers as c on c.crm_account_id = v.crm_account_id
left join employees as emp
    on emp.crm_user_id = v.owner_crm_user_id
    and v.visit_date >= emp.valid_from
    and v.visit_date < emp.valid_to
qualify row_number() over (partition by v.crm_event_id order by emp.valid_from desc nulls last) = 1
