"""No row outside the user's scope on any page they can open.

Every demo user of the test warehouse logs in (one AppTest session each) and opens every page
their role may open — all eight pages are covered, and every tab of the pages whose tabs are
lazy (``LAZY_TABS``: only the open tab is rendered); every displayed dataframe cell (lists
too) and every picker option is searched for employee codes, and each code found must be in
the user's ``employee_codes`` (executives and finance see everyone: their pages must just
render). Cells that are an employee's name (or a ", "-separated list of names) must name
someone in the scope too, except the counterparties of in-scope records, which two pages name
by design (docs/decisions.md, "Portal pages"; ``counterparty_names``): the process page names
the approvers of the workflows initiated in the scope — with figures about those workflows
only —, and the personal page lists a person's own workflow items with their initiator and
current handlers. So no record owned by an out-of-scope employee (their reconciliation
issues, their workflows with their own initiator tasks, their contracts...) can show up under
their code or their name.
About 30 s at the test scale. ``ZHONGTAI_LEAK_TEST_SAMPLE=1`` checks only the first and last
user of each role (one executive, one finance user) for a quicker local loop — the full run
found leaks the sample missed, so CI runs everyone.
"""

from __future__ import annotations

import os
import re
import time

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboards.lib import access, db
from tests.dashboards.conftest import APP, errors

pytestmark = pytest.mark.xdist_group("portal")

CODE = re.compile(r"[A-Z]{2}\d{5}")
# page -> session-state key of its lazy tabs (st.tabs(on_change="rerun"): only the open tab
# runs, so each tab is opened in turn)
LAZY_TABS = {"process": "p_tab"}


def _codes_in(value, known: set[str]) -> set[str]:
    if value is None:
        return set()
    if isinstance(value, str):
        return {c for c in CODE.findall(value) if c in known}
    if isinstance(value, list | tuple | set) or hasattr(value, "tolist"):
        out: set[str] = set()
        for v in list(value.tolist() if hasattr(value, "tolist") else value):
            out |= _codes_in(v, known)
        return out
    return set()


def names_on_page(at: AppTest, known: set[str]) -> set[str]:
    """Table cells that are an employee's name (``known``), lists "a, b" split."""
    found: set[str] = set()
    for d in at.dataframe:
        df: pd.DataFrame = d.value
        for col in df.columns:
            s = df[col]
            if s.dtype == object or pd.api.types.is_string_dtype(s):
                for v in s.dropna().unique():
                    if isinstance(v, str):
                        found |= {p.strip() for p in re.split(r"[,、]", v)} & known
    return found


_COUNTERPARTIES = {
    # everyone who handled a task of a workflow initiated in the scope (approver, backlog)
    "process": """
        select distinct coalesce(handler_name, handler_id) as name
        from marts.fct_workflow_node_visits where instance_no in (select instance_no from
            marts.fct_workflow_instances where initiator_employee_code in
            (select unnest(?::varchar[])))""",
    # the initiators and current handlers of the in-scope people's own workflow items
    "personal": """
        select distinct unnest(list_concat([initiator_name],
            string_split(coalesce(current_handler_names, ''), ', '))) as name
        from marts.rpt_my_workflow_items
        where person_employee_code in (select unnest(?::varchar[]))""",
}


def counterparty_names(page: str, codes: set[str]) -> set[str]:
    """Names a page may show besides the scope's: the counterparties of in-scope records."""
    if page not in _COUNTERPARTIES or not codes:
        return set()
    rows = db.query(_COUNTERPARTIES[page], [sorted(codes)])
    return {n.strip() for n in rows["name"] if isinstance(n, str) and n.strip()}


def codes_on_page(at: AppTest, known: set[str]) -> set[str]:
    found: set[str] = set()
    for d in at.dataframe:
        df: pd.DataFrame = d.value
        for col in df.columns:
            s = df[col]
            if s.dtype == object or pd.api.types.is_string_dtype(s):
                for v in s.dropna().unique() if s.dtype != object else s.dropna():
                    found |= _codes_in(v, known)
    for widget in [*at.selectbox, *at.multiselect]:
        for opt in widget.options:
            found |= _codes_in(str(opt), known)
    return found


def _sample(users_by_role: dict[str, list[str]]) -> list[str]:
    if os.environ.get("ZHONGTAI_LEAK_TEST_SAMPLE") != "1":
        return [u for logins in users_by_role.values() for u in logins]
    picked: list[str] = []
    for role, logins in sorted(users_by_role.items()):
        if role in ("executive", "finance"):
            picked.append(logins[0])
        else:
            picked += sorted({logins[0], logins[-1]})
    return picked


def test_the_sample_covers_every_role(served, users_by_role):
    sample = set(_sample(users_by_role))
    assert {r for r, logins in users_by_role.items() if sample & set(logins)} == set(users_by_role)
    assert {"executive", "finance", "director", "manager", "assistant", "sales"} <= set(
        users_by_role
    )


def test_no_employee_outside_the_scope_appears(portal_data, users_by_role):
    known = set(db.query("select distinct employee_code from marts.dim_employees")["employee_code"])
    employees = db.query("select distinct employee_code, employee_name from marts.dim_employees")
    names = {n.strip() for n in employees["employee_name"] if isinstance(n, str) and n.strip()}
    sample = _sample(users_by_role)
    pages_seen: set[str] = set()
    problems: list[str] = []
    checked = 0
    for login in sample:
        scope = access.scope_for(login)
        allowed = set(scope.employee_codes)
        at = AppTest.from_file(str(APP), default_timeout=180)
        at.session_state["zt_auth"] = {"username": login, "login_at": time.time()}
        at.run()
        in_scope = {
            n.strip()
            for c, n in zip(employees["employee_code"], employees["employee_name"], strict=True)
            if c in allowed and isinstance(n, str)
        }
        for page in access.visible_pages(scope):
            at.switch_page(f"app_pages/{page}.py")
            at.run()
            pages_seen.add(page)
            views = [None]
            if page in LAZY_TABS:
                views += [t.label for t in at.tabs][1:]  # the first tab is open already
            named_ok = in_scope | counterparty_names(page, allowed)
            for view in views:
                if view is not None:
                    at.session_state[LAZY_TABS[page]] = view
                    at.run()
                where = page if view is None else f"{page} [{view}]"
                bad = errors(at)
                if bad:
                    problems.append(f"{login} ({scope.role_code}) {where}: error {bad[0][:200]}")
                    break
                checked += len(at.dataframe)
                if scope.sees_everything:
                    continue
                leaked = codes_on_page(at, known) - allowed
                if leaked:
                    problems.append(
                        f"{login} ({scope.role_code}, {scope.access_scope}) {where}: "
                        f"{sorted(leaked)[:10]}"
                    )
                named = names_on_page(at, names) - named_ok
                if named:
                    problems.append(
                        f"{login} ({scope.role_code}, {scope.access_scope}) {where}: names "
                        f"{sorted(named)[:10]}"
                    )
        # a page the role may not open is not even registered
        for page in set(access.PAGES) - set(access.visible_pages(scope)):
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                at.switch_page(f"app_pages/{page}.py")
    assert pages_seen == set(access.PAGES)
    assert checked > 50  # dataframes were actually inspected
    assert not problems, "\n".join(problems)


def test_the_detector_finds_codes():
    known = {"ZT00001", "ZT00002"}
    assert _codes_in("owner ZT00001, cc ZT00002", known) == known
    assert _codes_in(["x", ["ZT00002"]], known) == {"ZT00002"}
    assert _codes_in("ZT99999", known) == set()
