-- Every customer of rpt_stalled_customers gets a stalled-customer warning when an enabled
-- stalled_customer rule's threshold is at most var('stalled_days') (the report's own N).
with rule as (
    select min(threshold) as threshold
    from {{ ref('warning_rules') }}
    where enabled and rule_type = 'stalled_customer'
)
select s.customer_key, s.crm_account_id
from {{ ref('rpt_stalled_customers') }} as s
cross join rule as r
where r.threshold <= {{ var('stalled_days') }}
    and coalesce(s.customer_key, s.crm_account_id) not in (
        select subject_id from {{ ref('fct_warnings') }} where rule_type = 'stalled_customer'
    )
