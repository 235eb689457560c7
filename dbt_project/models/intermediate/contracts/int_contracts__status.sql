-- Contract status (合同状态) as of the as-of date, per the domain definition:
--   签订前 pre-signing  the approval is a draft (创建, never submitted)
--   签订中 signing      in approval (waiting at a node or returned to the creator), or approved
--                       but the signed paper copy is not back (是否收到 ≠ 是)
--   履行中 performing   signed (approved and paper copy back), not completed
--   完成   completed    signed, and the first of these holds:
--                         * projects delivered: ≥ 1 started project, none open, and the
--                           delivered projects' amounts cover the contract amount (± 1 CNY)
--                           (so a contract whose 2nd project has not started is not complete;
--                           a contract without a known amount needs only the deliveries)
--                         * past end date: end date before the as-of date and no open project
--                         * prepayment transferred: a prepayment contract whose money moved
--                           to its formal contract (approved 合同转账)
--   终止   terminated   a termination request (合同终止) archived
-- plus 作废 void (an extension): the approval was rejected or withdrawn and never approved.
with facts as (
    select
        contract_no,
        approval_outcome,
        is_approved,
        is_paper_received,
        is_prepayment,
        amount,
        signed_date,
        end_date,
        paper_received_date,
        termination_approved_date,
        started_project_count,
        open_project_count,
        delivered_project_amount,
        last_delivery_date,
        transferred_out_amount,
        first_transfer_out_date,
        as_of_date
    from {{ ref('int_contracts__facts') }}
),
derived as (
    select
        *,
        is_approved and is_paper_received as is_signed,
        termination_approved_date is not null as is_terminated,
        case
            when started_project_count > 0 and open_project_count = 0
                and (amount is null or delivered_project_amount >= amount - 1)
                then last_delivery_date
        end as projects_completed_date,
        case when end_date < as_of_date and open_project_count = 0 then end_date end
            as period_completed_date,
        case when is_prepayment and transferred_out_amount > 0 then first_transfer_out_date end
            as transfer_completed_date
    from facts
),
classified as (
    select
        *,
        least(projects_completed_date, period_completed_date, transfer_completed_date)
            as first_completion_date,
        case
            when not is_approved and approval_outcome = 'rejected' then 'approval_rejected'
            when not is_approved and approval_outcome = 'withdrawn' then 'approval_withdrawn'
            when is_terminated then 'termination_approved'
            when not is_approved and approval_outcome = 'draft' then 'draft'
            when not is_approved and approval_outcome = 'returned' then 'returned_to_creator'
            when not is_approved and approval_outcome = 'unknown' then 'approval_unknown'
            when not is_approved then 'in_approval'
            when not is_paper_received then 'awaiting_paper_copy'
            when least(projects_completed_date, period_completed_date, transfer_completed_date) is null
                then 'performing'
            when least(projects_completed_date, period_completed_date, transfer_completed_date)
                = projects_completed_date then 'projects_delivered'
            when least(projects_completed_date, period_completed_date, transfer_completed_date)
                = transfer_completed_date then 'prepayment_transferred'
            else 'past_end_date'
        end as status_reason
    from derived
)
select
    contract_no,
    case
        when status_reason in ('approval_rejected', 'approval_withdrawn') then '作废'
        when status_reason = 'termination_approved' then '终止'
        when status_reason = 'draft' then '签订前'
        when status_reason in ('returned_to_creator', 'approval_unknown', 'in_approval', 'awaiting_paper_copy')
            then '签订中'
        when status_reason = 'performing' then '履行中'
        else '完成'
    end as status,
    case
        when status_reason in ('approval_rejected', 'approval_withdrawn') then 'void'
        when status_reason = 'termination_approved' then 'terminated'
        when status_reason = 'draft' then 'pre_signing'
        when status_reason in ('returned_to_creator', 'approval_unknown', 'in_approval', 'awaiting_paper_copy')
            then 'signing'
        when status_reason = 'performing' then 'performing'
        else 'completed'
    end as status_en,
    status_reason,
    is_signed,
    is_terminated,
    projects_completed_date,
    period_completed_date,
    transfer_completed_date,
    case
        when status_reason in ('projects_delivered', 'past_end_date', 'prepayment_transferred')
            then greatest(first_completion_date, signed_date, paper_received_date)
    end as completed_date,
    end_date - as_of_date as days_to_expiry,
    coalesce(
        status_reason in ('awaiting_paper_copy', 'performing')
            and end_date - as_of_date between 0 and {{ var('expiring_days') }},
        false
    ) as is_expiring
from classified
