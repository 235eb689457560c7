-- One candidate per rule type and subject (fct_warnings picks one rule per subject).
select rule_type, subject_id, count(*) as n
from {{ ref('int_warning_candidates') }}
group by all
having count(*) > 1
