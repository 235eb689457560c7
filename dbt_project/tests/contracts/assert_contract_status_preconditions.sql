-- What each status implies, checked on fct_contracts.
select contract_no, status, status_reason
from {{ ref('fct_contracts') }}
where
    -- performing and completed contracts are signed: approved with the paper copy back
    (status in ('履行中', '完成') and not (is_approved and is_paper_received and signed_date is not null))
    -- pre-signing and void contracts were never approved, so carry no signed date
    or (status in ('签订前', '作废') and (is_approved or signed_date is not null))
    -- terminated contracts have an approved termination
    or (status = '终止' and termination_approved_date is null)
    -- a termination approved on or before the as-of date always wins
    or (termination_approved_date is not null and status <> '终止')
    -- completed contracts have a completion date, no other status has one
    or ((status = '完成') <> (completed_date is not null))
    -- signed dates and completion do not lie in the future
    or signed_date > as_of_date
    or completed_date > as_of_date
    -- a completed contract has no open project
    or (status = '完成' and open_project_count > 0)
    -- expiring only for live contracts
    or (is_expiring and status not in ('签订中', '履行中'))
