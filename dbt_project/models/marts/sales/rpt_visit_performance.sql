-- Visit plan completion per salesperson and month (domain §4): completion rate = approved
-- planned visits that were done / approved planned visits due in the month, ranked (dense,
-- ties share a rank) across the company and within the region.
--   planned-and-approved: a CRM visit plan task whose OA approval was written back as 已通过;
--   month:                the task's due date (the planned visit day), Asia/Shanghai;
--   done:                 a visit record (计划内 event) links to the task (Visit_Plan), or the
--                         task is Completed (the CRM completes it when the visit record is
--                         saved; the only Completed tasks without a record in the data are
--                         visits the extractor quarantined) — on or before the as-of date.
--                         done_with_visit_count is the stricter, record-backed count;
--   due:                  tasks due after the as-of date are left out unless already done.
-- Unplanned visits (计划外) of the month are shown beside it, by visit date.
with as_of as (
    select {{ as_of_date() }} as as_of_date
),
tasks as (
    select
        t.crm_task_id,
        t.owner_crm_user_id,
        t.due_date,
        t.task_status,
        t.approval_status,
        t.assigned_by_crm_user_id is not null as is_leader_assigned,
        {{ local_date('t.closed_at') }} as closed_date
    from {{ ref('stg_crm__tasks') }} as t
    where t.due_date is not null
),
done_tasks as (
    select crm_visit_plan_task_id as crm_task_id, min(visit_date) as first_visit_date
    from {{ ref('fct_visits') }}
    cross join as_of
    where crm_visit_plan_task_id is not null and visit_date <= as_of.as_of_date
    group by all
),
task_facts as (
    select
        t.owner_crm_user_id,
        cast(date_trunc('month', t.due_date) as date) as month_start,
        t.approval_status = '已通过' as is_approved,
        t.approval_status = '未通过' as is_rejected,
        t.approval_status not in ('已通过', '未通过') or t.approval_status is null as is_pending,
        t.due_date <= as_of.as_of_date as due_date_passed,
        t.is_leader_assigned,
        d.crm_task_id is not null as has_visit_record,
        t.task_status = 'Completed' and coalesce(t.closed_date <= as_of.as_of_date, true) as is_status_completed,
        coalesce(d.first_visit_date, t.closed_date) > t.due_date as is_late
    from tasks as t
    cross join as_of
    left join done_tasks as d using (crm_task_id)
),
task_done as (
    select
        *,
        has_visit_record or is_status_completed as is_done,
        due_date_passed or has_visit_record or is_status_completed as is_due
    from task_facts
),
task_month as (
    select
        owner_crm_user_id,
        month_start,
        count(*) as planned_count,
        count(*) filter (where is_approved) as approved_count,
        count(*) filter (where is_rejected) as rejected_count,
        count(*) filter (where is_pending) as pending_approval_count,
        count(*) filter (where is_approved and is_due) as approved_due_count,
        count(*) filter (where is_approved and is_done) as done_count,
        count(*) filter (where is_approved and has_visit_record) as done_with_visit_count,
        count(*) filter (where is_approved and is_done and is_late) as done_late_count,
        count(*) filter (where is_approved and not is_due) as not_yet_due_count,
        count(*) filter (where is_approved and is_status_completed and not has_visit_record) as completed_without_visit_count,
        count(*) filter (where is_approved and is_leader_assigned and is_due) as assigned_due_count,
        count(*) filter (where is_approved and is_leader_assigned and is_done) as assigned_done_count
    from task_done
    group by all
),
visit_month as (
    select
        owner_crm_user_id,
        visit_month as month_start,
        count(*) as visit_count,
        count(*) filter (where not is_planned) as unplanned_visit_count
    from {{ ref('fct_visits') }}
    cross join as_of
    where visit_date <= as_of.as_of_date and owner_crm_user_id is not null
    group by all
),
person_month as (
    select owner_crm_user_id, month_start from task_month
    union
    select owner_crm_user_id, month_start from visit_month
),
employees as (
    select crm_user_id, employee_code, employee_name, team_oa_department_id, team_name, region, valid_from, valid_to
    from {{ ref('dim_employees') }}
    where crm_user_id is not null
),
attributed as (
    -- the team in force at the end of the month (or at the as-of date in the current month)
    select
        pm.owner_crm_user_id,
        pm.month_start,
        e.employee_code,
        e.employee_name,
        e.team_oa_department_id,
        e.team_name,
        e.region
    from person_month as pm
    cross join as_of
    left join employees as e
        on e.crm_user_id = pm.owner_crm_user_id
        and least(cast(last_day(pm.month_start) as date), as_of.as_of_date) >= e.valid_from
        and least(cast(last_day(pm.month_start) as date), as_of.as_of_date) < e.valid_to
    qualify row_number() over (partition by pm.owner_crm_user_id, pm.month_start order by e.valid_from desc nulls last) = 1
),
measured as (
    select
        a.owner_crm_user_id,
        a.month_start,
        a.employee_code,
        a.employee_name,
        a.team_oa_department_id,
        a.team_name,
        a.region,
        coalesce(t.planned_count, 0) as planned_count,
        coalesce(t.approved_count, 0) as approved_count,
        coalesce(t.rejected_count, 0) as rejected_count,
        coalesce(t.pending_approval_count, 0) as pending_approval_count,
        coalesce(t.approved_due_count, 0) as approved_due_count,
        coalesce(t.done_count, 0) as done_count,
        coalesce(t.done_with_visit_count, 0) as done_with_visit_count,
        coalesce(t.done_late_count, 0) as done_late_count,
        coalesce(t.not_yet_due_count, 0) as not_yet_due_count,
        coalesce(t.completed_without_visit_count, 0) as completed_without_visit_count,
        coalesce(t.assigned_due_count, 0) as assigned_due_count,
        coalesce(t.assigned_done_count, 0) as assigned_done_count,
        coalesce(v.visit_count, 0) as visit_count,
        coalesce(v.unplanned_visit_count, 0) as unplanned_visit_count,
        t.done_count / nullif(t.approved_due_count, 0) as completion_rate,
        t.assigned_done_count / nullif(t.assigned_due_count, 0) as assigned_completion_rate
    from attributed as a
    left join task_month as t using (owner_crm_user_id, month_start)
    left join visit_month as v using (owner_crm_user_id, month_start)
)
select
    m.owner_crm_user_id || '|' || strftime(m.month_start, '%Y-%m') as visit_performance_id,
    m.month_start,
    strftime(m.month_start, '%Y-%m') as year_month,
    m.owner_crm_user_id,
    m.employee_code,
    m.employee_name,
    m.team_oa_department_id,
    m.team_name,
    m.region,
    m.planned_count,
    m.approved_count,
    m.rejected_count,
    m.pending_approval_count,
    m.approved_due_count,
    m.done_count,
    m.done_with_visit_count,
    m.done_late_count,
    m.not_yet_due_count,
    m.completed_without_visit_count,
    m.assigned_due_count,
    m.assigned_done_count,
    m.completion_rate,
    m.assigned_completion_rate,
    m.visit_count,
    m.unplanned_visit_count,
    case when m.completion_rate is not null then dense_rank() over (
        partition by m.month_start, m.completion_rate is null order by m.completion_rate desc
    ) end as completion_rank,
    case when m.completion_rate is not null then dense_rank() over (
        partition by m.month_start, m.region, m.completion_rate is null order by m.completion_rate desc
    ) end as completion_rank_in_region,
    count(m.completion_rate) over (partition by m.month_start) as ranked_salespeople_count
from measured as m
