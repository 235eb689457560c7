-- Sales ranking per person, team and region × week / month / quarter / year (measures in
-- int_sales_ranking_measures): dense ranks by signed and by collected amount within the level
-- and period (ties share a rank), and the change against the previous period of the same type.
with m as (
    select * from {{ ref('int_sales_ranking_measures') }}
),
ranked as (
    select
        m.*,
        dense_rank() over (
            partition by level, period_type, period_start order by signed_amount desc
        ) as signed_rank,
        dense_rank() over (
            partition by level, period_type, period_start order by collected_amount desc
        ) as collected_rank
    from m
)
select
    r.level || '|' || r.period_type || '|' || strftime(r.period_start, '%Y-%m-%d') || '|' || r.entity_key as ranking_id,
    r.level,
    r.period_type,
    r.period_start,
    case r.period_type
        when 'week' then strftime(r.period_start, '%G-W%V')
        when 'month' then strftime(r.period_start, '%Y-%m')
        when 'quarter' then year(r.period_start) || '-Q' || quarter(r.period_start)
        else cast(year(r.period_start) as varchar)
    end as period_label,
    r.entity_key,
    r.entity_name,
    r.region,
    r.signed_amount,
    r.signed_count,
    r.started_amount,
    r.started_of_signed_amount,
    r.start_rate,
    r.collected_amount,
    r.contract_target,
    r.contract_target_completion,
    r.collection_target,
    r.collection_completion,
    r.signed_rank,
    p.signed_rank as previous_signed_rank,
    p.signed_rank - r.signed_rank as signed_rank_change,
    r.collected_rank,
    p.collected_rank as previous_collected_rank,
    p.collected_rank - r.collected_rank as collected_rank_change
from ranked as r
left join ranked as p
    on p.level = r.level and p.period_type = r.period_type
    and p.period_start = r.previous_period_start and p.entity_key = r.entity_key
