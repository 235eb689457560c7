"""领导门户: every role that may open it renders without errors, the key numbers equal the
marts for the company and for a director's regions, and the roles that may not open it
cannot reach it."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboards.lib import access, db, fmt, ui
from tests.dashboards.conftest import errors, open_page

pytestmark = pytest.mark.xdist_group("portal")

KPI_LABELS = {
    "signed_amount": "签约额",
    "started_amount": "已启动合同额",
    "prepayment_amount": "预付款合同额",
    "received_back_amount": "合同回收额",
    "collected_amount": "回款额",
    "invoiced_amount": "开票额",
    "delivered_not_invoiced_amount": "已发货未开票",
    "invoiced_not_collected_amount": "已开票未收款",
}


def _metrics(at) -> dict[str, tuple[str, str | None]]:
    return {m.label: (m.value, m.delta or None) for m in at.metric}


def _expected(scope, period: ui.Period) -> tuple[pd.Series, pd.Series | None]:
    if scope.sees_everything:
        where, params = "is_company_total", []
    else:
        where, params = access.region_filter(scope, "region")
        where = f"not is_company_total and {where}"
    sums = ", ".join(f"sum({c}) as {c}" for c in KPI_LABELS)
    df = db.query(
        f"select period_start, {sums} from marts.rpt_leadership_kpis "
        f"where period_type = ? and period_start in (?, ?) and {where} group by period_start",
        [period.grain, period.start, period.prev_start, *params],
    )
    cur = df[df["period_start"] == pd.Timestamp(period.start)]
    prev = df[df["period_start"] == pd.Timestamp(period.prev_start)]
    assert not cur.empty, "the test warehouse has no KPIs for the period"
    return cur.iloc[0], (prev.iloc[0] if not prev.empty else None)


@pytest.mark.parametrize("role", ["executive", "finance", "director", "manager"])
def test_renders_for_every_role_that_may_open_it(portal_data, role_user, role):
    at = open_page(role_user[role], "leadership")
    assert not errors(at), errors(at)
    assert "领导门户" in [t.value for t in at.title]
    labels = _metrics(at)
    assert set(KPI_LABELS.values()) <= set(labels)
    assert len(at.dataframe) >= 5
    assert at.get("plotly_chart")


@pytest.mark.parametrize("role", ["executive", "director"])
def test_key_numbers_equal_the_marts(portal_data, role_user, role):
    scope = access.scope_for(role_user[role])
    at = open_page(role_user[role], "leadership")
    period = ui.make_period("month", ui.as_of_date(), ui.as_of_date())
    cur, prev = _expected(scope, period)
    shown = _metrics(at)
    assert cur["signed_amount"] != 0  # the comparison means something
    for col, label in KPI_LABELS.items():
        value, delta = shown[label]
        assert value == fmt.wan(cur[col]), label
        assert delta == (fmt.delta(cur[col], prev[col]) if prev is not None else None), label


def test_changing_the_period_changes_the_numbers(portal_data, role_user):
    at = open_page(role_user["executive"], "leadership")
    at.radio(key="lead_period_grain").set_value("year").run()
    assert not errors(at)
    period = ui.make_period("year", ui.as_of_date(), ui.as_of_date())
    cur, _ = _expected(access.scope_for(role_user["executive"]), period)
    assert _metrics(at)["签约额"][0] == fmt.wan(cur["signed_amount"])
    # an earlier year from the picker
    at.selectbox(key="lead_period_label_year").set_value(str(period.start.year - 1)).run()
    before = ui.make_period("year", period.start.replace(year=period.start.year - 1), period.end)
    cur, _ = _expected(access.scope_for(role_user["executive"]), before)
    assert _metrics(at)["签约额"][0] == fmt.wan(cur["signed_amount"])


def test_tables_are_complete_and_scoped(portal_data, role_user):
    login = role_user["director"]
    scope = access.scope_for(login)
    at = open_page(login, "leadership")
    frames = [d.value for d in at.dataframe]
    people = next(
        f
        for f in frames
        if "签约排名" in f.columns
        and "编号" in f.columns
        and len(f) > 0
        and f["编号"].str.startswith("ZT").all()
    )
    period = ui.make_period("month", ui.as_of_date(), ui.as_of_date())
    n = db.scalar(
        "select count(*) from marts.rpt_sales_ranking where level = 'person' "
        "and period_type = 'month' and period_start = ? "
        "and entity_key in (select unnest(?::varchar[]))",
        [period.start, list(scope.employee_codes)],
    )
    assert len(people) == n
    assert set(people["编号"]) <= set(scope.employee_codes)
    warnings = next(f for f in frames if "责任销售工号" in f.columns)
    assert set(warnings["责任销售工号"]) <= set(scope.employee_codes)
    assert at.get("download_button")


def test_english(portal_data, role_user):
    at = open_page(role_user["executive"], "leadership", lang="en")
    assert not errors(at)
    assert "Leadership" in [t.value for t in at.title]
    assert "Signed" in _metrics(at)


@pytest.mark.parametrize("role", ["assistant", "sales"])
def test_roles_without_access_cannot_reach_it(portal_data, role_user, role):
    at = open_page(role_user[role])
    assert not errors(at), errors(at)
    assert "领导门户" not in [t.value for t in at.title]
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("app_pages/leadership.py")
