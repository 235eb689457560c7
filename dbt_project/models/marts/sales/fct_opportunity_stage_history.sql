-- One row per stage an opportunity entered (ZOHO Stage_History), in order, with when it was
-- left (the next entry), how long it stayed, and the direction of the move that entered it.
-- Rows whose opportunity is missing from Deals (quarantined by the extractor) are kept with
-- has_deal_record = false so the history stays complete; downstream funnel / pipeline marts
-- use only opportunities that exist in fct_opportunities.
with as_of as (
    select {{ as_of_date() }} as as_of_date
),
history as (
    select * from {{ ref('stg_crm__deal_stage_history') }}
),
stages as (
    select stage, stage_order, probability, stage_group, stage_name_en
    from {{ ref('opportunity_stages') }}
),
deals as (
    select crm_deal_id from {{ ref('stg_crm__deals') }}
),
users as (
    select crm_user_id, employee_code from {{ ref('stg_crm__users') }}
),
ordered as (
    select
        h.crm_stage_history_id,
        h.crm_deal_id,
        h.stage,
        s.stage_name_en,
        s.stage_order,
        s.stage_group,
        s.probability,
        h.amount,
        h.expected_close_date,
        h.entered_at,
        h.changed_by_crm_user_id,
        row_number() over w as sequence_no,
        lag(h.stage) over w as previous_stage,
        lag(s.stage_order) over w as previous_stage_order,
        lag(s.stage_group) over w as previous_stage_group,
        lead(h.stage) over w as next_stage,
        lead(h.entered_at) over w as exited_at
    from history as h
    left join stages as s using (stage)
    window w as (partition by h.crm_deal_id order by h.entered_at, h.crm_stage_history_id)
)
select
    o.crm_stage_history_id,
    o.crm_deal_id,
    d.crm_deal_id is not null as has_deal_record,
    o.sequence_no,
    o.stage,
    o.stage_name_en,
    o.stage_order,
    o.stage_group,
    o.probability,
    o.previous_stage,
    o.previous_stage_order,
    case
        when o.sequence_no = 1 then 'initial'
        when o.stage_group is null or o.previous_stage_group is null then 'unknown'
        when o.stage_group in ('lost', 'expired') then 'closed'
        when o.previous_stage_group in ('lost', 'expired') then 'reopened'
        when o.stage_order - o.previous_stage_order = 1 then 'forward'
        when o.stage_order - o.previous_stage_order > 1 then 'skip'
        when o.stage_order - o.previous_stage_order < 0 then 'backward'
        else 'lateral'
    end as direction,
    case
        when o.sequence_no > 1 and o.stage_order is not null and o.previous_stage_order is not null
            then o.stage_order - o.previous_stage_order
    end as stage_order_change,
    o.entered_at,
    {{ local_date('o.entered_at') }} as entered_date,
    o.exited_at,
    {{ local_date('o.exited_at') }} as exited_date,
    o.next_stage,
    round(epoch(o.exited_at - o.entered_at) / 3600.0, 2) as hours_in_stage,
    date_diff('day', {{ local_date('o.entered_at') }}, {{ local_date('o.exited_at') }}) as days_in_stage,
    case
        when o.exited_at is null and o.stage_group = 'open'
            then date_diff('day', {{ local_date('o.entered_at') }}, as_of.as_of_date)
    end as days_in_current_stage,
    o.exited_at is null as is_current,
    o.amount,
    cast(o.amount * o.probability as decimal(18, 2)) as weighted_amount,
    o.expected_close_date,
    o.changed_by_crm_user_id,
    u.employee_code as changed_by_employee_code
from ordered as o
cross join as_of
left join deals as d on d.crm_deal_id = o.crm_deal_id
left join users as u on u.crm_user_id = o.changed_by_crm_user_id
