-- One row per CRM lead (线索) with its conversion to an opportunity. ZOHO removes a lead from
-- the Leads module when it is converted or cleaned up; staging keeps those with is_deleted so
-- conversion can be measured. (Leads whose only landed record is the deletion tombstone carry
-- no attributes and are not in staging, so not here either.)
with leads as (
    select * from {{ ref('stg_crm__leads') }}
),
opps as (
    select crm_deal_id, stage_group, amount, is_won, closed_date
    from {{ ref('fct_opportunities') }}
),
employees as (
    select crm_user_id, employee_code, team_oa_department_id, team_name, region, valid_from, valid_to
    from {{ ref('dim_employees') }}
    where crm_user_id is not null
),
customers as (
    select customer_key, crm_account_id from {{ ref('dim_customers') }} where crm_account_id is not null
),
base as (
    select
        l.crm_lead_id,
        l.company,
        l.lead_source,
        l.lead_status,
        l.crm_campaign_id,
        l.province,
        l.business_type,
        l.owner_crm_user_id,
        l.created_at,
        {{ local_date('l.created_at') }} as created_date,
        l.is_converted or l.converted_crm_deal_id is not null as is_converted,
        l.converted_at,
        {{ local_date('l.converted_at') }} as converted_date,
        l.converted_crm_deal_id,
        l.converted_crm_account_id,
        l.is_deleted
    from leads as l
)
select
    b.crm_lead_id,
    b.company,
    b.lead_source,
    b.lead_status,
    b.crm_campaign_id,
    b.province,
    b.business_type,
    b.owner_crm_user_id,
    e.employee_code as owner_employee_code,
    e.team_oa_department_id,
    e.team_name,
    e.region,
    b.created_at,
    b.created_date,
    cast(date_trunc('month', b.created_date) as date) as created_month,
    b.is_converted,
    b.converted_at,
    b.converted_date,
    date_diff('day', b.created_date, b.converted_date) as days_to_convert,
    b.converted_crm_deal_id,
    o.crm_deal_id is not null as has_converted_opportunity_record,
    b.converted_crm_account_id,
    c.customer_key as converted_customer_key,
    o.stage_group as converted_opportunity_stage_group,
    coalesce(o.is_won, false) as is_converted_opportunity_won,
    case when o.is_won and o.amount >= 0 then o.amount end as converted_won_amount,
    b.lead_status = '无效' as is_invalid,
    b.is_deleted
from base as b
left join opps as o on o.crm_deal_id = b.converted_crm_deal_id
left join customers as c on c.crm_account_id = b.converted_crm_account_id
left join employees as e
    on e.crm_user_id = b.owner_crm_user_id
    and b.created_date >= e.valid_from
    and b.created_date < e.valid_to
qualify row_number() over (partition by b.crm_lead_id order by e.valid_from desc nulls last) = 1
