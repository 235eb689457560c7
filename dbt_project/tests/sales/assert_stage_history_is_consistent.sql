-- Stage history: exactly one current row per opportunity, sequence numbers 1..n without gaps,
-- never leaving a stage before entering it, and the opportunity's current stage equals its
-- last history row.
with h as (
    select * from {{ ref('fct_opportunity_stage_history') }}
),
per_deal as (
    select
        crm_deal_id,
        count(*) filter (where is_current) as current_rows,
        max(sequence_no) as max_seq,
        count(*) as n
    from h
    group by all
)
select 'current_rows:' || crm_deal_id as problem from per_deal where current_rows <> 1
union all
select 'sequence_gap:' || crm_deal_id from per_deal where max_seq <> n
union all
select 'negative_duration:' || crm_stage_history_id from h
where exited_at < entered_at or days_in_stage < 0
union all
select 'current_stage_mismatch:' || o.crm_deal_id
from {{ ref('fct_opportunities') }} as o
join h on h.crm_deal_id = o.crm_deal_id and h.is_current
where h.stage <> o.current_stage
