"""Queries of the AR aging page (应收账龄): snapshots (month-ends and the as-of date) of
``rpt_ar_aging``, buckets by customer / owner / team / region, the month-end trend.

Scope: the invoice owner (``owner_employee_code``). Grouping columns and bucket views come
from the whitelists below, never from user text.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from dashboards.lib import db
from dashboards.lib.access import Scope
from dashboards.lib.queries_common import Where, emp

# group-by key -> (label column, code column)
GROUPS = {
    "customer": ("customer_name", "customer_key"),
    "owner": ("owner_name", "owner_employee_code"),
    "team": ("owner_team_name", "owner_team_name"),
    "region": ("owner_region", "owner_region"),
}
# bucket view -> (code, zh label, en label, sort order)
VIEWS = {
    "due": (
        "due_bucket_code",
        "due_bucket_label_zh",
        "due_bucket_label_en",
        "due_bucket_sort_order",
    ),
    "invoice": (
        "invoice_age_bucket_code",
        "invoice_age_bucket_label_zh",
        "invoice_age_bucket_label_en",
        "invoice_age_bucket_sort_order",
    ),
}


def snapshots() -> pd.DataFrame:
    """The snapshot dates (no rows, no scope needed): date, is_as_of_date, is_month_end."""
    return db.query(
        "select snapshot_date, bool_or(is_as_of_date) as is_as_of_date, "
        "bool_or(is_month_end) as is_month_end from marts.rpt_ar_aging "
        "group by snapshot_date order by snapshot_date desc"
    )


def _where(scope: Scope, snapshot: dt.date | None, customer: str) -> Where:
    w = Where().add_scope(emp(scope, "owner_employee_code"))
    if snapshot is not None:
        w.add("snapshot_date = ?", snapshot)
    return w.text("customer_name", customer)


def buckets(
    scope: Scope, snapshot: dt.date, group: str, view: str, customer: str = ""
) -> pd.DataFrame:
    """Long format: group label, bucket code/labels/order, open amount, invoices."""
    label, code = GROUPS[group]
    b_code, b_zh, b_en, b_order = VIEWS[view]
    w = _where(scope, snapshot, customer)
    return db.query(
        f"""select coalesce({label}, '—') as group_label, {code} as group_code,
            {b_code} as bucket_code, {b_zh} as bucket_zh, {b_en} as bucket_en,
            {b_order} as bucket_order, sum(open_amount) as open_amount,
            count(*) as invoices
        from marts.rpt_ar_aging where {w.sql}
        group by all order by group_label, bucket_order""",
        w.params,
    )


def totals(scope: Scope, snapshot: dt.date, customer: str = "") -> pd.DataFrame:
    w = _where(scope, snapshot, customer)
    return db.query(
        f"""select coalesce(sum(open_amount), 0) as open_amount,
            coalesce(sum(open_amount) filter (where is_overdue), 0) as overdue_amount,
            coalesce(sum(open_amount) filter (where days_past_due > 90), 0) as over_90_amount,
            count(*) as invoices, count(distinct customer_key) as customers
        from marts.rpt_ar_aging where {w.sql}""",
        w.params,
    )


def trend(scope: Scope, view: str, customer: str = "") -> pd.DataFrame:
    """Open AR per month-end (and the as-of date) and bucket."""
    b_code, b_zh, b_en, b_order = VIEWS[view]
    w = _where(scope, None, customer).add("is_month_end or is_as_of_date")
    return db.query(
        f"""select snapshot_date, {b_code} as bucket_code, {b_zh} as bucket_zh,
            {b_en} as bucket_en, {b_order} as bucket_order, sum(open_amount) as open_amount
        from marts.rpt_ar_aging where {w.sql}
        group by all order by snapshot_date, bucket_order""",
        w.params,
    )


def invoices(scope: Scope, snapshot: dt.date, customer: str = "") -> pd.DataFrame:
    w = _where(scope, snapshot, customer)
    return db.query(
        f"""select invoice_number, invoice_date, due_date, days_past_due, due_bucket_label_zh,
            due_bucket_label_en, customer_name, owner_name, owner_team_name, owner_region,
            contract_no, erp_order_no, invoiced_amount, red_letter_amount, collected_amount,
            open_amount, erp_customer_code
        from marts.rpt_ar_aging where {w.sql}
        order by days_past_due desc, open_amount desc, invoice_number""",
        w.params,
    )


def dso(snapshot: dt.date) -> float | None:
    """Company DSO on the snapshot (only for viewers who see everything)."""
    return db.scalar(
        "select dso_days from marts.rpt_ar_rollforward where level = 'company' "
        "and snapshot_date = ?",
        [snapshot],
    )
