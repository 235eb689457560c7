"""Queries of the reconciliation page (对账): open cross-system issues and their summary.

Viewers who see everything read ``rpt_reconciliation_summary`` as published (every check,
clean ones with 0) and every issue. Everyone else sees the issues whose responsible
salesperson (the person the records belong to) is in their scope, and a summary aggregated
from exactly those issues with the summary's definitions. The person an issue is routed to
(``owner_employee_code``) is shown only when they too are in the viewer's scope; otherwise the
code is withheld (NULL) and ``owner_outside_scope`` is true, so the page shows the role that
fixes it (``owner_role``) and "outside your scope" instead of someone else's employee code
(docs/decisions.md, "Portal pages").
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboards.lib import db
from dashboards.lib.access import Scope
from dashboards.lib.queries_common import LIKE, Where, emp, like_pattern

SEVERITIES = ("high", "medium", "low")


@dataclass(frozen=True)
class ReconFilters:
    checks: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    issue_types: tuple[str, ...] = ()
    min_days_open: int = 0
    text: str = ""  # contract, customer, document number or id


def checks() -> pd.DataFrame:
    """The checks and issue types configured (seed metadata, no records)."""
    return db.query(
        "select check_code, check_name_zh, check_name_en, issue_type, issue_name_zh, "
        "issue_name_en, severity from marts.rpt_reconciliation_summary "
        "order by check_code, issue_type"
    )


_SEARCHED = (
    "contract_no",
    "customer_name",
    "issue_id",
    "erp_order_no",
    "crm_order_no",
    "erp_invoice_number",
    "oa_application_no",
    "oa_claim_no",
    "bank_serial_no",
    "erp_customer_code",
    "crm_account_id",
)


def _where(scope: Scope, f: ReconFilters) -> Where:
    w = Where().add_scope(emp(scope, "responsible_employee_code"))
    w.one_of("check_code", f.checks).one_of("severity", f.severities)
    w.one_of("issue_type", f.issue_types)
    if f.min_days_open:
        w.add("days_open >= ?", int(f.min_days_open))
    if f.text and f.text.strip():
        pattern = like_pattern(f.text)
        w.add(" or ".join(f"{c} {LIKE}" for c in _SEARCHED), *([pattern] * len(_SEARCHED)))
    return w


def issues(scope: Scope, f: ReconFilters) -> pd.DataFrame:
    """The issues of the viewer's scope. ``owner_employee_code`` is NULL unless the routed-to
    person is in the scope (``owner_outside_scope`` says when it was withheld)."""
    w = _where(scope, f)
    own, own_params = emp(scope, "owner_employee_code")
    return db.query(
        f"""select check_name_zh, check_name_en, issue_name_zh, issue_name_en, severity,
            days_open, first_seen, contract_no, customer_name, details,
            crm_amount, erp_amount, oa_amount, bank_amount, difference_amount,
            crm_account_id, crm_order_no, crm_invoice_number, erp_customer_code, erp_order_no,
            erp_invoice_number, erp_receipt_no, oa_request_id, oa_application_no, oa_claim_no,
            bank_serial_no, owner_role,
            case when {own} then owner_employee_code end as owner_employee_code,
            coalesce(owner_employee_code is not null and not {own}, false)
                as owner_outside_scope,
            responsible_employee_code, issue_id, check_code, issue_type
        from marts.rpt_reconciliation_issues where {w.sql}
        order by case severity when 'high' then 0 when 'medium' then 1 else 2 end,
            days_open desc, issue_id""",
        [*own_params, *own_params, *w.params],
    )


def summary(scope: Scope, f: ReconFilters) -> pd.DataFrame:
    """Per check and issue type: count, > 30 days, amounts, oldest. Unfiltered for a viewer
    who sees everything: the published summary itself."""
    unfiltered = f == ReconFilters()
    if scope.sees_everything and unfiltered:
        return db.query(
            """select check_code, check_name_zh, check_name_en, issue_type, issue_name_zh,
                issue_name_en, severity, owner_role, issue_count, older_than_30_days_count,
                customer_count, absolute_difference_amount, oldest_days_open
            from marts.rpt_reconciliation_summary
            order by issue_count desc, check_code, issue_type"""
        )
    w = _where(scope, f)
    return db.query(
        f"""select check_code, any_value(check_name_zh) as check_name_zh,
            any_value(check_name_en) as check_name_en, issue_type,
            any_value(issue_name_zh) as issue_name_zh, any_value(issue_name_en) as issue_name_en,
            any_value(severity) as severity, any_value(owner_role) as owner_role,
            count(*) as issue_count,
            count(*) filter (where days_open > 30) as older_than_30_days_count,
            count(distinct customer_key) as customer_count,
            sum(abs(difference_amount)) as absolute_difference_amount,
            max(days_open) as oldest_days_open
        from marts.rpt_reconciliation_issues where {w.sql}
        group by check_code, issue_type
        order by issue_count desc, check_code, issue_type""",
        w.params,
    )
