-- One row per sales action (销售动作) that keeps a customer / opportunity "moving" (domain §4
-- stalled): a visit, a stage change (the first stage entry at creation included), a contract
-- submitted / signed / changed in the OA, an ERP sales order. Actions after the as-of date are
-- left out (as-of metrics use only facts known on that date).
with as_of as (
    select {{ as_of_date() }} as as_of_date
),
deals as (
    select crm_deal_id, crm_account_id
    from {{ ref('stg_crm__deals') }}
),
stage_changes as (
    select
        'stage:' || h.crm_stage_history_id as action_id,
        'stage_change' as action_type,
        {{ local_date('h.entered_at') }} as action_date,
        h.crm_deal_id,
        d.crm_account_id,
        h.changed_by_crm_user_id as actor_crm_user_id
    from {{ ref('stg_crm__deal_stage_history') }} as h
    left join deals as d using (crm_deal_id)
),
visits as (
    select
        'visit:' || e.crm_event_id as action_id,
        'visit' as action_type,
        {{ local_date('coalesce(e.started_at, e.checked_in_at, e.created_at)') }} as action_date,
        case when e.related_module = 'Deals' then e.related_id end as crm_deal_id,
        coalesce(
            e.crm_account_id,
            case when e.related_module = 'Accounts' then e.related_id end,
            d.crm_account_id
        ) as crm_account_id,
        e.owner_crm_user_id as actor_crm_user_id
    from {{ ref('stg_crm__events') }} as e
    left join deals as d on e.related_module = 'Deals' and d.crm_deal_id = e.related_id
),
contracts as (
    select
        c.oa_request_id,
        c.contract_no,
        c.crm_deal_id,
        coalesce(c.crm_account_id, d.crm_account_id) as crm_account_id,
        {{ local_date('w.created_at') }} as submitted_date,
        c.signed_date
    from {{ ref('stg_oa__contract_forms') }} as c
    left join {{ ref('stg_oa__workflow_requests') }} as w using (oa_request_id)
    left join deals as d on d.crm_deal_id = c.crm_deal_id
),
contract_actions as (
    select
        'contract_submitted:' || oa_request_id as action_id,
        'contract_submitted' as action_type,
        submitted_date as action_date,
        crm_deal_id,
        crm_account_id,
        null as actor_crm_user_id
    from contracts
    where submitted_date is not null
    union all
    select
        'contract_signed:' || oa_request_id,
        'contract_signed',
        signed_date,
        crm_deal_id,
        crm_account_id,
        null
    from contracts
    where signed_date is not null
    union all
    select
        'contract_changed:' || ch.oa_request_id,
        'contract_changed',
        ch.change_date,
        c.crm_deal_id,
        c.crm_account_id,
        null
    from {{ ref('stg_oa__contract_change_forms') }} as ch
    join contracts as c on c.contract_no = ch.contract_no
    where ch.change_date is not null
    -- a contract number is unique per contract; a resubmitted form keeps it, take one
    qualify row_number() over (partition by ch.oa_request_id order by c.signed_date desc nulls last, c.oa_request_id desc) = 1
),
erp_customers as (
    select erp_customer_code, min(crm_account_id) as crm_account_id
    from {{ ref('dim_customers') }}
    where erp_customer_code is not null and crm_account_id is not null
    group by all
),
orders as (
    -- one action per order and opportunity (an order has many lines)
    select
        'order:' || o.erp_order_id || ':' || coalesce(o.crm_deal_id, '') as action_id,
        'order' as action_type,
        min(o.order_date) as action_date,
        o.crm_deal_id,
        coalesce(min(d.crm_account_id), min(ec.crm_account_id)) as crm_account_id,
        null as actor_crm_user_id
    from {{ ref('stg_erp__sales_order_lines') }} as o
    left join deals as d on d.crm_deal_id = o.crm_deal_id
    left join erp_customers as ec on ec.erp_customer_code = o.erp_customer_code
    where not o.is_deleted
    group by o.erp_order_id, o.crm_deal_id
),
unioned as (
    select action_id, action_type, action_date, crm_deal_id, crm_account_id, actor_crm_user_id from stage_changes
    union all
    select action_id, action_type, action_date, crm_deal_id, crm_account_id, actor_crm_user_id from visits
    union all
    select action_id, action_type, action_date, crm_deal_id, crm_account_id, actor_crm_user_id from contract_actions
    union all
    select action_id, action_type, action_date, crm_deal_id, crm_account_id, actor_crm_user_id from orders
)
select
    u.action_id,
    u.action_type,
    u.action_date,
    u.crm_deal_id,
    u.crm_account_id,
    cast(u.actor_crm_user_id as varchar) as actor_crm_user_id
from unioned as u
cross join as_of
where u.action_date is not null
    and u.action_date <= as_of.as_of_date
