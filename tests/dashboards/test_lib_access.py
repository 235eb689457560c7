"""Entitlements derived from marts.dim_user_access, and the SQL filters built from them."""

from __future__ import annotations

import pytest

from dashboards.lib import access, db
from dashboards.lib.access import AccessError, Scope

pytestmark = pytest.mark.xdist_group("portal")


def _truth(login: str) -> tuple[set[str], str, bool]:
    df = db.query(
        "select visible_employee_code, access_scope, sees_everything "
        "from marts.dim_user_access where viewer_login_id = ?",
        [login],
    )
    return set(df["visible_employee_code"]), df["access_scope"].iloc[0], bool(df.iloc[0, 2])


def test_scope_matches_dim_user_access_for_every_role(portal_data, role_user):
    assert {"executive", "finance", "director", "manager", "assistant", "sales"} <= set(role_user)
    for role, login in role_user.items():
        scope = access.scope_for(login)
        codes, scope_kind, everything = _truth(login)
        assert scope.role_code == role
        assert scope.username == login
        assert set(scope.employee_codes) == codes
        assert scope.access_scope == scope_kind
        assert scope.sees_everything == everything
        assert scope.employee_code in codes
        assert scope.name and scope.name != login
        hash(scope)  # usable as a st.cache_data argument
        if scope_kind == "own":
            assert scope.employee_codes == (scope.employee_code,)
        if scope_kind in ("team", "region"):
            assert scope.regions, role


def test_unknown_user_raises(portal_data):
    with pytest.raises(AccessError, match="no portal entitlements"):
        access.scope_for("nobody-at-all")


def test_employee_filter_restricts_rows(portal_data, role_user):
    sales = access.scope_for(role_user["sales"])
    where, params = access.employee_filter(sales, "owner_employee_code")
    owners = db.query(
        f"select distinct owner_employee_code from marts.fct_contracts where {where}", params
    )
    assert set(owners["owner_employee_code"]) <= {sales.employee_code}
    everyone = access.scope_for(role_user["executive"])
    assert access.employee_filter(everyone, "x") == ("true", [])
    total = db.scalar("select count(*) from marts.fct_contracts")
    where, params = access.employee_filter(everyone, "owner_employee_code")
    assert db.scalar(f"select count(*) from marts.fct_contracts where {where}", params) == total


def test_region_filter(portal_data, role_user):
    director = access.scope_for(role_user["director"])
    where, params = access.region_filter(director, "region")
    regions = db.query(
        f"select distinct region from marts.rpt_leadership_kpis where {where}", params
    )
    assert set(regions["region"]) == set(director.regions)
    assert access.region_filter(access.scope_for(role_user["sales"]), "region") == ("false", [])


@pytest.mark.parametrize("column", ["x; drop table t", "a b", "Owner", "1abc", "x)--", ""])
def test_filters_reject_anything_but_plain_identifiers(column):
    scope = Scope("u", "E1", "n", "sales", "own", False, ("E1",), ())
    with pytest.raises(ValueError, match="identifier"):
        access.employee_filter(scope, column)
    with pytest.raises(ValueError, match="identifier"):
        access.region_filter(scope, column)


def test_empty_scope_sees_nothing():
    scope = Scope("u", "E1", "n", "sales", "own", False, (), ())
    assert access.employee_filter(scope, "c") == ("false", [])


def test_page_matrix():
    def scope(role: str, kind: str) -> Scope:
        return Scope("u", "E1", "n", role, kind, kind == "all", ("E1",), ())

    assert access.visible_pages(scope("executive", "all")) == list(access.PAGES)
    assert access.visible_pages(scope("sales", "own")) == [
        "personal",
        "contracts",
        "billing",
        "ar_aging",
    ]
    assert "leadership" in access.visible_pages(scope("manager", "team"))
    assert "leadership" not in access.visible_pages(scope("assistant", "team"))
    assert access.visible_pages(scope("pm", "own")) == ["personal"]
    assert access.visible_pages(scope("brand_new_role", "own")) == ["personal"]
    assert not access.can_see_page(scope("executive", "all"), "no_such_page")
