-- Contract status board for the portals, as of the as-of date: per status, the count and
-- amount of contracts, those new this month and those expiring within var('expiring_days'),
-- at five levels (report_level): company; region and team (the owner's at signing, region
-- falling back to the form's 所属区域); owner; and contract month (the month of the signing
-- date, or of the approval request's creation for contracts not yet signed).
-- "New this month" = signed in the as-of month (not yet signed: created in it).
{%- set levels = [
    ('company', "cast(null as varchar)", "cast(null as varchar)", "cast(null as varchar)", "cast(null as varchar)", "cast(null as date)"),
    ('region', "region", "cast(null as varchar)", "cast(null as varchar)", "cast(null as varchar)", "cast(null as date)"),
    ('team', "region", "team_name", "cast(null as varchar)", "cast(null as varchar)", "cast(null as date)"),
    ('owner', "cast(null as varchar)", "cast(null as varchar)", "owner_employee_code", "owner_name", "cast(null as date)"),
    ('month', "cast(null as varchar)", "cast(null as varchar)", "cast(null as varchar)", "cast(null as varchar)", "contract_month"),
] %}
with contracts as (
    select
        contract_no,
        status,
        status_en,
        coalesce(owner_region, form_region, '(未知)') as region,
        coalesce(owner_team_name, '(未知)') as team_name,
        coalesce(owner_employee_code, '(未知)') as owner_employee_code,
        case when owner_employee_code is null then '(未知)' else owner_name end as owner_name,
        cast(date_trunc('month', coalesce(signed_date, approval_created_date)) as date) as contract_month,
        amount,
        coalesce(signed_date, approval_created_date)
            between cast(date_trunc('month', as_of_date) as date) and as_of_date as is_new_this_month,
        is_expiring,
        as_of_date
    from {{ ref('fct_contracts') }}
),
grouped as (
{%- for level, region, team, owner_code, owner_name, month in levels %}
    select
        '{{ level }}' as report_level,
        {{ region }} as region,
        {{ team }} as team_name,
        {{ owner_code }} as owner_employee_code,
        {{ owner_name }} as owner_name,
        {{ month }} as contract_month,
        status,
        status_en,
        count(*) as contract_count,
        cast(coalesce(sum(amount), 0) as decimal(18, 2)) as amount,
        count(*) filter (where is_new_this_month) as new_this_month_count,
        cast(coalesce(sum(amount) filter (where is_new_this_month), 0) as decimal(18, 2))
            as new_this_month_amount,
        count(*) filter (where is_expiring) as expiring_count,
        cast(coalesce(sum(amount) filter (where is_expiring), 0) as decimal(18, 2)) as expiring_amount,
        max(as_of_date) as as_of_date
    from contracts
    group by {{ region }}, {{ team }}, {{ owner_code }}, {{ owner_name }}, {{ month }}, status, status_en
    {%- if not loop.last %}
    union all
    {%- endif %}
{%- endfor %}
)
select
    report_level
        || '|' || coalesce(region, '')
        || '|' || coalesce(team_name, '')
        || '|' || coalesce(owner_employee_code, '')
        || '|' || coalesce(strftime(contract_month, '%Y-%m'), '')
        || '|' || status as report_row_key,
    report_level,
    region,
    team_name,
    owner_employee_code,
    owner_name,
    contract_month,
    status,
    status_en,
    contract_count,
    amount,
    case
        when sum(contract_count) over w > 0
            then cast(contract_count / sum(contract_count) over w as decimal(9, 4))
    end as count_share,
    case
        when sum(amount) over w <> 0 then cast(amount / sum(amount) over w as decimal(9, 4))
    end as amount_share,
    new_this_month_count,
    new_this_month_amount,
    expiring_count,
    expiring_amount,
    {{ var('expiring_days') }} as expiring_days,
    as_of_date
from grouped
window w as (
    partition by report_level, region, team_name, owner_employee_code, contract_month
)
