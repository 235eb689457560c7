-- Reconciliation summary: one row per check and issue type of the reconciliation_checks seed
-- (enabled ones; a clean check shows 0), with the count of open issues, the amounts on each
-- side, the absolute differences and the oldest first_seen.
with as_of as (
    select {{ as_of_date() }} as as_of_date
),
checks as (
    select * from {{ ref('reconciliation_checks') }} where enabled
),
issues as (
    select
        check_code,
        issue_type,
        count(*) as issue_count,
        count(*) filter (where days_open > 30) as older_than_30_days_count,
        sum(crm_amount) as crm_amount,
        sum(erp_amount) as erp_amount,
        sum(oa_amount) as oa_amount,
        sum(bank_amount) as bank_amount,
        sum(difference_amount) as difference_amount,
        sum(abs(difference_amount)) as absolute_difference_amount,
        min(first_seen) as oldest_first_seen,
        max(first_seen) as newest_first_seen,
        count(distinct customer_key) as customer_count
    from {{ ref('rpt_reconciliation_issues') }}
    group by all
)
select
    k.check_code,
    k.check_name_zh,
    k.check_name_en,
    k.issue_type,
    k.issue_name_zh,
    k.issue_name_en,
    k.severity,
    k.owner_role,
    k.grace_days,
    k.amount_tolerance,
    coalesce(i.issue_count, 0) as issue_count,
    coalesce(i.older_than_30_days_count, 0) as older_than_30_days_count,
    coalesce(i.customer_count, 0) as customer_count,
    cast(i.crm_amount as decimal(18, 2)) as crm_amount,
    cast(i.erp_amount as decimal(18, 2)) as erp_amount,
    cast(i.oa_amount as decimal(18, 2)) as oa_amount,
    cast(i.bank_amount as decimal(18, 2)) as bank_amount,
    cast(i.difference_amount as decimal(18, 2)) as difference_amount,
    cast(i.absolute_difference_amount as decimal(18, 2)) as absolute_difference_amount,
    i.oldest_first_seen,
    i.newest_first_seen,
    a.as_of_date - i.oldest_first_seen as oldest_days_open,
    a.as_of_date
from checks as k
cross join as_of as a
left join issues as i using (check_code, issue_type)
