-- Target attainment per salesperson and month, by business type (小鼠类 / 服务类) and in
-- total (合计): contract-amount target vs signed, collection target vs collected, for the month
-- and year-to-date. Signed and collected amounts are credited to the contract owner; formal
-- contracts only (prepayment contracts turn into formal ones). Up to the as-of date.
with targets as (
    select owner_employee_code, month_start, business_type, contract_target, collection_target,
        team_name, region
    from {{ ref('int_sales_targets_monthly') }}
    where month_start <= {{ as_of_date() }}
),
actuals as (
    select
        owner_employee_code,
        cast(date_trunc('month', event_date) as date) as month_start,
        business_type,
        sum(case when event_type = 'signed' then amount else 0 end) as signed_amount,
        sum(case when event_type = 'collected' then amount else 0 end) as collected_amount
    from {{ ref('int_sales_credit_events') }}
    where event_date <= {{ as_of_date() }} and owner_employee_code is not null
    group by all
),
by_type as (
    select
        coalesce(t.owner_employee_code, a.owner_employee_code) as owner_employee_code,
        coalesce(t.month_start, a.month_start) as month_start,
        coalesce(t.business_type, a.business_type) as business_type,
        t.contract_target,
        t.collection_target,
        coalesce(a.signed_amount, 0) as signed_amount,
        coalesce(a.collected_amount, 0) as collected_amount
    from targets as t
    full join actuals as a
        on a.owner_employee_code = t.owner_employee_code
        and a.month_start = t.month_start and a.business_type = t.business_type
),
with_total as (
    select * from by_type
    union all
    select owner_employee_code, month_start, '合计', sum(contract_target), sum(collection_target),
        sum(signed_amount), sum(collected_amount)
    from by_type
    group by all
),
ytd as (
    select
        *,
        sum(contract_target) over w as ytd_contract_target,
        sum(signed_amount) over w as ytd_signed_amount,
        sum(collection_target) over w as ytd_collection_target,
        sum(collected_amount) over w as ytd_collected_amount
    from with_total
    window w as (
        partition by owner_employee_code, business_type, year(month_start)
        order by month_start rows between unbounded preceding and current row
    )
)
select
    y.owner_employee_code || '|' || strftime(y.month_start, '%Y-%m') || '|' || y.business_type as attainment_id,
    y.owner_employee_code,
    emp.employee_name as owner_name,
    emp.team_oa_department_id,
    emp.team_name,
    emp.region,
    y.month_start,
    strftime(y.month_start, '%Y-%m') as year_month,
    y.business_type,
    cast(y.contract_target as decimal(18, 2)) as contract_target,
    cast(y.signed_amount as decimal(18, 2)) as signed_amount,
    case when y.contract_target <> 0 then round(y.signed_amount / y.contract_target, 4) end as contract_completion,
    cast(y.collection_target as decimal(18, 2)) as collection_target,
    cast(y.collected_amount as decimal(18, 2)) as collected_amount,
    case when y.collection_target <> 0 then round(y.collected_amount / y.collection_target, 4) end as collection_completion,
    cast(y.ytd_contract_target as decimal(18, 2)) as ytd_contract_target,
    cast(y.ytd_signed_amount as decimal(18, 2)) as ytd_signed_amount,
    case when y.ytd_contract_target <> 0 then round(y.ytd_signed_amount / y.ytd_contract_target, 4) end as ytd_contract_completion,
    cast(y.ytd_collection_target as decimal(18, 2)) as ytd_collection_target,
    cast(y.ytd_collected_amount as decimal(18, 2)) as ytd_collected_amount,
    case when y.ytd_collection_target <> 0 then round(y.ytd_collected_amount / y.ytd_collection_target, 4) end as ytd_collection_completion
from ytd as y
left join {{ ref('dim_employees') }} as emp
    on emp.employee_code = y.owner_employee_code
    and y.month_start >= emp.valid_from and y.month_start < emp.valid_to
