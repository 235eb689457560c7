-- Yearly targets per region (set by the company) against what the region's people signed and
-- collected that year (credited to the region on the event date), up to the as-of date.
with targets as (
    select
        region, target_year, business_type,
        sum(case when target_type = '合同额' then target_amount end) as contract_target,
        sum(case when target_type = '回款额' then target_amount end) as collection_target
    from {{ ref('stg_crm__sales_targets') }}
    where target_level = 'region'
    group by all
),
actuals as (
    select
        region, year(event_date) as target_year, business_type,
        sum(case when event_type = 'signed' then amount else 0 end) as signed_amount,
        sum(case when event_type = 'collected' then amount else 0 end) as collected_amount
    from {{ ref('int_sales_credit_events') }}
    where event_date <= {{ as_of_date() }} and region is not null
    group by all
),
joined as (
    select
        coalesce(t.region, a.region) as region,
        coalesce(t.target_year, a.target_year) as target_year,
        coalesce(t.business_type, a.business_type) as business_type,
        t.contract_target, t.collection_target,
        coalesce(a.signed_amount, 0) as signed_amount,
        coalesce(a.collected_amount, 0) as collected_amount
    from targets as t
    full join actuals as a using (region, target_year, business_type)
)
select
    region || '|' || target_year || '|' || business_type as region_target_id,
    region,
    target_year,
    business_type,
    cast(contract_target as decimal(18, 2)) as contract_target,
    cast(signed_amount as decimal(18, 2)) as signed_amount,
    case when contract_target <> 0 then round(signed_amount / contract_target, 4) end as contract_completion,
    cast(collection_target as decimal(18, 2)) as collection_target,
    cast(collected_amount as decimal(18, 2)) as collected_amount,
    case when collection_target <> 0 then round(collected_amount / collection_target, 4) end as collection_completion
from joined
