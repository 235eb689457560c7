"""AppTests of the process-efficiency, reconciliation and data-quality pages, for every role:
no exceptions, the role's page access, and the key numbers equal the marts (computed here
independently, with the role's entitlements from marts.dim_user_access)."""

from __future__ import annotations

import datetime as dt
import time

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboards.lib import fmt
from tests.dashboards.conftest import ROOT, errors, open_page

pytestmark = pytest.mark.xdist_group("portal")

ROLES = ("executive", "finance", "director", "manager", "assistant", "sales")


@pytest.fixture(scope="module")
def mart(served):
    con = duckdb.connect(str((served / "serving" / "current").resolve()), read_only=True)
    yield con
    con.close()


def codes(mart, login: str) -> list[str] | None:
    """Visible employee codes of ``login``; None when the user sees everything."""
    rows = mart.execute(
        "select sees_everything, visible_employee_code from marts.dim_user_access "
        "where viewer_login_id = ?",
        [login],
    ).fetchall()
    if rows[0][0]:
        return None
    return [r[1] for r in rows if r[1] is not None]


def metric(at, label: str) -> str:
    found = [m.value for m in at.metric if m.label == label]
    assert found, f"no metric {label!r}: {[m.label for m in at.metric]}"
    return found[0]


def open_direct(login: str, page: str) -> AppTest:
    at = AppTest.from_file(
        str(ROOT / "dashboards" / "app_pages" / f"{page}.py"), default_timeout=60
    )
    at.session_state["zt_auth"] = {"username": login, "login_at": time.time()}
    at.run()
    return at


def add_months(d: dt.date, n: int) -> dt.date:
    m = d.month - 1 + n
    return dt.date(d.year + m // 12, m % 12 + 1, 1)


# ---- process efficiency --------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_process_page(portal_data, role_user, mart, role):
    login = role_user[role]
    if role in ("assistant", "sales"):
        at = open_direct(login, "process")
        assert any("无权" in e.value for e in at.error)
        assert not at.metric
        return
    at = open_page(login, "process")
    assert not errors(at), errors(at)
    latest = mart.execute(
        "select max(cast(date_trunc('month', submitted_date) as date)) "
        "from marts.fct_workflow_instances"
    ).fetchone()[0]
    start, end = add_months(latest, -2), add_months(latest, 1)  # default: last 3 months
    visible = codes(mart, login)
    scope_sql, params = "true", []
    if visible is not None:  # an instance is its initiator's record
        scope_sql = "initiator_employee_code in (select unnest(?::varchar[]))"
        params = [visible]
    submitted = mart.execute(
        "select count(*) from marts.fct_workflow_instances where source_system = 'oa' and "
        f"submitted_date >= ? and submitted_date < ? and {scope_sql}",
        [start, end, *params],
    ).fetchone()[0]
    assert metric(at, "提交") == fmt.count(submitted)
    if visible is None:
        # everyone's view equals the published overview mart
        overview = mart.execute(
            "select sum(submitted) from marts.rpt_process_overview where source_system = 'oa' "
            "and month_start >= ? and month_start < ?",
            [start, end],
        ).fetchone()[0]
        assert submitted == overview


@pytest.mark.parametrize("role", ["director", "manager"])
def test_process_tables_hold_only_workflows_initiated_in_scope(portal_data, role_user, mart, role):
    """Every table of a scoped viewer counts exactly the tasks of the instances initiated in
    their scope: nothing of a workflow initiated by someone outside it (whose initiator task
    would name that person), even when someone in the scope approved one of its steps."""
    from dashboards.lib import access, queries_process

    login = role_user[role]
    visible = codes(mart, login)
    scope = access.scope_for(login)
    start = mart.execute(
        "select min(cast(date_trunc('month', submitted_date) as date)) "
        "from marts.fct_workflow_instances"
    ).fetchone()[0]
    f = queries_process.ProcessFilters("oa", (), start, dt.date(9999, 1, 1))
    tasks_sql = (
        "from marts.fct_workflow_node_visits where source_system = 'oa' and acted_at is not null "
        "and not is_draft and instance_no in (select instance_no from "
        "marts.fct_workflow_instances where initiator_employee_code in "
        "(select unnest(?::varchar[])))"
    )
    want_tasks, want_handlers = mart.execute(
        f"select count(*) filter (where not is_automated), count(distinct coalesce("
        f"handler_oa_user_id, source_system || ':' || handler_id)) {tasks_sql}",
        [visible],
    ).fetchone()
    for dimension in queries_process.DIMENSIONS:
        got = queries_process.efficiency(scope, f, dimension)
        assert int(got["tasks"].sum()) == want_tasks, dimension
    assert len(queries_process.efficiency(scope, f, "handler")) == want_handlers
    open_items = mart.execute(
        "select count(*) from marts.fct_workflow_node_visits where source_system = 'oa' "
        "and is_open and not is_draft and instance_no in (select instance_no from "
        "marts.fct_workflow_instances where initiator_employee_code in "
        "(select unnest(?::varchar[])))",
        [visible],
    ).fetchone()[0]
    assert int(queries_process.backlog_now(scope, f)["open_items"].sum()) == open_items
    # the default page's tables are consistent with the same rule
    combined = queries_process.efficiency_all(scope, f)
    assert set(combined["dimension"]) <= set(queries_process.DIMENSIONS)
    assert int(combined.loc[combined["dimension"] == "node", "tasks"].sum()) == want_tasks


def test_process_tables_equal_efficiency_mart(portal_data, role_user, mart):
    """One month, every OA workflow: the node table equals rpt_process_efficiency."""
    from dashboards.lib import access, queries_process

    month = mart.execute(
        "select max(month_start) from marts.rpt_process_efficiency where source_system = 'oa' "
        "and month_start < (select max(month_start) from marts.rpt_process_efficiency)"
    ).fetchone()[0]
    scope = access.scope_for(role_user["executive"])
    f = queries_process.ProcessFilters("oa", (), month, add_months(month, 1))
    got = queries_process.efficiency(scope, f, "node")
    want = mart.execute(
        "select source_system || '|' || workflow_type || '|' || node_id as dim_key, tasks, "
        "delay_working_hours, p50_waiting_working_hours, delay_rank "
        "from marts.rpt_process_efficiency where dimension = 'node' and month_start = ? "
        "and source_system = 'oa'",
        [month],
    ).df()
    merged = got.merge(want, on="dim_key", suffixes=("", "_mart"), how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()
    bad = merged[merged["tasks"] != merged["tasks_mart"]]
    assert bad.empty, (month, bad.to_string())
    diff = (merged["delay_working_hours"] - merged["delay_working_hours_mart"]).abs()
    assert diff.max() < 0.01, merged[diff >= 0.01].to_string()
    p50 = merged.dropna(subset=["p50_wait"])
    assert (p50["p50_wait"] - p50["p50_waiting_working_hours"]).abs().max() < 0.01
    # the mart ranks across every source system; within OA the order must be the same
    oa_rank = merged["delay_working_hours_mart"].rank(method="dense", ascending=False)
    assert (merged["delay_rank"] == oa_rank.astype(int)).all()


def test_process_expense_and_window(portal_data, role_user, mart):
    login = role_user["finance"]
    at = open_page(login, "process")
    at.radio(key="p_source").set_value("expense").run()
    at.selectbox(key="p_window").set_value(12).run()
    assert not errors(at), errors(at)
    assert not [m for m in at.metric if m.label == "待办任务"]  # lazy tabs: backlog not open
    at.session_state["p_tab"] = "积压"
    at.run()
    assert not errors(at), errors(at)
    latest = mart.execute(
        "select max(cast(date_trunc('month', submitted_date) as date)) "
        "from marts.fct_workflow_instances"
    ).fetchone()[0]
    start, end = add_months(latest, -11), add_months(latest, 1)
    finished = mart.execute(
        "select count(*) from marts.fct_workflow_instances where source_system = 'expense' "
        "and finished_date >= ? and finished_date < ? and submitted_at is not null",
        [start, end],
    ).fetchone()[0]
    assert metric(at, "办结") == fmt.count(finished)
    open_tasks = mart.execute(
        "select count(*) from marts.fct_workflow_node_visits where source_system = 'expense' "
        "and is_open and not is_draft"
    ).fetchone()[0]
    assert metric(at, "待办任务") == fmt.count(open_tasks)


# ---- reconciliation ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_reconciliation_page(portal_data, role_user, mart, role):
    login = role_user[role]
    if role == "sales":
        at = open_direct(login, "reconciliation")
        assert any("无权" in e.value for e in at.error)
        return
    at = open_page(login, "reconciliation")
    assert not errors(at), errors(at)
    visible = codes(mart, login)
    if visible is None:
        n, high = mart.execute(
            "select sum(issue_count), sum(issue_count) filter (where severity = 'high') "
            "from marts.rpt_reconciliation_summary"
        ).fetchone()
    else:
        n, high = mart.execute(
            "select count(*), count(*) filter (where severity = 'high') "
            "from marts.rpt_reconciliation_issues where responsible_employee_code in "
            "(select unnest(?::varchar[]))",
            [visible],
        ).fetchone()
    assert metric(at, "未解决问题") == fmt.count(n or 0)
    assert metric(at, "高严重度") == fmt.count(high or 0)
    if n:
        issues = next(d.value for d in at.dataframe if "问题ID" in d.value.columns)
        assert len(issues) == n
        if visible is not None:
            # the assignee is named only when in the scope; else the role says who fixes it
            assert set(issues["责任销售工号"].dropna()) <= set(visible)
            shown = set(issues["处理人工号"].dropna()) - {"不在您的范围内"}
            assert shown <= set(visible)
            masked = mart.execute(
                "select count(*) from marts.rpt_reconciliation_issues where "
                "responsible_employee_code in (select unnest(?::varchar[])) and "
                "owner_employee_code is not null and owner_employee_code not in "
                "(select unnest(?::varchar[]))",
                [visible, visible],
            ).fetchone()[0]
            assert int((issues["处理人工号"] == "不在您的范围内").sum()) == masked


def test_reconciliation_issues_stay_visible_to_whom_they_are_routed(portal_data, mart):
    """Scope is the responsible salesperson: an issue is routed to that salesperson, their
    current team's assistant or leader, whose scope holds the salesperson — so nobody loses
    an issue routed to them (docs/decisions.md, "Portal pages"). Fails if routing and
    entitlements ever disagree."""
    lost = mart.execute(
        """select i.owner_employee_code, i.owner_role, i.issue_id
        from marts.rpt_reconciliation_issues as i
        join marts.dim_user_access as a on a.viewer_employee_code = i.owner_employee_code
        group by all
        having not bool_or(
            a.sees_everything or a.visible_employee_code = i.responsible_employee_code
        )"""
    ).fetchall()
    assert not lost, lost[:10]


def test_reconciliation_filters(portal_data, role_user, mart):
    at = open_page(role_user["executive"], "reconciliation")
    check = mart.execute(
        "select check_code from marts.rpt_reconciliation_summary group by 1 "
        "order by sum(issue_count) desc limit 1"
    ).fetchone()[0]
    at.multiselect(key="r_checks").set_value([check]).run()
    at.multiselect(key="r_sev").set_value(["high"]).run()
    assert not errors(at), errors(at)
    n = mart.execute(
        "select count(*) from marts.rpt_reconciliation_issues where check_code = ? "
        "and severity = 'high'",
        [check],
    ).fetchone()[0]
    assert metric(at, "未解决问题") == fmt.count(n)
    contract = mart.execute(
        "select contract_no from marts.rpt_reconciliation_issues where contract_no is not null "
        "order by issue_id limit 1"
    ).fetchone()[0]
    at.multiselect(key="r_checks").set_value([]).run()
    at.multiselect(key="r_sev").set_value([]).run()
    at.text_input(key="r_text").input(contract).run()
    issues = next(d.value for d in at.dataframe if "问题ID" in d.value.columns)
    assert len(issues) >= 1 and contract in set(issues["合同编号"])


# ---- data quality --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_quality_page_access(portal_data, role_user, role):
    login = role_user[role]
    if role in ("executive", "finance"):
        at = open_page(login, "quality")
        assert not errors(at), errors(at)
        assert metric(at, "数据发布") != "—"
    else:
        at = open_direct(login, "quality")
        assert any("无权" in e.value for e in at.error)
        assert not at.dataframe


def _results(run_id: str, run_at: dt.datetime, fail: bool) -> pd.DataFrame:
    rows = []
    for i in range(6):
        rows.append(
            {
                "run_id": run_id,
                "run_at": pd.Timestamp(run_at),
                "check_name": f"check_{i}",
                "asset": "fct_contracts" if i % 2 else "rpt_ar_aging",
                "suite": "marts",
                "source": "gx" if i < 4 else "dbt",
                "severity": "blocking" if i == 0 else "warn",
                "passed": not (fail and i in (0, 3)),
                "observed_value": str(i),
                "expectation": "expect_something",
                "details": "",
            }
        )
    return pd.DataFrame(rows)


def test_quality_page_reads_results_and_docs(served, monkeypatch, role_user, tmp_path):
    """Check results and Data Docs from <data>/quality/, the publish from serving/."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "serving").symlink_to(served / "serving", target_is_directory=True)
    quality = data / "quality"
    (quality / "docs").mkdir(parents=True)
    (quality / "docs" / "index.html").write_text("<html>docs</html>", encoding="utf-8")
    now = dt.datetime.now(dt.UTC)
    history = pd.concat(
        [
            _results("run-1", now - dt.timedelta(days=1), fail=False),
            _results("run-2", now - dt.timedelta(hours=1), fail=True),
        ]
    )
    history.to_parquet(quality / "check_results.parquet")
    monkeypatch.setenv("ZHONGTAI_DATA_DIR", str(data))
    at = open_page(role_user["finance"], "quality")
    assert not at.exception, [e.value for e in at.exception]
    assert metric(at, "检查通过") == "4 / 6"
    assert metric(at, "阻断性失败") == "1"
    assert metric(at, "警告") == "1"
    failed = next(d.value for d in at.dataframe if "检查" in d.value.columns)
    assert sorted(failed["检查"]) == ["check_0", "check_3"]
    assert any("index.html" in c.value for c in at.code)
    assert at.get("download_button")


def test_quality_page_without_checks(portal_data, role_user, mart):
    """No results file and no dq_check_results table: a clear empty state."""
    has_table = mart.execute(
        "select count(*) from duckdb_tables() where table_name = 'dq_check_results'"
    ).fetchone()[0]
    if has_table or (portal_data / "quality" / "check_results.parquet").exists():
        pytest.skip("this publish carries check results")
    at = open_page(role_user["executive"], "quality")
    assert not errors(at)
    assert any("make pipeline" in i.value for i in at.info)
