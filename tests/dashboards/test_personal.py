"""个人门户: every role renders without errors; a salesperson sees exactly their own records;
a manager's person picker offers exactly their scope and switching person switches the data;
the loaders never return another scope's rows even when asked for them."""

from __future__ import annotations

import importlib

import pytest

from dashboards.lib import access, db, ui
from tests.dashboards.conftest import errors, open_page

pytestmark = pytest.mark.xdist_group("portal")


def _frame(at, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


@pytest.mark.parametrize(
    "role", ["executive", "finance", "director", "manager", "assistant", "sales", "pm"]
)
def test_renders_for_every_role(portal_data, users_by_role, role):
    if role not in users_by_role:
        pytest.skip(f"no {role} in the test warehouse")
    login = users_by_role[role][0]
    at = open_page(login, "personal")
    assert not errors(at), errors(at)
    assert "个人门户" in [t.value for t in at.title]
    assert at.metric  # approvals counts at least


def test_salesperson_sees_own_contracts_and_approvals(portal_data, role_user):
    login = role_user["sales"]
    scope = access.scope_for(login)
    at = open_page(login, "personal")
    assert not at.selectbox or "personal_person" not in [s.key for s in at.selectbox]
    n = db.scalar(
        "select count(*) from marts.fct_contracts where owner_employee_code = ? "
        "and status <> '作废'",
        [scope.employee_code],
    )
    if n:
        assert len(_frame(at, "合同号")) == n
    pending = db.scalar(
        "select count(*) from marts.rpt_my_workflow_items where person_employee_code = ? "
        "and item_type = 'pending'",
        [scope.employee_code],
    )
    assert next(m.value for m in at.metric if m.label == "待办") == f"{pending:,}"


def test_manager_picks_only_people_in_scope(portal_data, role_user):
    login = role_user["manager"]
    scope = access.scope_for(login)
    at = open_page(login, "personal")
    picker = at.selectbox(key="personal_person")
    offered = {opt.rsplit("(", 1)[1].rstrip(")") for opt in picker.options}
    assert offered == set(scope.employee_codes)
    # the team member with the most contracts
    busiest = db.scalar(
        "select owner_employee_code from marts.fct_contracts "
        "where owner_employee_code in (select unnest(?::varchar[])) and status <> '作废' "
        "group by 1 order by count(*) desc limit 1",
        [list(scope.employee_codes)],
    )
    picker.set_value(busiest).run()
    assert not errors(at), errors(at)
    n = db.scalar(
        "select count(*) from marts.fct_contracts where owner_employee_code = ? "
        "and status <> '作废'",
        [busiest],
    )
    assert n > 0
    assert len(_frame(at, "合同号")) == n
    assert any(busiest in i.value for i in at.info)


def test_loaders_never_cross_the_scope(portal_data, role_user):
    personal = importlib.import_module("dashboards.app_pages.personal")
    sales = access.scope_for(role_user["sales"])
    outsider = db.scalar(
        "select owner_employee_code from marts.fct_contracts where owner_employee_code <> ? "
        "group by 1 order by count(*) desc limit 1",
        [sales.employee_code],
    )
    pid = db.publish_id()
    period = ui.make_period("year", ui.as_of_date(), ui.as_of_date())
    assert personal.load_contracts(pid, sales, outsider).empty
    assert personal.load_customers(pid, sales, outsider).empty
    assert personal.load_collections(pid, sales, outsider, period).empty
    assert personal.load_approvals(pid, sales, outsider, period).empty
    everyone = access.scope_for(role_user["executive"])
    assert not personal.load_contracts(pid, everyone, outsider).empty


def test_english(portal_data, role_user):
    at = open_page(role_user["sales"], "personal", lang="en")
    assert not errors(at)
    assert "My portal" in [t.value for t in at.title]
    assert any(m.label == "Pending" for m in at.metric)
