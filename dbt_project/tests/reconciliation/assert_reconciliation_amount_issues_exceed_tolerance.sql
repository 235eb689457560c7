-- Amount issues have both amounts and differ by more than the tolerance; the difference is
-- the other side minus the ERP.
select i.issue_id, i.crm_amount, i.oa_amount, i.bank_amount, i.erp_amount, i.difference_amount, c.amount_tolerance
from {{ ref('rpt_reconciliation_issues') }} as i
join {{ ref('reconciliation_checks') }} as c using (check_code, issue_type)
where i.issue_type in ('amount_mismatch', 'orders_exceed_contract')
    and (
        i.erp_amount is null
        or coalesce(i.crm_amount, i.oa_amount, i.bank_amount) is null
        or i.difference_amount <> coalesce(i.crm_amount, i.oa_amount, i.bank_amount) - i.erp_amount
        or abs(i.difference_amount) <= c.amount_tolerance
    )
