-- Visit completion: record-backed done <= done <= approved-and-due <= approved <= planned,
-- rates within [0, 1], and the done visits add up to the approved planned tasks that have a
-- linked visit record or are Completed (by the as-of date).
with r as (
    select * from {{ ref('rpt_visit_performance') }}
),
bounds as (
    select visit_performance_id as problem
    from r
    where done_with_visit_count > done_count
        or done_count > approved_due_count
        or approved_due_count > approved_count
        or approved_count > planned_count
        or completion_rate < 0 or completion_rate > 1
        or (approved_due_count = 0 and completion_rate is not null)
),
visited as (
    select distinct crm_visit_plan_task_id as crm_task_id
    from {{ ref('fct_visits') }}
    where crm_visit_plan_task_id is not null and visit_date <= {{ as_of_date() }}
),
linked as (
    select count(*) as n
    from {{ ref('stg_crm__tasks') }} as t
    left join visited as v using (crm_task_id)
    where t.approval_status = '已通过'
        and t.due_date is not null
        and (
            v.crm_task_id is not null
            or (t.task_status = 'Completed' and coalesce({{ local_date('t.closed_at') }} <= {{ as_of_date() }}, true))
        )
)
select problem from bounds
union all
select 'done total ' || (select sum(done_count) from r) || ' <> approved tasks visited or completed ' || linked.n
from linked
where linked.n <> (select sum(done_count) from r)
