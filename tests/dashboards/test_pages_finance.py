"""AppTests of the contract archive, invoicing & collections and AR aging pages, for every
role: no exceptions, the role's page access, and the key numbers equal the marts computed
here independently with the role's entitlements (marts.dim_user_access)."""

from __future__ import annotations

import duckdb
import pytest

from dashboards.lib import fmt
from tests.dashboards.conftest import errors, open_page

pytestmark = pytest.mark.xdist_group("portal")

ROLES = ("executive", "finance", "director", "manager", "assistant", "sales")


@pytest.fixture(scope="module")
def mart(served):
    con = duckdb.connect(str((served / "serving" / "current").resolve()), read_only=True)
    yield con
    con.close()


def scope_sql(mart, login: str, column: str) -> tuple[str, list]:
    """The role's restriction on an employee-code column, straight from dim_user_access."""
    everything = mart.execute(
        "select bool_or(sees_everything) from marts.dim_user_access where viewer_login_id = ?",
        [login],
    ).fetchone()[0]
    if everything:
        return "true", []
    return (
        f"{column} in (select visible_employee_code from marts.dim_user_access "
        "where viewer_login_id = ?)",
        [login],
    )


def metric(at, label: str) -> str:
    found = [m.value for m in at.metric if m.label == label]
    assert found, f"no metric {label!r}: {[m.label for m in at.metric]}"
    return found[0]


# ---- contract archive ----------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_contracts_page_matches_marts(portal_data, role_user, mart, role):
    login = role_user[role]
    at = open_page(login, "contracts")
    assert not errors(at), errors(at)
    where, params = scope_sql(mart, login, "owner_employee_code")
    n, amount = mart.execute(
        f"select count(*), coalesce(sum(amount), 0) from marts.fct_contracts where {where}",
        params,
    ).fetchone()
    assert metric(at, "合同数") == fmt.count(n)
    assert metric(at, "合同额") == fmt.wan(amount)
    listed = at.dataframe[0].value
    assert len(listed) == n  # every row, never truncated
    visible = {
        r[0]
        for r in mart.execute(
            f"select contract_no from marts.fct_contracts where {where}", params
        ).fetchall()
    }
    assert set(listed["合同编号"]) <= visible


def test_contracts_filters_and_detail(portal_data, role_user, mart):
    login = role_user["finance"]
    at = open_page(login, "contracts")
    # a number fragment with a LIKE wildcard taken literally: "_" must not match any char
    at.text_input(key="c_number").input("HT_").run()
    assert not errors(at)
    assert metric(at, "合同数") == "0"
    at.text_input(key="c_number").input("-P").run()  # no contract number holds "-P"
    assert metric(at, "合同数") == "0"
    at.text_input(key="c_number").input("").run()
    at.selectbox(key="c_received").set_value("yes").run()
    at.selectbox(key="c_started").set_value("no").run()
    n = mart.execute(
        "select count(*) from marts.fct_contracts where coalesce(is_paper_received, false) "
        "and not coalesce(is_started, false)"
    ).fetchone()[0]
    assert metric(at, "合同数") == fmt.count(n)

    # a contract with changes, projects, invoices and claims: its detail and source ids
    no = mart.execute(
        """select c.contract_no from marts.fct_contracts c
        where exists (select 1 from marts.fct_projects p where p.contract_no = c.contract_no)
          and exists (select 1 from marts.fct_invoices i where i.contract_no = c.contract_no)
          and exists (select 1 from marts.fct_payment_claims k where k.contract_no = c.contract_no)
          and coalesce(c.is_paper_received, false) and not coalesce(c.is_started, false)
        order by c.contract_no limit 1"""
    ).fetchone()
    if no is None:  # fall back: any contract with invoices
        at.selectbox(key="c_received").set_value("all").run()
        at.selectbox(key="c_started").set_value("all").run()
        no = mart.execute(
            "select contract_no from marts.fct_invoices where contract_no in "
            "(select contract_no from marts.fct_contracts) order by 1 limit 1"
        ).fetchone()
    no = no[0]
    at.text_input(key="c_number").input(no).run()
    pick = at.selectbox(key="c_pick")
    idx = [i for i, o in enumerate(pick.options) if o.startswith(no + " ")]
    pick.select_index(idx[0]).run()
    assert not errors(at), errors(at)
    tables = [d.value for d in at.dataframe]
    invoices = next(t for t in tables if "发票号码" in t.columns)
    expected = mart.execute(
        "select invoice_number, erp_invoice_bill_no from marts.fct_invoices where contract_no = ?",
        [no],
    ).fetchall()
    assert sorted(invoices["发票号码"]) == sorted(r[0] for r in expected)
    assert "ERP发票单号" in invoices.columns and "OA开票申请号" in invoices.columns
    ids = next(t for t in tables if "单据号" in t.columns)
    oa_id = mart.execute(
        "select oa_request_id from marts.fct_contracts where contract_no = ?", [no]
    ).fetchone()[0]
    assert oa_id in set(ids["单据号"])
    claims = next(t for t in tables if "认领单号" in t.columns and "银行流水号" in t.columns)
    n_claims = mart.execute(
        "select count(*) from marts.fct_payment_claims where contract_no = ?", [no]
    ).fetchone()[0]
    assert len(claims) == n_claims


def test_contract_detail_outside_scope_is_hidden(portal_data, role_user, mart):
    """A salesperson typing another owner's contract number gets nothing."""
    login = role_user["sales"]
    where, params = scope_sql(mart, login, "owner_employee_code")
    other = mart.execute(
        f"select contract_no from marts.fct_contracts where not ({where}) order by 1 limit 1",
        params,
    ).fetchone()[0]
    at = open_page(login, "contracts")
    at.text_input(key="c_number").input(other).run()
    assert not errors(at)
    assert metric(at, "合同数") == "0"
    assert not at.dataframe or len(at.dataframe[0].value) == 0

    from dashboards.lib import access, queries_contracts

    scope = access.scope_for(login)
    assert queries_contracts.contract(scope, other).empty
    assert queries_contracts.invoices(scope, other).empty
    assert queries_contracts.claims(scope, other).empty


# ---- invoicing & collections ---------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_billing_page_matches_marts(portal_data, role_user, mart, role):
    login = role_user[role]
    at = open_page(login, "billing")
    assert not errors(at), errors(at)
    where, params = scope_sql(mart, login, "owner_employee_code")
    dni, inc = mart.execute(
        "select coalesce(sum(delivered_not_invoiced_incl_tax), 0), "
        "coalesce(sum(invoiced_not_collected_incl_tax), 0) "
        f"from marts.rpt_contract_billing_status where {where}",
        params,
    ).fetchone()
    assert metric(at, "已发货未开票") == fmt.wan(dni)
    assert metric(at, "已开票未收款") == fmt.wan(inc)
    unapplied = mart.execute(
        "select coalesce(sum(unapplied_amount), 0) from marts.rpt_unapplied_cash "
        f"where is_as_of_date and {where}",
        params,
    ).fetchone()[0]
    assert metric(at, "未核销款") == fmt.wan(unapplied)
    if role in ("executive", "finance"):
        total = mart.execute("select coalesce(sum(amount), 0) from marts.rpt_unclaimed_receipts")
        assert metric(at, "未认领来款") == fmt.wan(total.fetchone()[0])
    # the contract-level detail list sums to the headline
    dni_table = at.dataframe[0].value
    col = "已发货未开票(含税)(万元)"
    assert abs(dni_table[col].sum() - float(dni) / 10_000) < 0.01 * max(len(dni_table), 1)


def test_billing_order_lines_and_unclaimed_scope(portal_data, role_user, mart):
    login = role_user["sales"]
    at = open_page(login, "billing")
    at.radio(key="b_grain_dni").set_value("line").run()
    assert not errors(at), errors(at)
    lines = at.dataframe[0].value
    where_a, p_a = scope_sql(mart, login, "salesperson_code")
    where_b, p_b = scope_sql(mart, login, "contract_owner_employee_code")
    n = mart.execute(
        "select count(*) from marts.rpt_order_line_billing_status "
        f"where delivered_not_invoiced_incl_tax > 0 and (({where_a}) or ({where_b}))",
        p_a + p_b,
    ).fetchone()[0]
    assert len(lines) == n
    # unclaimed receipts: only those whose likely customer is owned within the scope
    where_c, p_c = scope_sql(mart, login, "c.owner_employee_code")
    n_unclaimed = mart.execute(
        "select count(*) from marts.rpt_unclaimed_receipts u where u.likely_erp_customer_code in "
        f"(select c.erp_customer_code from marts.dim_customers c where {where_c})",
        p_c,
    ).fetchone()[0]
    total_unclaimed = mart.execute("select count(*) from marts.rpt_unclaimed_receipts").fetchone()
    unclaimed = [d.value for d in at.dataframe if "银行流水号" in d.value.columns]
    shown = len(unclaimed[0]) if unclaimed else 0
    assert shown == n_unclaimed
    assert shown < total_unclaimed[0]


# ---- AR aging ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_ar_aging_page_matches_marts(portal_data, role_user, mart, role):
    login = role_user[role]
    at = open_page(login, "ar_aging")
    assert not errors(at), errors(at)
    where, params = scope_sql(mart, login, "owner_employee_code")
    open_amt, overdue, n = mart.execute(
        "select coalesce(sum(open_amount), 0), "
        "coalesce(sum(open_amount) filter (where is_overdue), 0), count(*) "
        f"from marts.rpt_ar_aging where is_as_of_date and {where}",
        params,
    ).fetchone()
    assert metric(at, "应收余额") == fmt.wan(open_amt)
    assert metric(at, "已逾期") == fmt.wan(overdue)
    assert metric(at, "未结发票") == fmt.count(n)
    if n:
        pivot = at.dataframe[0].value
        # buckets reconcile: the pivot's total column sums to the open AR (in 万元, rounded)
        assert abs(pivot["合计"].sum() - float(open_amt) / 10_000) < 0.01 * len(pivot) + 0.01


def test_ar_aging_month_end_and_grouping(portal_data, role_user, mart):
    login = role_user["executive"]
    at = open_page(login, "ar_aging")
    snap = mart.execute(
        "select max(snapshot_date) from marts.rpt_ar_aging where is_month_end and not is_as_of_date"
    ).fetchone()[0]
    box = at.selectbox(key="ar_asof")
    idx = [i for i, o in enumerate(box.options) if str(o).startswith(snap.isoformat())]
    box.select_index(idx[0]).run()
    at.radio(key="ar_group").set_value("customer").run()
    at.radio(key="ar_view").set_value("invoice").run()
    assert not errors(at), errors(at)
    total, customers = mart.execute(
        "select sum(open_amount), count(distinct coalesce(customer_name, '—')) "
        "from marts.rpt_ar_aging where snapshot_date = ?",
        [snap],
    ).fetchone()
    assert metric(at, "应收余额") == fmt.wan(total)
    pivot = at.dataframe[0].value
    assert len(pivot) == customers
    assert {"1年以内"} <= set(pivot.columns)
    dso = mart.execute(
        "select dso_days from marts.rpt_ar_rollforward "
        "where level = 'company' and snapshot_date = ?",
        [snap],
    ).fetchone()
    if dso and dso[0] is not None:
        assert metric(at, "应收周转天数 DSO") == f"{float(dso[0]):,.1f}"


@pytest.mark.parametrize("page_id", ["contracts", "billing", "ar_aging"])
def test_page_guard_refuses_roles_without_access(portal_data, users_by_role, page_id):
    """Opened directly (not through the navigation, which does not list it), a page stops
    with an error for a role it does not admit (project managers here)."""
    import time

    from streamlit.testing.v1 import AppTest

    from tests.dashboards.conftest import ROOT

    pm = users_by_role.get("pm", [None])[0]
    if pm is None:
        pytest.skip("no project manager in this world")
    at = AppTest.from_file(
        str(ROOT / "dashboards" / "app_pages" / f"{page_id}.py"), default_timeout=60
    )
    at.session_state["zt_auth"] = {"username": pm, "login_at": time.time()}
    at.run()
    assert not at.exception
    assert any("无权" in e.value for e in at.error)
    assert not at.metric and not at.dataframe
