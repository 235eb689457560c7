-- One row per marketing campaign (市场活动): cost, the leads it produced, the opportunities
-- they became, and what was won. An opportunity belongs to a campaign when its
-- Campaign_Source names it or it was converted from one of the campaign's leads.
--   cost = actual cost once the campaign reports it, else the budget (cost_basis says which)
--   ROI  = (won amount − cost) / cost; won amount is the opportunity (deal) amount of won
--          opportunities, tax-inclusive contract value — not margin, not collection.
with campaigns as (
    select * from {{ ref('stg_crm__campaigns') }}
),
leads as (
    select crm_lead_id, crm_campaign_id, is_converted, converted_crm_deal_id, is_invalid
    from {{ ref('fct_leads') }}
    where crm_campaign_id is not null
),
opps as (
    select crm_deal_id, crm_campaign_id, stage_group, amount, weighted_amount, days_to_close
    from {{ ref('fct_opportunities') }}
),
campaign_opps as (
    select crm_campaign_id, crm_deal_id from opps where crm_campaign_id is not null
    union
    select crm_campaign_id, converted_crm_deal_id from leads where converted_crm_deal_id is not null
),
lead_stats as (
    select
        crm_campaign_id,
        count(*) as lead_count,
        count(*) filter (where is_converted) as converted_lead_count,
        count(*) filter (where is_invalid) as invalid_lead_count
    from leads
    group by all
),
opp_stats as (
    select
        co.crm_campaign_id,
        count(distinct co.crm_deal_id) as opportunity_count,
        count(o.crm_deal_id) as opportunity_record_count,
        coalesce(sum(o.amount) filter (where o.amount >= 0), 0) as opportunity_amount,
        count(*) filter (where o.stage_group = 'open') as open_count,
        coalesce(sum(o.amount) filter (where o.stage_group = 'open' and o.amount >= 0), 0) as open_amount,
        coalesce(sum(o.weighted_amount) filter (where o.stage_group = 'open'), 0) as weighted_open_amount,
        count(*) filter (where o.stage_group = 'won') as won_count,
        coalesce(sum(o.amount) filter (where o.stage_group = 'won' and o.amount >= 0), 0) as won_amount,
        count(*) filter (where o.stage_group = 'lost') as lost_count,
        count(*) filter (where o.stage_group = 'expired') as expired_count,
        coalesce(sum(o.amount) filter (where o.stage_group in ('won', 'lost', 'expired') and o.amount >= 0), 0) as closed_amount
    from campaign_opps as co
    left join opps as o using (crm_deal_id)
    group by all
),
users as (
    select crm_user_id, employee_code from {{ ref('stg_crm__users') }}
),
joined as (
    select
        c.crm_campaign_id,
        c.campaign_name,
        c.campaign_type,
        c.campaign_status,
        c.oa_approval_status,
        c.oa_request_id,
        c.start_date,
        c.end_date,
        c.owner_crm_user_id,
        u.employee_code as owner_employee_code,
        c.budgeted_cost,
        c.actual_cost,
        coalesce(c.actual_cost, c.budgeted_cost) as cost,
        case
            when c.actual_cost is not null then 'actual'
            when c.budgeted_cost is not null then 'budget'
        end as cost_basis,
        c.expected_revenue,
        coalesce(l.lead_count, 0) as lead_count,
        coalesce(l.converted_lead_count, 0) as converted_lead_count,
        coalesce(l.invalid_lead_count, 0) as invalid_lead_count,
        coalesce(o.opportunity_count, 0) as opportunity_count,
        coalesce(o.opportunity_count - o.opportunity_record_count, 0) as missing_opportunity_count,
        coalesce(o.opportunity_amount, 0) as opportunity_amount,
        coalesce(o.open_count, 0) as open_count,
        coalesce(o.open_amount, 0) as open_amount,
        coalesce(o.weighted_open_amount, 0) as weighted_open_amount,
        coalesce(o.won_count, 0) as won_count,
        coalesce(o.won_amount, 0) as won_amount,
        coalesce(o.lost_count, 0) as lost_count,
        coalesce(o.expired_count, 0) as expired_count,
        coalesce(o.closed_amount, 0) as closed_amount
    from campaigns as c
    left join lead_stats as l using (crm_campaign_id)
    left join opp_stats as o using (crm_campaign_id)
    left join users as u on u.crm_user_id = c.owner_crm_user_id
)
select
    j.crm_campaign_id,
    j.campaign_name,
    j.campaign_type,
    j.campaign_status,
    j.oa_approval_status,
    j.oa_request_id,
    j.start_date,
    j.end_date,
    j.owner_crm_user_id,
    j.owner_employee_code,
    j.budgeted_cost,
    j.actual_cost,
    cast(j.cost as decimal(18, 2)) as cost,
    j.cost_basis,
    j.expected_revenue,
    j.lead_count,
    j.invalid_lead_count,
    j.converted_lead_count,
    j.converted_lead_count / nullif(j.lead_count, 0) as lead_conversion_rate,
    j.opportunity_count,
    j.missing_opportunity_count,
    cast(j.opportunity_amount as decimal(18, 2)) as opportunity_amount,
    j.open_count,
    cast(j.open_amount as decimal(18, 2)) as open_amount,
    cast(j.weighted_open_amount as decimal(18, 2)) as weighted_open_amount,
    j.won_count,
    cast(j.won_amount as decimal(18, 2)) as won_amount,
    j.lost_count,
    j.expired_count,
    j.won_count / nullif(j.won_count + j.lost_count + j.expired_count, 0) as win_rate_count,
    j.won_amount / nullif(j.closed_amount, 0) as win_rate_amount,
    cast(j.cost / nullif(j.lead_count, 0) as decimal(18, 2)) as cost_per_lead,
    cast(j.cost / nullif(j.won_count, 0) as decimal(18, 2)) as cost_per_won_opportunity,
    (j.won_amount - j.cost) / nullif(j.cost, 0) as roi,
    j.won_amount / nullif(j.cost, 0) as won_amount_to_cost_ratio
from joined as j
