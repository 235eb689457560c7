"""Fixtures for the portal tests: the published session warehouse and AppTest helpers.

``portal_data`` points ``ZHONGTAI_DATA_DIR`` at the ``served`` publish (scale 0.01); modules
using it must be marked ``pytestmark = pytest.mark.xdist_group("portal")``.
``open_page(username, page)`` runs ``dashboards/app.py`` logged in as ``username`` (by setting
the server-side session key, as a successful login does) and switches to ``page``.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

# .streamlit/config.toml redacts error messages for users; tests want them in full
st_config.set_option("client.showErrorDetails", "full")

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "dashboards" / "app.py"
ROLES = ("executive", "finance", "director", "manager", "assistant", "sales")


def open_page(
    username: str | None,
    page: str | None = None,
    lang: str = "zh",
    timeout: float = 120,
) -> AppTest:
    """Run the app as ``username`` (None: not logged in) and open ``page`` (an app_pages id)."""
    at = AppTest.from_file(str(APP), default_timeout=timeout)
    if username is not None:
        at.session_state["zt_auth"] = {"username": username, "login_at": time.time()}
    at.session_state["zt_lang"] = lang
    at.run()
    if page is not None:
        at.switch_page(f"app_pages/{page}.py")
        at.run()
    return at


def errors(at: AppTest) -> list[str]:
    """Exceptions and st.error texts of the last run."""
    return [str(e.value) for e in at.exception] + [str(e.value) for e in at.error]


@pytest.fixture
def portal_data(served, monkeypatch) -> Path:
    """The served data folder, with ZHONGTAI_DATA_DIR and local auth set for this test."""
    monkeypatch.setenv("ZHONGTAI_DATA_DIR", str(served))
    monkeypatch.setenv("ZHONGTAI_PORTAL_AUTH", "local")
    monkeypatch.delenv("ZHONGTAI_PORTAL_SESSION_HOURS", raising=False)
    return served


@pytest.fixture
def private_data(served, tmp_path, monkeypatch) -> Path:
    """A data folder of this test's own whose ``serving/current`` points at the served
    publish: its ``portal/`` user store is private to the test."""
    from zhongtai.serving import current_path

    (tmp_path / "serving").mkdir()
    (tmp_path / "serving" / "current").symlink_to(current_path(served))
    monkeypatch.setenv("ZHONGTAI_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ZHONGTAI_PORTAL_AUTH", "local")
    monkeypatch.delenv("ZHONGTAI_PORTAL_SESSION_HOURS", raising=False)
    return tmp_path


@pytest.fixture(scope="session")
def users_by_role(served) -> dict[str, list[str]]:
    """Every portal user of the served publish, by role (login ids, sorted)."""
    from dashboards.lib import db

    rows = db.query_at(
        served,
        "select distinct viewer_role_code, viewer_login_id from marts.dim_user_access "
        "order by 1, 2",
    ).itertuples(index=False)
    out: dict[str, list[str]] = {}
    for role, login in rows:
        out.setdefault(role, []).append(login)
    return out


@pytest.fixture(scope="session")
def role_user(users_by_role) -> dict[str, str]:
    """One representative user per role: the first by login id."""
    return {role: logins[0] for role, logins in users_by_role.items()}
