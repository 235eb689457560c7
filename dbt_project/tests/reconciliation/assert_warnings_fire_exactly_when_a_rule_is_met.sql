-- Every subject that meets at least one enabled rule of its type has exactly one warning, and
-- every warning's subject meets the rule that produced it.
with rules as (
    select * from {{ ref('warning_rules') }} where enabled
),
met as (
    select distinct c.rule_type, c.subject_id
    from {{ ref('int_warning_candidates') }} as c
    join rules as r using (rule_type)
    where case when c.rule_type = 'contract_expiring' then c.measured_value <= r.threshold
        else coalesce(c.measured_value >= r.threshold, c.rule_type = 'stalled_customer') end
),
warned as (
    select rule_type, subject_id, count(*) as n, min(rule_code) as rule_code
    from {{ ref('fct_warnings') }}
    group by all
),
bad_rule as (
    select w.warning_id
    from {{ ref('fct_warnings') }} as w
    join rules as r using (rule_code)
    where not case when w.rule_type = 'contract_expiring' then w.measured_value <= r.threshold
        else coalesce(w.measured_value >= r.threshold, w.rule_type = 'stalled_customer') end
)
select m.rule_type, m.subject_id, w.n, 'missing or duplicated' as problem
from met as m
full join warned as w using (rule_type, subject_id)
where m.subject_id is null or w.subject_id is null or w.n <> 1
union all
select null, warning_id, null, 'rule not met' from bad_rule
