-- One row per CRM opportunity (商机): current state, the owner's team and region at creation
-- (point in time), the furthest stage ever reached, the outcome, and the last sales action
-- as of the build's as-of date (stalled flag).
with as_of as (
    select {{ as_of_date() }} as as_of_date
),
deals as (
    select * from {{ ref('stg_crm__deals') }}
),
stages as (
    select stage, stage_order, probability, stage_group
    from {{ ref('opportunity_stages') }}
),
history as (
    select * from {{ ref('fct_opportunity_stage_history') }}
),
history_summary as (
    select
        crm_deal_id,
        count(*) as stage_entry_count,
        count(*) filter (where direction = 'backward') as backward_move_count,
        count(*) filter (where direction = 'skip') as skip_move_count,
        max(stage_order) as highest_stage_order,
        max(entered_at) as last_stage_change_at,
        -- the row the opportunity sits in now
        arg_max(stage, sequence_no) as history_stage,
        arg_max(entered_at, sequence_no) as current_stage_entered_at,
        arg_max(previous_stage, sequence_no) as history_previous_stage
    from history
    group by crm_deal_id
),
actions as (
    select
        crm_deal_id,
        max(action_date) as last_action_date,
        arg_max(action_type, {{ last_sales_action_order() }}) filter (where action_date is not null) as last_action_type,
        max(action_date) filter (where action_type = 'visit') as last_visit_date,
        max(action_date) filter (where action_type = 'stage_change') as last_stage_change_date,
        max(action_date) filter (where action_type like 'contract%') as last_contract_date,
        max(action_date) filter (where action_type = 'order') as last_order_date
    from {{ ref('int_sales__actions') }}
    where crm_deal_id is not null
    group by crm_deal_id
),
employees as (
    select
        crm_user_id,
        employee_code,
        employee_name,
        team_oa_department_id,
        team_name,
        region,
        valid_from,
        valid_to
    from {{ ref('dim_employees') }}
    where crm_user_id is not null
),
customers as (
    select customer_key, crm_account_id, region
    from {{ ref('dim_customers') }}
    where crm_account_id is not null
),
campaigns as (
    select crm_campaign_id, campaign_name from {{ ref('stg_crm__campaigns') }}
),
lead_links as (
    select converted_crm_deal_id as crm_deal_id, min(crm_lead_id) as converted_from_crm_lead_id
    from {{ ref('stg_crm__leads') }}
    where converted_crm_deal_id is not null
    group by all
),
base as (
    select
        d.*,
        {{ local_date('d.created_at') }} as created_date,
        -- the CRM's stage when it is a known stage, else the last stage in the stage history
        case when ds.stage is not null then d.stage else hs.history_stage end as current_stage,
        hs.stage_entry_count,
        hs.backward_move_count,
        hs.skip_move_count,
        hs.highest_stage_order,
        hs.current_stage_entered_at,
        hs.history_previous_stage
    from deals as d
    left join stages as ds on ds.stage = d.stage
    left join history_summary as hs using (crm_deal_id)
),
owner_at_creation as (
    select b.crm_deal_id, e.employee_code, e.team_oa_department_id, e.team_name, e.region
    from base as b
    join employees as e
        on e.crm_user_id = b.owner_crm_user_id
        and b.created_date >= e.valid_from
        and b.created_date < e.valid_to
    qualify row_number() over (partition by b.crm_deal_id order by e.valid_from desc) = 1
),
owner_any as (
    -- the owner's employee code when no version covers the creation date
    select crm_user_id, min(employee_code) as employee_code
    from employees
    group by all
),
enriched as (
    select
        b.*,
        s.stage_order as current_stage_order,
        s.stage_group,
        s.probability,
        cl.stage_order as closed_from_stage_order,
        greatest(coalesce(b.highest_stage_order, 0), coalesce(s.stage_order, 0)) as highest_order_raw,
        oc.employee_code as pit_employee_code,
        oc.team_oa_department_id,
        oc.team_name,
        oc.region as pit_region,
        oa.employee_code as any_employee_code,
        c.customer_key,
        c.region as customer_region
    from base as b
    left join stages as s on s.stage = b.current_stage
    left join stages as cl on cl.stage = b.history_previous_stage and s.stage_group in ('lost', 'expired')
    left join owner_at_creation as oc using (crm_deal_id)
    left join owner_any as oa on oa.crm_user_id = b.owner_crm_user_id
    left join customers as c on c.crm_account_id = b.crm_account_id
)
select
    e.crm_deal_id,
    e.deal_name,
    e.customer_key,
    e.crm_account_id,
    e.crm_contact_id,
    e.business_type,
    e.created_at,
    e.created_date,
    cast(date_trunc('month', e.created_date) as date) as created_month,
    e.owner_crm_user_id,
    coalesce(e.pit_employee_code, e.any_employee_code) as owner_employee_code,
    e.owner_name,
    e.team_oa_department_id,
    e.team_name,
    coalesce(e.pit_region, e.customer_region) as region,
    case
        when e.pit_region is not null then 'owner_at_creation'
        when e.customer_region is not null then 'customer_region'
        else 'unknown'
    end as region_source,
    e.stage as crm_stage,
    e.current_stage,
    e.current_stage_order,
    e.stage_group,
    e.current_stage_entered_at,
    e.amount,
    e.amount is null or e.amount < 0 as has_invalid_amount,
    e.probability,
    e.probability_pct / 100.0 as crm_probability,
    case when e.amount >= 0 then cast(e.amount * e.probability as decimal(18, 2)) end as weighted_amount,
    nullif(e.highest_order_raw, 0) as highest_stage_order,
    hs.stage as highest_stage,
    coalesce(e.stage_entry_count, 0) as stage_entry_count,
    coalesce(e.backward_move_count, 0) as backward_move_count,
    coalesce(e.skip_move_count, 0) as skip_move_count,
    e.stage_group = 'won' as is_won,
    e.stage_group = 'lost' as is_lost,
    e.stage_group = 'expired' as is_expired,
    e.stage_group = 'open' as is_open,
    e.stage_group in ('won', 'lost', 'expired') as is_closed,
    case when e.stage_group in ('won', 'lost', 'expired') then e.current_stage_entered_at end as closed_at,
    case when e.stage_group in ('won', 'lost', 'expired') then {{ local_date('e.current_stage_entered_at') }} end as closed_date,
    case
        when e.stage_group in ('won', 'lost', 'expired')
            then date_diff('day', e.created_date, {{ local_date('e.current_stage_entered_at') }})
    end as days_to_close,
    -- the open stage a lost / expired opportunity was in when it closed ("lost at stage")
    case
        when e.stage_group in ('lost', 'expired')
            then coalesce(e.closed_from_stage_order, least(nullif(e.highest_order_raw, 0), 4))
    end as closed_from_stage_order,
    e.expected_close_date,
    e.valid_until,
    e.loss_reason,
    e.crm_campaign_id,
    cp.campaign_name,
    e.lead_source,
    ll.converted_from_crm_lead_id,
    a.last_visit_date,
    a.last_stage_change_date,
    a.last_contract_date,
    a.last_order_date,
    a.last_action_date,
    a.last_action_type,
    date_diff('day', a.last_action_date, as_of.as_of_date) as days_since_last_action,
    coalesce(
        e.stage_group = 'open'
        and (a.last_action_date is null
             or date_diff('day', a.last_action_date, as_of.as_of_date) >= {{ var('stalled_days') }}),
        false
    ) as is_stalled,
    as_of.as_of_date
from enriched as e
cross join as_of
left join stages as hs on hs.stage_order = nullif(e.highest_order_raw, 0)
left join actions as a using (crm_deal_id)
left join campaigns as cp on cp.crm_campaign_id = e.crm_campaign_id
left join lead_links as ll using (crm_deal_id)
