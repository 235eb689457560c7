-- One row per project number (项目编号, <contract no>-P<n>) seen on a project start or
-- delivery form. When several start (or delivery) requests carry the same project number the
-- archived one governs, else the newest. A project is started when its start request was
-- archived on or before the as-of date, delivered when its delivery request was.
with as_of as (
    select {{ as_of_date() }} as as_of_date
),
requests as (
    select
        oa_request_id,
        request_status,
        is_known_as_of,
        approval_outcome,
        created_at,
        approved_date
    from {{ ref('int_contracts__requests') }}
),
starts as (
    select
        s.project_no,
        s.oa_request_id,
        s.contract_no,
        s.project_name,
        s.start_date,
        s.project_manager_name,
        cast(s.project_amount as decimal(18, 2)) as project_amount,
        r.request_status,
        coalesce(r.approval_outcome, 'unknown') as approval_outcome,
        r.approved_date,
        count(*) over (partition by s.project_no) as request_count
    from {{ ref('stg_oa__project_start_forms') }} as s
    left join requests as r using (oa_request_id)
    where coalesce(r.is_known_as_of, true)
    qualify row_number() over (
        partition by s.project_no
        order by (r.approval_outcome = 'approved') desc nulls last, r.created_at desc nulls last, s.oa_request_id desc
    ) = 1
),
deliveries as (
    select
        d.project_no,
        d.oa_request_id,
        d.contract_no,
        d.delivery_date,
        d.delivery_content,
        r.request_status,
        coalesce(r.approval_outcome, 'unknown') as approval_outcome,
        r.approved_date,
        count(*) over (partition by d.project_no) as request_count
    from {{ ref('stg_oa__project_delivery_forms') }} as d
    left join requests as r using (oa_request_id)
    where coalesce(r.is_known_as_of, true)
    qualify row_number() over (
        partition by d.project_no
        order by (r.approval_outcome = 'approved') desc nulls last, r.created_at desc nulls last, d.oa_request_id desc
    ) = 1
),
joined as (
    select
        coalesce(s.project_no, d.project_no) as project_no,
        coalesce(s.contract_no, d.contract_no) as contract_no,
        try_cast(regexp_extract(coalesce(s.project_no, d.project_no), '-P([0-9]+)$', 1) as integer)
            as project_seq,
        s.project_no is not null as has_start_form,
        s.oa_request_id as start_request_id,
        s.project_name,
        s.start_date,
        s.project_manager_name,
        s.project_amount,
        s.request_status as start_request_status,
        s.approval_outcome as start_approval_outcome,
        s.approved_date as start_approved_date,
        coalesce(s.request_count, 0) as start_request_count,
        d.oa_request_id as delivery_request_id,
        d.contract_no as delivery_contract_no,
        d.delivery_date,
        d.delivery_content,
        d.request_status as delivery_request_status,
        d.approval_outcome as delivery_approval_outcome,
        d.approved_date as delivery_approved_date,
        coalesce(d.request_count, 0) as delivery_request_count,
        a.as_of_date
    from starts as s
    full outer join deliveries as d using (project_no)
    cross join as_of as a
)
select
    project_no,
    contract_no,
    project_seq,
    coalesce(project_no = contract_no || '-P' || project_seq, false) as is_number_derived,
    delivery_contract_no is not null and delivery_contract_no <> contract_no as has_delivery_contract_mismatch,
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
    coalesce(start_approval_outcome = 'approved' and start_approved_date <= as_of_date, false) as is_started,
    delivery_request_id,
    delivery_date,
    delivery_content,
    delivery_request_status,
    delivery_approval_outcome,
    delivery_approved_date,
    delivery_request_count,
    coalesce(delivery_approval_outcome = 'approved' and delivery_approved_date <= as_of_date, false)
        as is_delivered
from joined
