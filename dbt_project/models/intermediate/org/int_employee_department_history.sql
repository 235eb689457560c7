-- Department history per employee, rebuilt from two kinds of evidence because the HRM API
-- only serves the current record:
--   * every HRM version the extractor has landed (its `modified` is when the change was made);
--   * the department the OA wrote on each approval-log row (operatorDept, as of that action).
-- Per person and day the last observation wins; consecutive days in the same department
-- collapse into one interval [valid_from, valid_to). The first interval starts at the hire
-- date; the last stays open (valid_to 9999-12-31).
with observations as (
    select oa_user_id, modified_at as observed_at, oa_department_id, 1 as evidence_rank
    from {{ ref('stg_oa__employee_versions') }}
    union all
    select l.operator_oa_user_id, l.acted_at, l.operator_department, 0
    from {{ ref('stg_oa__workflow_logs') }} as l
    join {{ ref('stg_oa__workflow_requests') }} as r using (oa_request_id)
    where r.source_system = 'oa' and l.operator_department is not null
),
daily as (
    select
        oa_user_id,
        {{ local_date('observed_at') }} as observed_date,
        oa_department_id
    from observations
    qualify row_number() over (
        partition by oa_user_id, {{ local_date('observed_at') }}
        -- same instant and evidence: the lowest department id (not the scan order)
        order by observed_at desc, evidence_rank desc, oa_department_id nulls last
    ) = 1
),
changes as (
    select
        *,
        lag(oa_department_id) over (partition by oa_user_id order by observed_date) as prev_department_id
    from daily
),
starts as (
    select oa_user_id, observed_date as valid_from, oa_department_id
    from changes
    where prev_department_id is distinct from oa_department_id
),
intervals as (
    select
        s.oa_user_id,
        s.oa_department_id,
        case
            when row_number() over (partition by s.oa_user_id order by s.valid_from) = 1
                then least(s.valid_from, {{ local_date('e.hired_at') }})
            else s.valid_from
        end as valid_from,
        lead(s.valid_from, 1, date '9999-12-31') over (
            partition by s.oa_user_id order by s.valid_from
        ) as valid_to
    from starts as s
    join {{ ref('stg_oa__employees') }} as e using (oa_user_id)
)
select * from intervals
