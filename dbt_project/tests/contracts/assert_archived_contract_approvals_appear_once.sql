-- Every archived (approved) contract approval request in OA created on or before the as-of
-- date appears exactly once in fct_contracts, as the governing request of its contract —
-- including approvals whose form is missing from staging. Fails on a lost contract or on two archived approvals competing
-- for one number (only one can govern).
with archived as (
    select oa_request_id
    from {{ ref('stg_oa__workflow_requests') }}
    where source_system = 'oa' and oa_form_id = '-1101' and request_status = '归档'
        and {{ local_date('created_at') }} <= {{ as_of_date() }}
),
fct as (
    select oa_request_id, count(*) as n
    from {{ ref('fct_contracts') }}
    group by all
)
select a.oa_request_id, coalesce(f.n, 0) as rows_in_fct_contracts
from archived as a
left join fct as f using (oa_request_id)
where coalesce(f.n, 0) <> 1
