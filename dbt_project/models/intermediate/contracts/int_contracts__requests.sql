-- The OA workflow instance behind every contract-family form (approval, change, termination,
-- mailing, project start / delivery, prepayment transfer) with its approval outcome.
-- E9 names a form's main table formtable_main_<n> and gives its workflows formId -<n>.
--   归档 -> approved, 已否决 -> rejected, 已撤回 -> withdrawn,
--   创建 and never submitted -> draft, 创建 after a submit -> returned (back at the creator),
--   any other status is the node the request waits at -> pending.
-- As of the as-of date: a request created after it is not known yet (is_known_as_of = false;
-- the contract models drop it), and one that ended (archived, rejected, withdrawn) after it was
-- still pending then. The OA's current status is kept in request_status.
with as_of as (
    select {{ as_of_date() }} as as_of_date
),
requests as (
    select
        oa_request_id,
        oa_form_id,
        oa_workflow_id,
        workflow_name,
        request_name,
        request_status,
        creator_name,
        created_at,
        last_operated_at
    from {{ ref('stg_oa__workflow_requests') }}
    where source_system = 'oa'
        and oa_form_id in ('-1101', '-1102', '-1103', '-1104', '-1111', '-1112', '-1123')
),
submits as (
    select
        oa_request_id,
        min(acted_at) as first_submitted_at
    from {{ ref('stg_oa__workflow_logs') }}
    where log_type = '2'
        and oa_request_id in (select oa_request_id from requests)
    group by all
),
finished as (
    select
        r.*,
        s.first_submitted_at,
        a.as_of_date,
        case
            when r.request_status in ('归档', '已否决', '已撤回') then r.last_operated_at
        end as ended_at,
        {{ local_date('r.created_at') }} <= a.as_of_date as is_known_as_of,
        coalesce(
            r.request_status in ('归档', '已否决', '已撤回')
                and {{ local_date('r.last_operated_at') }} > a.as_of_date,
            false
        ) as ended_after_as_of,
        coalesce({{ local_date('s.first_submitted_at') }} > a.as_of_date, false) as submitted_after_as_of
    from requests as r
    cross join as_of as a
    left join submits as s using (oa_request_id)
)
select
    r.oa_request_id,
    r.oa_form_id,
    r.oa_workflow_id,
    r.workflow_name,
    r.request_name,
    r.request_status,
    r.is_known_as_of,
    case
        when r.submitted_after_as_of then 'draft'
        when r.ended_after_as_of then 'pending'
        when r.request_status = '归档' then 'approved'
        when r.request_status = '已否决' then 'rejected'
        when r.request_status = '已撤回' then 'withdrawn'
        when r.request_status = '创建' and r.first_submitted_at is null then 'draft'
        when r.request_status = '创建' then 'returned'
        else 'pending'
    end as approval_outcome,
    case
        when r.request_status not in ('归档', '已否决', '已撤回', '创建') then r.request_status
    end as waiting_node_name,
    r.creator_name,
    r.created_at,
    {{ local_date('r.created_at') }} as created_date,
    case when not r.submitted_after_as_of then r.first_submitted_at end as submitted_at,
    case when not r.submitted_after_as_of then {{ local_date('r.first_submitted_at') }} end as submitted_date,
    case when r.request_status = '归档' and not r.ended_after_as_of then r.last_operated_at end as approved_at,
    case
        when r.request_status = '归档' and not r.ended_after_as_of then {{ local_date('r.last_operated_at') }}
    end as approved_date,
    case when not r.ended_after_as_of then r.ended_at end as finished_at
from finished as r
