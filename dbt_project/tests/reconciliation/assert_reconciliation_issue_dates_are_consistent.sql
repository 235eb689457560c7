-- first_seen = reference date + the issue type's grace days, never after the as-of date.
select i.issue_id, i.reference_date, i.first_seen, i.days_open, i.as_of_date, c.grace_days
from {{ ref('rpt_reconciliation_issues') }} as i
join {{ ref('reconciliation_checks') }} as c using (check_code, issue_type)
where i.first_seen <> i.reference_date + c.grace_days
    or i.first_seen > i.as_of_date
    or i.days_open <> i.as_of_date - i.first_seen
