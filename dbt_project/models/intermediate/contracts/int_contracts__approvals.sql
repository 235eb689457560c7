-- One row per contract number: the contract approval (合同审批) request that governs it, with
-- its form. A number can carry several approval requests (rejected or withdrawn, then
-- resubmitted as a new request under the same number): the archived one governs; without one,
-- the newest request does. An approval request whose form is missing from staging (e.g. the
-- extractor quarantined the row) still yields its contract, numbered from the request name
-- (合同审批-<contract no>-<customer>), with the form's attributes NULL.
with requests as (
    select
        oa_request_id,
        request_name,
        request_status,
        is_known_as_of,
        approval_outcome,
        waiting_node_name,
        created_at,
        created_date,
        submitted_date,
        approved_date
    from {{ ref('int_contracts__requests') }}
    where oa_form_id = '-1101'
),
forms as (
    select
        oa_request_id,
        contract_no,
        contract_name,
        contract_type,
        crm_account_id,
        customer_name,
        crm_deal_id,
        business_type,
        original_amount,
        signed_date,
        start_date,
        end_date,
        payment_terms_days,
        salesperson_name,
        region
    from {{ ref('stg_oa__contract_forms') }}
),
orphans as (
    select
        r.oa_request_id,
        coalesce(
            nullif(regexp_extract(r.request_name, '^合同审批-((HT|YF)-[A-Z]+-[0-9]{6}-[0-9]+)', 1), ''),
            'OA-' || r.oa_request_id
        ) as contract_no
    from requests as r
    where r.is_known_as_of
        and r.oa_request_id not in (select oa_request_id from forms)
),
candidates as (
    select
        f.contract_no,
        f.oa_request_id,
        false as is_form_missing,
        f.contract_name,
        f.contract_type,
        f.crm_account_id,
        f.customer_name,
        f.crm_deal_id,
        f.business_type,
        f.original_amount,
        f.signed_date,
        f.start_date,
        f.end_date,
        f.payment_terms_days,
        f.salesperson_name,
        f.region
    from forms as f
    union all
    select
        o.contract_no,
        o.oa_request_id,
        true,
        null, null, null, null, null, null, null, null, null, null, null, null, null
    from orphans as o
)
select
    c.contract_no,
    c.oa_request_id,
    count(*) over (partition by c.contract_no) as approval_request_count,
    c.is_form_missing,
    c.contract_name,
    coalesce(c.contract_type, case when c.contract_no like 'YF-%' then '预付款' end) as contract_type,
    coalesce(c.contract_type = '预付款', false) or c.contract_no like 'YF-%' as is_prepayment,
    c.crm_account_id,
    c.customer_name,
    c.crm_deal_id,
    c.business_type,
    cast(c.original_amount as decimal(18, 2)) as original_amount,
    c.signed_date as form_signed_date,
    c.start_date,
    c.end_date,
    c.payment_terms_days,
    c.salesperson_name,
    c.region as form_region,
    r.request_status as approval_request_status,
    coalesce(r.approval_outcome, 'unknown') as approval_outcome,
    r.waiting_node_name as approval_waiting_node,
    r.created_date as approval_created_date,
    r.submitted_date as approval_submitted_date,
    r.approved_date as approval_approved_date
from candidates as c
left join requests as r using (oa_request_id)
-- requests created after the as-of date are not known yet
where coalesce(r.is_known_as_of, true)
qualify row_number() over (
    partition by c.contract_no
    order by (r.approval_outcome = 'approved') desc nulls last, r.created_at desc nulls last, c.oa_request_id desc
) = 1
