"""No row outside the user's scope on any page they can open.

Every demo user of the test warehouse logs in (one AppTest session each) and opens every page
their role may open — all eight pages are covered; every displayed dataframe cell (lists too)
and every picker option is searched for employee codes, and each code found must be in the
user's ``employee_codes`` (executives and finance see everyone: their pages must just render).
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

pytestmark = pytest.mark.xdist_group("warehouse")

CODE = re.compile(r"[A-Z]{2}\d{5}")


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
        for page in access.visible_pages(scope):
            at.switch_page(f"app_pages/{page}.py")
            at.run()
            pages_seen.add(page)
            bad = errors(at)
            if bad:
                problems.append(f"{login} ({scope.role_code}) {page}: error {bad[0][:200]}")
                continue
            checked += len(at.dataframe)
            if scope.sees_everything:
                continue
            leaked = codes_on_page(at, known) - allowed
            if leaked:
                problems.append(
                    f"{login} ({scope.role_code}, {scope.access_scope}) {page}: "
                    f"{sorted(leaked)[:10]}"
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
