"""OIDC mode: the token's e-mail maps to the employee's entitlements; expired tokens and
unknown e-mails get nothing. (``at.user`` simulates ``st.user``; no real identity provider.)"""

from __future__ import annotations

import time

import pytest

from dashboards.lib import access, db
from tests.dashboards.conftest import APP, errors

pytestmark = pytest.mark.xdist_group("portal")


@pytest.fixture
def oidc(portal_data, monkeypatch):
    monkeypatch.setenv("ZHONGTAI_PORTAL_AUTH", "oidc")
    return portal_data


def _app(claims: dict | None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=120)
    if claims is not None:
        at.user["is_logged_in"] = True
        for k, v in claims.items():
            at.user[k] = v
    return at.run()


def _email(login: str) -> str:
    return db.scalar(
        "select email from marts.dim_employees where is_current and login_id = ?", [login]
    )


def test_email_maps_to_the_employee(oidc, role_user):
    login = role_user["director"]
    email = _email(login).upper()  # matched case-insensitively
    at = _app({"email": email, "exp": time.time() + 3600, "iat": time.time()})
    assert not errors(at), errors(at)
    assert "领导门户" in [t.value for t in at.title]
    scope = access.scope_for(login)
    assert any(scope.name in m.value for m in at.sidebar.markdown)


def test_expired_token_shows_nothing(oidc, role_user):
    email = _email(role_user["executive"])
    at = _app({"email": email, "exp": time.time() - 5, "iat": time.time() - 3600})
    assert not at.metric and not at.dataframe
    at = _app({"email": email, "exp": time.time() + 3600, "iat": time.time() - 9 * 3600})
    assert not at.metric and not at.dataframe


def test_unknown_email_is_refused(oidc):
    at = _app({"email": "stranger@example.com", "exp": time.time() + 3600})
    assert any("不是门户用户" in e for e in errors(at))
    assert not at.metric and not at.dataframe


def test_not_logged_in_without_configuration_says_so(oidc):
    at = _app(None)
    assert any("secrets.toml" in e for e in errors(at))
    assert not at.metric and not at.dataframe
