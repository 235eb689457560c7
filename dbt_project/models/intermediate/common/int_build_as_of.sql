-- The data's own "today": the newest business activity the sources show (Asia/Shanghai
-- date), capped at the wall clock. As-of metrics (stalled, expiring, AR today) use it unless
-- var('as_of_date') is set, so a rebuild of an old landing zone reproduces its numbers.
with activity as (
    select max(modified_at) as t from {{ ref('stg_crm__deals') }}
    union all
    select max(last_operated_at) from {{ ref('stg_oa__workflow_requests') }} where source_system = 'oa'
    union all
    select max(modified_at) from {{ ref('stg_erp__sales_order_lines') }}
)
select least(max({{ local_date('t') }}), current_date) as as_of_date
from activity
