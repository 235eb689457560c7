-- Integrity: fct_opportunities has exactly the opportunities of stg_crm__deals — same row
-- count, same ids, same total amount, same count per stage (no fan-out from the point-in-time
-- owner join, no loss). Returns a row per failed check.
with stg as (
    select
        count(*) as row_count,
        count(distinct crm_deal_id) as id_count,
        coalesce(sum(amount), 0) as amount
    from {{ ref('stg_crm__deals') }}
),
fct as (
    select
        count(*) as row_count,
        count(distinct crm_deal_id) as id_count,
        coalesce(sum(amount), 0) as amount
    from {{ ref('fct_opportunities') }}
),
stage_diff as (
    select stage, count(*) as n from {{ ref('stg_crm__deals') }} group by all
    except
    select crm_stage, count(*) from {{ ref('fct_opportunities') }} group by all
)
select 'row_count' as check_name, stg.row_count::varchar as expected, fct.row_count::varchar as actual
from stg, fct where stg.row_count <> fct.row_count
union all
select 'distinct_ids', stg.id_count::varchar, fct.id_count::varchar
from stg, fct where stg.id_count <> fct.id_count
union all
select 'amount', stg.amount::varchar, fct.amount::varchar
from stg, fct where abs(stg.amount - fct.amount) > 0.005
union all
select 'stage_count:' || stage, n::varchar, null
from stage_diff
