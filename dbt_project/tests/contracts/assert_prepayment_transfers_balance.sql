-- Money transferred out of prepayment contracts equals money transferred into formal
-- contracts, both equal the approved transfer forms in staging, and only prepayment contracts
-- transfer out.
with as_of as (
    select {{ as_of_date() }} as as_of_date
),
forms as (
    select coalesce(sum(t.transfer_amount), 0) as amount
    from {{ ref('stg_oa__prepayment_transfer_forms') }} as t
    join {{ ref('stg_oa__workflow_requests') }} as r using (oa_request_id)
    cross join as_of as a
    where r.request_status = '归档' and {{ local_date('r.last_operated_at') }} <= a.as_of_date
),
fct as (
    select
        sum(transferred_out_amount) as out_amount,
        sum(transferred_in_amount) as in_amount,
        count(*) filter (where transferred_out_amount <> 0 and not is_prepayment) as non_prepayment_out
    from {{ ref('fct_contracts') }}
)
select f.amount as forms_amount, c.out_amount, c.in_amount, c.non_prepayment_out
from forms as f, fct as c
where f.amount <> c.out_amount or f.amount <> c.in_amount or c.non_prepayment_out > 0
