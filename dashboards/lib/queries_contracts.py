"""Queries of the contract archive (合同档案查询): the filtered list and one contract's detail
(changes, projects, orders, invoices, receipts) with every source-system document id.

Every function takes the viewer's ``Scope``; the scope restriction is part of the SQL of every
query (the list by the contract owner; the detail only for a contract the list query would
return for that viewer). User text is bound, never formatted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from dashboards.lib import db
from dashboards.lib.access import Scope
from dashboards.lib.queries_common import Where, emp


@dataclass(frozen=True)
class ContractFilters:
    number: str = ""
    name: str = ""
    customer: str = ""
    received: bool | None = None  # 原件已收回?
    sent_from: dt.date | None = None
    sent_to: dt.date | None = None
    received_from: dt.date | None = None
    received_to: dt.date | None = None
    started: bool | None = None
    statuses: tuple[str, ...] = ()


LIST_COLUMNS = """
    contract_no, contract_name, customer_name, contract_type, business_type, owner_name,
    owner_region, status, signed_date, amount, paper_sent_date, paper_received_date,
    is_paper_received, is_started, first_start_date, end_date, oa_request_id
"""


def _visible(scope: Scope) -> tuple[str, list]:
    """Contract numbers the viewer may see (a sub-select)."""
    frag, params = emp(scope, "owner_employee_code")
    return f"select contract_no from marts.fct_contracts where {frag}", params


def search(scope: Scope, f: ContractFilters) -> pd.DataFrame:
    w = Where().add_scope(emp(scope, "owner_employee_code"))
    w.text("contract_no", f.number).text("contract_name", f.name).text("customer_name", f.customer)
    w.flag("is_paper_received", f.received).flag("is_started", f.started)
    w.between("paper_sent_date", f.sent_from, f.sent_to)
    w.between("paper_received_date", f.received_from, f.received_to)
    w.one_of("status", f.statuses)
    return db.query(
        f"select {LIST_COLUMNS} from marts.fct_contracts where {w.sql} "
        "order by signed_date desc nulls last, approval_created_date desc, contract_no",
        w.params,
    )


def contract(scope: Scope, contract_no: str) -> pd.DataFrame:
    """One contract (0 or 1 row) with its billing figures and source ids."""
    w = Where().add_scope(emp(scope, "c.owner_employee_code")).add("c.contract_no = ?", contract_no)
    return db.query(
        f"""
        select c.*, b.ordered_amount_incl_tax, b.delivered_amount_incl_tax,
            b.invoiced_amount_incl_tax, b.collected_amount_incl_tax,
            b.net_received_amount_incl_tax, b.delivered_not_invoiced_incl_tax,
            b.invoiced_not_collected_incl_tax, b.open_ar_amount, b.overdue_ar_amount,
            b.unapplied_amount, b.prepayment_balance_incl_tax
        from marts.fct_contracts as c
        left join marts.rpt_contract_billing_status as b using (contract_no)
        where {w.sql}
        """,
        w.params,
    )


def _detail(scope: Scope, contract_no: str, select_sql: str, key: str = "contract_no"):
    visible, vparams = _visible(scope)
    return db.query(
        select_sql.format(where=f"{key} = ? and {key} in ({visible})"),
        [contract_no, *vparams],
    )


def changes(scope: Scope, contract_no: str) -> pd.DataFrame:
    return _detail(
        scope,
        contract_no,
        """select change_seq, change_date, amount_before, amount_after, amount_delta,
            change_reason, approval_outcome, approved_date, counts_toward_amount,
            change_request_id
        from marts.fct_contract_changes where {where} order by change_seq""",
    )


def projects(scope: Scope, contract_no: str) -> pd.DataFrame:
    return _detail(
        scope,
        contract_no,
        """select project_no, project_name, project_manager_name, project_amount,
            start_date, start_approval_outcome, is_started, delivery_date,
            delivery_approval_outcome, is_delivered, start_request_id, delivery_request_id
        from marts.fct_projects where {where} order by project_seq nulls last, project_no""",
    )


def orders(scope: Scope, contract_no: str) -> pd.DataFrame:
    return _detail(
        scope,
        contract_no,
        """select erp_order_no, min(order_date) as order_date, count(*) as lines,
            sum(ordered_amount_incl_tax) as ordered_amount_incl_tax,
            sum(delivered_amount_incl_tax) as delivered_amount_incl_tax,
            sum(invoiced_amount_incl_tax) as invoiced_amount_incl_tax,
            sum(collected_amount_incl_tax) as collected_amount_incl_tax,
            sum(delivered_not_invoiced_incl_tax) as delivered_not_invoiced_incl_tax
        from marts.rpt_order_line_billing_status where {where}
        group by erp_order_no order by order_date, erp_order_no""",
    )


def invoices(scope: Scope, contract_no: str) -> pd.DataFrame:
    return _detail(
        scope,
        contract_no,
        """select invoice_number, invoice_date, invoice_kind, red_blue, amount_incl_tax,
            net_amount_incl_tax, due_date, is_effective, original_invoice_number,
            erp_invoice_bill_no, erp_form_id, erp_order_no, erp_receivable_no,
            oa_application_no
        from marts.fct_invoices where {where} order by invoice_date, invoice_number""",
    )


def claims(scope: Scope, contract_no: str) -> pd.DataFrame:
    return _detail(
        scope,
        contract_no,
        """select claim_no, claim_date, claim_amount, approval_outcome, counts_as_collection,
            applied_amount, unapplied_amount, bank_received_date, payer_name,
            bank_serial_no, bank_txn_id, oa_request_id, erp_receipt_no, named_invoice_number,
            named_erp_order_no
        from marts.fct_payment_claims where {where} order by claim_date, claim_no""",
    )


def allocations(scope: Scope, contract_no: str) -> pd.DataFrame:
    return _detail(
        scope,
        contract_no,
        """select document_no, credit_type, credit_date, ar_invoice_number, applied_amount,
            allocation_method, allocation_date, days_paid_after_due, bank_serial_no,
            oa_request_id
        from marts.fct_receipt_allocations where {where}
        order by allocation_date, document_no, ar_invoice_number""",
    )
