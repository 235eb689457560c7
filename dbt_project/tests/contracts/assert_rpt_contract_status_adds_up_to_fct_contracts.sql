-- Every level of rpt_contract_status adds up, per status, to fct_contracts: count, amount,
-- new this month and expiring.
with fct as (
    select
        status,
        count(*) as contract_count,
        coalesce(sum(amount), 0) as amount,
        count(*) filter (where is_expiring) as expiring_count,
        count(*) filter (
            where coalesce(signed_date, approval_created_date)
                between cast(date_trunc('month', as_of_date) as date) and as_of_date
        ) as new_this_month_count
    from {{ ref('fct_contracts') }}
    group by all
),
levels as (
    select distinct report_level from {{ ref('rpt_contract_status') }}
),
expected as (
    select l.report_level, f.* from levels as l cross join fct as f
),
rpt as (
    select
        report_level,
        status,
        sum(contract_count) as contract_count,
        sum(amount) as amount,
        sum(expiring_count) as expiring_count,
        sum(new_this_month_count) as new_this_month_count
    from {{ ref('rpt_contract_status') }}
    group by all
)
select coalesce(e.report_level, r.report_level) as report_level, coalesce(e.status, r.status) as status,
    e.contract_count as fct_count, r.contract_count as rpt_count, e.amount as fct_amount, r.amount as rpt_amount
from expected as e
full outer join rpt as r on r.report_level = e.report_level and r.status = e.status
where e.contract_count is distinct from r.contract_count
    or e.amount is distinct from r.amount
    or e.expiring_count is distinct from r.expiring_count
    or e.new_this_month_count is distinct from r.new_this_month_count
    or (select count(*) from levels) <> 5
