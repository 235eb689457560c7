-- Links between sales records must mostly resolve. Some misses are expected (the extractor
-- quarantines malformed deals, ~0.5% of them), so each link fails only when more than 2% of
-- its rows (and more than 3 rows) point to nothing: stage history → deal, converted lead → deal, campaign
-- opportunities → deal, planned visit → visit plan task, opportunity → customer, opportunity
-- → owner's team at creation.
with checks as (
    select 'stage_history_without_deal' as link,
        count(*) filter (where not has_deal_record) as misses, count(*) as total
    from {{ ref('fct_opportunity_stage_history') }}
    union all
    select 'converted_lead_without_deal',
        count(*) filter (where not has_converted_opportunity_record), count(*)
    from {{ ref('fct_leads') }} where is_converted
    union all
    select 'campaign_opportunity_missing',
        coalesce(sum(missing_opportunity_count), 0), coalesce(sum(opportunity_count), 0)
    from {{ ref('rpt_campaign_performance') }}
    union all
    select 'planned_visit_without_task',
        count(*) filter (where is_planned and plan_due_date is null), count(*) filter (where is_planned)
    from {{ ref('fct_visits') }}
    union all
    select 'opportunity_without_customer',
        count(*) filter (where customer_key is null), count(*)
    from {{ ref('fct_opportunities') }}
    union all
    select 'opportunity_without_owner_team_at_creation',
        count(*) filter (where region_source <> 'owner_at_creation'), count(*)
    from {{ ref('fct_opportunities') }}
)
select link, misses, total
from checks
where misses > greatest(0.02 * total, 3)
