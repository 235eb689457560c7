-- Everything a warning rule (seed warning_rules) can fire on, one row per rule type and
-- subject, with the measured value the rule's threshold is compared with. fct_warnings applies
-- the thresholds, picks one rule per subject and renders the messages.
--   contract_expiring       live contracts (approved, awaiting the paper copy or performing)
--                           not past their end date; value = days to expiry (fct_contracts)
--   invoice_overdue         open AR items on the as-of date past their due date; value = days
--                           past due (rpt_ar_aging)
--   delivered_not_invoiced  contracts with delivered-not-invoiced > 0; value = the largest
--                           days_delivered_not_invoiced of their order lines (days since the
--                           last delivery of a line still not fully invoiced;
--                           rpt_order_line_billing_status), else days since the contract's last
--                           delivery (rpt_contract_billing_status)
--   unclaimed_receipt       rpt_unclaimed_receipts without a claim in approval; value = days
--                           unclaimed
--   stalled_customer        rpt_stalled_customers; value = days since the last sales action
--                           (never any: days since its oldest open opportunity was created)
--   approval_pending        open OA requests (not archived / rejected / withdrawn) with a
--                           handler to act (a to-do operator row past the creator's draft);
--                           value = calendar hours the handler has waited, from the moment the
--                           node reached them to the end of the as-of date (or now, if earlier)
--   reconciliation_issue    rpt_reconciliation_issues (but unclaimed bank receipts, which
--                           unclaimed_receipt covers); value = days open
with as_of as (
    select
        {{ as_of_date() }} as as_of_date,
        least(
            timezone('Asia/Shanghai', cast({{ as_of_date() }} + 1 as timestamp)),
            current_timestamp
        ) as as_of_end_at
),
contract_expiring as (
    select
        'contract_expiring' as rule_type,
        'contract' as subject_type,
        c.contract_no as subject_id,
        c.contract_name as subject_name,
        c.owner_employee_code,
        'sales' as owner_role,
        c.owner_employee_code as responsible_employee_code,
        c.customer_key,
        c.contract_no,
        cast(c.days_to_expiry as integer) as measured_value,
        c.amount,
        c.end_date as subject_due_date,
        cast(null as varchar) as node_name,
        cast(null as varchar) as subject_severity
    from {{ ref('fct_contracts') }} as c
    where c.status_reason in ('awaiting_paper_copy', 'performing')
        and c.days_to_expiry >= 0
),
invoice_overdue as (
    select
        'invoice_overdue' as rule_type,
        'invoice' as subject_type,
        a.invoice_number as subject_id,
        coalesce(a.customer_name, a.erp_customer_code) as subject_name,
        a.owner_employee_code,
        'sales' as owner_role,
        a.owner_employee_code as responsible_employee_code,
        a.customer_key,
        a.contract_no,
        cast(a.days_past_due as integer) as measured_value,
        a.open_amount as amount,
        cast(null as date) as subject_due_date,
        cast(null as varchar) as node_name,
        cast(null as varchar) as subject_severity
    from {{ ref('rpt_ar_aging') }} as a
    where a.is_as_of_date
        and a.open_amount > 0
        and a.days_past_due > 0
),
line_days as (
    select contract_no, max(days_delivered_not_invoiced) as days_delivered_not_invoiced
    from {{ ref('rpt_order_line_billing_status') }}
    where delivered_not_invoiced_incl_tax > 0
    group by all
),
delivered_not_invoiced as (
    select
        'delivered_not_invoiced' as rule_type,
        'contract' as subject_type,
        b.contract_no as subject_id,
        coalesce(b.customer_name, b.contract_no) as subject_name,
        b.owner_employee_code,
        'sales' as owner_role,
        b.owner_employee_code as responsible_employee_code,
        b.customer_key,
        b.contract_no,
        cast(coalesce(l.days_delivered_not_invoiced, b.as_of_date - b.last_delivery_date) as integer) as measured_value,
        b.delivered_not_invoiced_incl_tax as amount,
        cast(null as date) as subject_due_date,
        cast(null as varchar) as node_name,
        cast(null as varchar) as subject_severity
    from {{ ref('rpt_contract_billing_status') }} as b
    left join line_days as l using (contract_no)
    where b.delivered_not_invoiced_incl_tax > 0
),
customer_owners as (
    select erp_customer_code, owner_employee_code
    from {{ ref('dim_customers') }}
    where erp_customer_code is not null
),
memo_contracts as (
    select contract_no, owner_employee_code
    from {{ ref('fct_contracts') }}
),
unclaimed_receipt as (
    select
        'unclaimed_receipt' as rule_type,
        'bank_receipt' as subject_type,
        u.bank_txn_id as subject_id,
        coalesce(u.payer_name, u.bank_serial_no) as subject_name,
        -- who is most likely to know the money: the contract named in the memo, else the
        -- owner of the customer usually behind this payer; else nobody (finance's queue)
        coalesce(mc.owner_employee_code, co.owner_employee_code) as owner_employee_code,
        case when coalesce(mc.owner_employee_code, co.owner_employee_code) is null then 'finance' else 'sales' end as owner_role,
        coalesce(mc.owner_employee_code, co.owner_employee_code) as responsible_employee_code,
        cast(null as varchar) as customer_key,
        mc.contract_no,
        cast(u.days_unclaimed as integer) as measured_value,
        u.amount,
        cast(null as date) as subject_due_date,
        cast(null as varchar) as node_name,
        cast(null as varchar) as subject_severity
    from {{ ref('rpt_unclaimed_receipts') }} as u
    left join memo_contracts as mc
        on mc.contract_no = regexp_extract(u.memo, '(HT|YF)-[A-Z]{2}-\d{6}-\d+', 0)
    left join customer_owners as co on co.erp_customer_code = u.likely_erp_customer_code
    where not u.has_pending_claim
),
stalled_customer as (
    select
        'stalled_customer' as rule_type,
        'customer' as subject_type,
        coalesce(s.customer_key, s.crm_account_id) as subject_id,
        s.customer_name as subject_name,
        s.owner_employee_code,
        'sales' as owner_role,
        s.owner_employee_code as responsible_employee_code,
        s.customer_key,
        cast(null as varchar) as contract_no,
        -- never an action: the days since its oldest open opportunity was created
        cast(coalesce(s.days_since_last_action, s.as_of_date - s.oldest_open_created_date) as integer) as measured_value,
        s.amount_at_risk as amount,
        cast(null as date) as subject_due_date,
        cast(null as varchar) as node_name,
        cast(null as varchar) as subject_severity
    from {{ ref('rpt_stalled_customers') }} as s
),
open_requests as (
    select r.*
    from {{ ref('stg_oa__workflow_requests') }} as r
    cross join as_of as a
    where r.source_system = 'oa'
        and r.request_status not in ('归档', '已否决', '已撤回')
        and {{ local_date('r.created_at') }} <= a.as_of_date
),
pending_handlers as (
    select
        r.oa_request_id,
        r.request_name,
        r.workflow_name,
        o.node_name,
        e.employee_code,
        coalesce(o.received_at, r.last_operated_at) as waiting_since
    from open_requests as r
    join {{ ref('stg_oa__workflow_operators') }} as o using (oa_request_id)
    left join {{ ref('stg_oa__employees') }} as e on e.oa_user_id = o.operator_oa_user_id
    where o.remark_state = '0'
        and o.acted_at is null
        -- group 1 is the creator's own draft: a never-submitted draft waits for nobody
        and o.group_no > 1
    qualify row_number() over (
        partition by r.oa_request_id, o.operator_oa_user_id order by o.group_no desc, o.received_at desc, o.oa_operator_id desc
    ) = 1
),
approval_pending as (
    select
        'approval_pending' as rule_type,
        'workflow_request' as subject_type,
        p.oa_request_id || ':' || coalesce(p.employee_code, '?') as subject_id,
        coalesce(p.request_name, p.workflow_name) as subject_name,
        p.employee_code as owner_employee_code,
        'approver' as owner_role,
        p.employee_code as responsible_employee_code,
        cast(null as varchar) as customer_key,
        cast(null as varchar) as contract_no,
        cast(floor(epoch(a.as_of_end_at - p.waiting_since) / 3600) as integer) as measured_value,
        cast(null as decimal(18, 2)) as amount,
        cast(null as date) as subject_due_date,
        p.node_name,
        cast(null as varchar) as subject_severity
    from pending_handlers as p
    cross join as_of as a
    where p.waiting_since <= a.as_of_end_at
),
reconciliation_issue as (
    select
        'reconciliation_issue' as rule_type,
        'reconciliation_issue' as subject_type,
        i.issue_id as subject_id,
        i.check_name_zh || '·' || i.issue_name_zh as subject_name,
        i.owner_employee_code,
        i.owner_role as owner_role,
        i.responsible_employee_code as responsible_employee_code,
        i.customer_key,
        i.contract_no,
        cast(i.days_open as integer) as measured_value,
        abs(i.difference_amount) as amount,
        cast(null as date) as subject_due_date,
        cast(null as varchar) as node_name,
        i.severity as subject_severity
    from {{ ref('rpt_reconciliation_issues') }} as i
    -- unclaimed bank receipts have their own rule (unclaimed_receipt): one warning, not two
    where not (i.check_code = 'bank_erp_receipts' and i.issue_type = 'unclaimed')
)
select * from contract_expiring
union all by name select * from invoice_overdue
union all by name select * from delivered_not_invoiced
union all by name select * from unclaimed_receipt
union all by name select * from stalled_customer
union all by name select * from approval_pending
union all by name select * from reconciliation_issue
