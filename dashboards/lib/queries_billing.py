"""Queries of the invoicing & collections page (开票与回款): delivered-not-invoiced and
invoiced-not-collected per contract and per order line, unclaimed receipts and unapplied cash.

Scope: contracts by owner; order lines by the order's salesperson or the contract owner;
unapplied cash by the contract owner; unclaimed receipts (no owner yet) by the current CRM
owner of the payer's likely customer — a pool receipt without a likely customer is shown to
viewers who see everything only (docs/decisions.md, "Portal pages").
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboards.lib import db
from dashboards.lib.access import Scope
from dashboards.lib.queries_common import Where, emp, emp_any


@dataclass(frozen=True)
class BillingFilters:
    customer: str = ""
    contract: str = ""
    regions: tuple[str, ...] = ()


def _contract_where(scope: Scope, f: BillingFilters) -> Where:
    w = Where().add_scope(emp(scope, "owner_employee_code"))
    w.text("customer_name", f.customer).text("contract_no", f.contract)
    return w.one_of("owner_region", f.regions)


def totals(scope: Scope, f: BillingFilters) -> pd.DataFrame:
    """One row: the headline totals (CNY) of the contracts in scope."""
    w = _contract_where(scope, f)
    return db.query(
        f"""select
            coalesce(sum(delivered_not_invoiced_incl_tax), 0) as dni_incl,
            coalesce(sum(delivered_not_invoiced_excl_tax), 0) as dni_excl,
            count(*) filter (where delivered_not_invoiced_incl_tax > 0) as dni_contracts,
            coalesce(sum(invoiced_not_collected_incl_tax), 0) as inc_incl,
            coalesce(sum(invoiced_not_collected_excl_tax), 0) as inc_excl,
            count(*) filter (where invoiced_not_collected_incl_tax > 0) as inc_contracts,
            coalesce(sum(overdue_ar_amount), 0) as overdue_ar
        from marts.rpt_contract_billing_status where {w.sql}""",
        w.params,
    )


def by_region(scope: Scope, f: BillingFilters) -> pd.DataFrame:
    w = _contract_where(scope, f)
    return db.query(
        f"""select coalesce(owner_region, '—') as region,
            sum(delivered_not_invoiced_incl_tax) as dni_incl,
            sum(invoiced_not_collected_incl_tax) as inc_incl
        from marts.rpt_contract_billing_status where {w.sql}
        group by all having sum(delivered_not_invoiced_incl_tax) > 0
            or sum(invoiced_not_collected_incl_tax) > 0
        order by region""",
        w.params,
    )


_CONTRACT_COLS = """contract_no, customer_name, owner_name, owner_region, status,
    contracted_amount_incl_tax, delivered_amount_incl_tax, invoiced_amount_incl_tax,
    collected_amount_incl_tax"""

# metric -> (condition, extra columns, order by): code constants only
_CONTRACT_VIEWS = {
    "dni": (
        "delivered_not_invoiced_incl_tax > 0",
        "delivered_not_invoiced_incl_tax, delivered_not_invoiced_excl_tax, last_delivery_date,"
        " last_invoice_date",
        "delivered_not_invoiced_incl_tax desc",
    ),
    "inc": (
        "invoiced_not_collected_incl_tax > 0",
        "invoiced_not_collected_incl_tax, invoiced_not_collected_excl_tax, overdue_ar_amount,"
        " last_invoice_date, last_collection_date",
        "invoiced_not_collected_incl_tax desc",
    ),
}


def contracts(scope: Scope, f: BillingFilters, metric: str) -> pd.DataFrame:
    cond, cols, order = _CONTRACT_VIEWS[metric]
    w = _contract_where(scope, f).add(cond)
    return db.query(
        f"select {_CONTRACT_COLS}, {cols} from marts.rpt_contract_billing_status "
        f"where {w.sql} order by {order}, contract_no",
        w.params,
    )


_LINE_VIEWS = {
    "dni": (
        "delivered_not_invoiced_incl_tax > 0",
        "delivered_not_invoiced_incl_tax, delivered_not_invoiced_excl_tax,"
        " last_delivery_date, days_delivered_not_invoiced",
        "days_delivered_not_invoiced desc nulls last, delivered_not_invoiced_incl_tax desc",
    ),
    "inc": (
        "invoiced_not_collected_incl_tax > 0",
        "invoiced_not_collected_incl_tax, invoiced_not_collected_excl_tax, last_invoice_date",
        "invoiced_not_collected_incl_tax desc",
    ),
}


def order_lines(scope: Scope, f: BillingFilters, metric: str) -> pd.DataFrame:
    cond, cols, order = _LINE_VIEWS[metric]
    w = Where().add_scope(emp_any(scope, "salesperson_code", "contract_owner_employee_code"))
    w.text("customer_name", f.customer).text("contract_no", f.contract)
    w.one_of("salesperson_region", f.regions).add(cond)
    return db.query(
        f"""select erp_order_no, line_seq, order_date, contract_no, customer_name,
            salesperson_name, salesperson_region, material_name, business_type,
            delivered_amount_incl_tax, invoiced_amount_incl_tax, collected_amount_incl_tax,
            {cols}, erp_order_entry_id
        from marts.rpt_order_line_billing_status where {w.sql}
        order by {order}, erp_order_no, line_seq""",
        w.params,
    )


def unclaimed(scope: Scope, f: BillingFilters) -> pd.DataFrame:
    if scope.sees_everything:
        w = Where()
    else:
        frag, params = emp(scope, "c.owner_employee_code")
        w = Where().add(
            "u.likely_erp_customer_code in (select c.erp_customer_code from marts.dim_customers"
            f" as c where c.erp_customer_code is not null and {frag})",
            *params,
        )
    w.text("u.payer_name", f.customer)
    return db.query(
        f"""select u.received_date, u.amount, u.payer_name, u.payer_account, u.memo,
            u.days_unclaimed, u.age_bucket_label_en, u.has_pending_claim, u.pending_claim_no,
            u.likely_erp_customer_code, u.bank_name, u.bank_serial_no, u.bank_txn_id,
            u.source_file
        from marts.rpt_unclaimed_receipts as u where {w.sql}
        order by u.days_unclaimed desc, u.bank_txn_id""",
        w.params,
    )


def unapplied(scope: Scope, f: BillingFilters) -> pd.DataFrame:
    w = Where("is_as_of_date").add_scope(emp(scope, "owner_employee_code"))
    w.add("unapplied_amount <> 0").text("customer_name", f.customer)
    w.text("contract_no", f.contract).one_of("owner_region", f.regions)
    return db.query(
        f"""select pool_key, pool_type, contract_no, customer_name, owner_name, owner_region,
            credited_amount, applied_amount, unapplied_amount, is_overdrawn,
            last_credit_date, days_since_last_credit, erp_customer_code
        from marts.rpt_unapplied_cash where {w.sql}
        order by unapplied_amount desc, pool_key""",
        w.params,
    )
