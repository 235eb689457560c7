-- (check_code, issue_type) identifies a row of the reconciliation_checks seed.
select check_code, issue_type, count(*) as n
from {{ ref('reconciliation_checks') }}
group by all
having count(*) > 1
