-- The summary counts and dates every open issue of its check and issue type.
with issues as (
    select check_code, issue_type, count(*) as n, min(first_seen) as oldest,
        sum(abs(difference_amount)) as abs_diff
    from {{ ref('rpt_reconciliation_issues') }}
    group by all
)
select s.check_code, s.issue_type, s.issue_count, i.n, s.oldest_first_seen, i.oldest
from {{ ref('rpt_reconciliation_summary') }} as s
full join issues as i using (check_code, issue_type)
where s.issue_count is distinct from coalesce(i.n, 0)
    or s.oldest_first_seen is distinct from i.oldest
    or s.absolute_difference_amount is distinct from i.abs_diff
