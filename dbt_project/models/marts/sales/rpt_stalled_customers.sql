-- Stalled customers (缓行客户), domain §4: a customer with at least one open opportunity and no
-- sales action (visit, stage change, contract, order) for var('stalled_days') days or more
-- as of the as-of date. One row per stalled customer; its open opportunities are listed in
-- open_crm_deal_ids (details: fct_opportunities where customer_key = … and is_open).
-- Customer-level actions are all actions for the customer: visits to it, any of its
-- opportunities' stage changes, contracts and orders (also of its closed opportunities).
with as_of as (
    select {{ as_of_date() }} as as_of_date
),
open_opps as (
    select
        crm_deal_id,
        crm_account_id,
        customer_key,
        owner_employee_code,
        created_date,
        case when amount >= 0 then amount end as amount,
        weighted_amount,
        is_stalled
    from {{ ref('fct_opportunities') }}
    where is_open and crm_account_id is not null
),
open_by_customer as (
    select
        crm_account_id,
        min(customer_key) as customer_key,
        count(*) as open_opportunity_count,
        count(*) filter (where is_stalled) as stalled_opportunity_count,
        coalesce(sum(amount), 0) as amount_at_risk,
        coalesce(sum(weighted_amount), 0) as weighted_amount_at_risk,
        min(created_date) as oldest_open_created_date,
        string_agg(crm_deal_id, ',' order by created_date, crm_deal_id) as open_crm_deal_ids,
        -- the owner of the largest open opportunity, when the account has no owner (equal
        -- amounts: the highest opportunity id)
        arg_max(owner_employee_code, (coalesce(amount, 0), crm_deal_id)) as top_opportunity_owner_employee_code
    from open_opps
    group by crm_account_id
),
actions as (
    select
        crm_account_id,
        max(action_date) as last_action_date,
        arg_max(action_type, {{ last_sales_action_order() }}) filter (where action_date is not null) as last_action_type,
        max(action_date) filter (where action_type = 'visit') as last_visit_date,
        max(action_date) filter (where action_type = 'stage_change') as last_stage_change_date,
        max(action_date) filter (where action_type like 'contract%') as last_contract_date,
        max(action_date) filter (where action_type = 'order') as last_order_date
    from {{ ref('int_sales__actions') }}
    where crm_account_id is not null
    group by crm_account_id
),
customers as (
    select crm_account_id, customer_name, customer_grade, region, owner_employee_code
    from {{ ref('dim_customers') }}
    where crm_account_id is not null
),
employees_now as (
    select employee_code, employee_name, team_name, region
    from {{ ref('dim_employees') }}
    cross join as_of
    where as_of.as_of_date >= valid_from and as_of.as_of_date < valid_to
    qualify row_number() over (partition by employee_code order by valid_from desc) = 1
),
scored as (
    select
        o.*,
        a.last_action_date,
        a.last_action_type,
        a.last_visit_date,
        a.last_stage_change_date,
        a.last_contract_date,
        a.last_order_date,
        date_diff('day', a.last_action_date, as_of.as_of_date) as days_since_last_action,
        as_of.as_of_date
    from open_by_customer as o
    cross join as_of
    left join actions as a using (crm_account_id)
)
select
    s.customer_key,
    s.crm_account_id,
    c.customer_name,
    c.customer_grade,
    c.region as customer_region,
    coalesce(c.owner_employee_code, s.top_opportunity_owner_employee_code) as owner_employee_code,
    e.employee_name as owner_name,
    e.team_name as owner_team_name,
    e.region as owner_region,
    s.open_opportunity_count,
    s.stalled_opportunity_count,
    cast(s.amount_at_risk as decimal(18, 2)) as amount_at_risk,
    cast(s.weighted_amount_at_risk as decimal(18, 2)) as weighted_amount_at_risk,
    s.oldest_open_created_date,
    s.open_crm_deal_ids,
    s.last_action_date,
    s.last_action_type,
    s.last_visit_date,
    s.last_stage_change_date,
    s.last_contract_date,
    s.last_order_date,
    s.days_since_last_action,
    {{ var('stalled_days') }} as stalled_days_threshold,
    s.as_of_date
from scored as s
left join customers as c using (crm_account_id)
left join employees_now as e
    on e.employee_code = coalesce(c.owner_employee_code, s.top_opportunity_owner_employee_code)
where s.last_action_date is null
    or s.days_since_last_action >= {{ var('stalled_days') }}
