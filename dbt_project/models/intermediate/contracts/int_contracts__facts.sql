-- One row per contract number: everything the status needs, as of the as-of date. A workflow
-- fact (signing, change, termination, project start / delivery, prepayment transfer) counts
-- when its request was archived on or before the as-of date; the paper copy is back when the
-- mailing form says 是否收到 = 是 with a receipt date on or before it.
with as_of as (
    select {{ as_of_date() }} as as_of_date
),
approvals as (
    select
        contract_no,
        oa_request_id,
        approval_request_count,
        is_form_missing,
        contract_name,
        contract_type,
        is_prepayment,
        crm_account_id,
        customer_name,
        crm_deal_id,
        business_type,
        form_signed_date,
        start_date,
        end_date,
        payment_terms_days,
        salesperson_name,
        form_region,
        approval_request_status,
        approval_outcome,
        approval_waiting_node,
        approval_created_date,
        approval_submitted_date,
        approval_approved_date
    from {{ ref('int_contracts__approvals') }}
),
amounts as (
    select
        contract_no,
        original_amount,
        amount,
        change_request_count,
        approved_change_count,
        last_change_approved_date
    from {{ ref('int_contracts__amounts') }}
),
requests as (
    select
        oa_request_id,
        is_known_as_of,
        approval_outcome,
        approved_date
    from {{ ref('int_contracts__requests') }}
),
mailing as (
    select
        m.contract_no,
        count(*) as mailing_request_count,
        min(m.sent_date) filter (
            where coalesce(r.approval_outcome, 'unknown') not in ('draft', 'rejected', 'withdrawn')
                and m.sent_date <= a.as_of_date
        ) as paper_sent_date,
        bool_or(coalesce(m.is_received, false) and coalesce(m.received_date <= a.as_of_date, true))
            as is_paper_received,
        min(m.received_date) filter (
            where m.is_received and m.received_date <= a.as_of_date
        ) as paper_received_date
    from {{ ref('stg_oa__contract_mailing_forms') }} as m
    cross join as_of as a
    left join requests as r using (oa_request_id)
    where coalesce(r.is_known_as_of, true)
    group by all
),
terminations as (
    select
        t.contract_no,
        count(*) filter (where r.approval_outcome in ('pending', 'returned')) as pending_termination_count,
        -- the first approved termination (same day: the lowest request id, for both columns)
        arg_min(t.oa_request_id, (r.approved_date, t.oa_request_id)) filter (where r.approved_date <= a.as_of_date)
            as termination_request_id,
        min(t.termination_date) filter (where r.approved_date <= a.as_of_date) as terminated_date,
        min(r.approved_date) filter (where r.approved_date <= a.as_of_date) as termination_approved_date,
        arg_min(t.termination_reason, (r.approved_date, t.oa_request_id)) filter (where r.approved_date <= a.as_of_date)
            as termination_reason
    from {{ ref('stg_oa__contract_termination_forms') }} as t
    cross join as_of as a
    left join requests as r using (oa_request_id)
    where coalesce(r.is_known_as_of, true)
    group by all
),
projects as (
    select
        contract_no,
        count(*) as project_count,
        count(*) filter (where is_started) as started_project_count,
        count(*) filter (where is_delivered) as delivered_project_count,
        count(*) filter (where is_started and not is_delivered) as open_project_count,
        min(start_date) filter (where is_started) as first_start_date,
        max(delivery_date) filter (where is_delivered) as last_delivery_date,
        cast(sum(project_amount) filter (where is_started) as decimal(18, 2)) as started_project_amount,
        cast(sum(project_amount) filter (where is_delivered) as decimal(18, 2)) as delivered_project_amount
    from {{ ref('int_contracts__projects') }}
    group by all
),
transfers as (
    select
        t.prepayment_contract_no,
        t.formal_contract_no,
        cast(t.transfer_amount as decimal(18, 2)) as transfer_amount,
        t.transfer_date
    from {{ ref('stg_oa__prepayment_transfer_forms') }} as t
    cross join as_of as a
    join requests as r using (oa_request_id)
    where r.approval_outcome = 'approved' and r.approved_date <= a.as_of_date
),
transfers_out as (
    select
        prepayment_contract_no as contract_no,
        cast(sum(transfer_amount) as decimal(18, 2)) as transferred_out_amount,
        min(transfer_date) as first_transfer_out_date,
        arg_min(formal_contract_no, (transfer_date, formal_contract_no)) filter (where transfer_date is not null) as transferred_to_contract_no
    from transfers
    group by all
),
transfers_in as (
    select
        formal_contract_no as contract_no,
        cast(sum(transfer_amount) as decimal(18, 2)) as transferred_in_amount,
        arg_min(prepayment_contract_no, (transfer_date, prepayment_contract_no)) filter (where transfer_date is not null) as transferred_from_contract_no
    from transfers
    group by all
)
select
    c.contract_no,
    c.oa_request_id,
    c.approval_request_count,
    c.is_form_missing,
    c.contract_name,
    c.contract_type,
    c.is_prepayment,
    c.crm_account_id,
    c.customer_name,
    c.crm_deal_id,
    c.business_type,
    c.salesperson_name,
    c.form_region,
    am.original_amount,
    am.amount,
    am.change_request_count,
    am.approved_change_count,
    am.last_change_approved_date,
    c.approval_request_status,
    c.approval_outcome,
    c.approval_waiting_node,
    c.approval_created_date,
    c.approval_submitted_date,
    c.approval_approved_date,
    coalesce(c.approval_outcome = 'approved' and c.approval_approved_date <= a.as_of_date, false)
        as is_approved,
    -- qdrq is filled on archive; fall back to the archive date when the form lacks it
    case
        when c.approval_outcome = 'approved' and c.approval_approved_date <= a.as_of_date
            then coalesce(c.form_signed_date, c.approval_approved_date)
    end as signed_date,
    c.start_date,
    c.end_date,
    c.payment_terms_days,
    coalesce(m.mailing_request_count, 0) as mailing_request_count,
    m.paper_sent_date,
    m.paper_received_date,
    coalesce(m.is_paper_received, false) as is_paper_received,
    coalesce(t.pending_termination_count, 0) > 0 as has_pending_termination,
    t.termination_request_id,
    t.terminated_date,
    t.termination_approved_date,
    t.termination_reason,
    coalesce(p.project_count, 0) as project_count,
    coalesce(p.started_project_count, 0) as started_project_count,
    coalesce(p.delivered_project_count, 0) as delivered_project_count,
    coalesce(p.open_project_count, 0) as open_project_count,
    p.first_start_date,
    p.last_delivery_date,
    p.started_project_amount,
    p.delivered_project_amount,
    coalesce(ti.transferred_in_amount, 0) as transferred_in_amount,
    ti.transferred_from_contract_no,
    coalesce(tout.transferred_out_amount, 0) as transferred_out_amount,
    tout.transferred_to_contract_no,
    tout.first_transfer_out_date,
    a.as_of_date
from approvals as c
cross join as_of as a
left join amounts as am using (contract_no)
left join mailing as m using (contract_no)
left join terminations as t using (contract_no)
left join projects as p using (contract_no)
left join transfers_in as ti using (contract_no)
left join transfers_out as tout using (contract_no)
