-- The OA workflow instance behind every finance form — invoice application (开票申请, form
-- 1121), payment claim (来款认领, 1122), prepayment transfer (合同转账, 1123) — with its
-- outcome as of the as-of date: 归档 -> approved (on the archive date), 已否决 -> rejected,
-- 已撤回 -> withdrawn, 创建 -> draft / returned, any other status -> pending at that node.
-- A request archived after the as-of date was still pending then.
with as_of as (
    select {{ as_of_date() }} as as_of_date
),
requests as (
    select
        oa_request_id,
        oa_form_id,
        workflow_name,
        request_status,
        created_at,
        last_operated_at
    from {{ ref('stg_oa__workflow_requests') }}
    where source_system = 'oa' and oa_form_id in ('-1121', '-1122', '-1123')
)
select
    r.oa_request_id,
    r.oa_form_id,
    r.workflow_name,
    r.request_status,
    r.created_at,
    {{ local_date('r.created_at') }} as created_date,
    case when r.request_status = '归档' then {{ local_date('r.last_operated_at') }} end as archived_date,
    case
        when r.request_status = '归档' and {{ local_date('r.last_operated_at') }} <= a.as_of_date then 'approved'
        when r.request_status in ('归档', '已否决', '已撤回')
            and {{ local_date('r.last_operated_at') }} > a.as_of_date then 'pending'
        when r.request_status = '已否决' then 'rejected'
        when r.request_status = '已撤回' then 'withdrawn'
        when r.request_status = '创建' then 'draft_or_returned'
        else 'pending'
    end as approval_outcome,
    case
        when r.request_status not in ('归档', '已否决', '已撤回', '创建') then r.request_status
    end as waiting_node_name,
    {{ local_date('r.created_at') }} <= a.as_of_date as is_known_as_of,
    a.as_of_date
from requests as r
cross join as_of as a
