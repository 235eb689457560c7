"""Local login: the form, wrong passwords, lockout and unlock, expiry, unknown users, and the
user store itself (only argon2 hashes on disk)."""

from __future__ import annotations

import sqlite3
import time

import pytest
from argon2 import PasswordHasher

from dashboards.lib import users
from tests.dashboards.conftest import errors, open_page

pytestmark = pytest.mark.xdist_group("portal")


@pytest.fixture
def store(private_data, role_user, monkeypatch):
    """A private user store with a known password for the executive and the salesperson
    (argon2 with test-sized costs: the production parameters are exercised elsewhere)."""
    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))
    created = users.init()
    assert {p.username for p in created} >= {role_user["executive"], role_user["sales"]}
    users.set_password(role_user["executive"], "exec-password-1")
    users.set_password(role_user["sales"], "sales-password-1")
    return private_data


def _login(at, username: str, password: str):
    at.text_input(key="zt_user").input(username)
    at.text_input(key="zt_password").input(password)
    at.button[0].click()
    return at.run()


def _texts(at) -> str:
    parts = [str(e.value) for e in at.error] + [str(w.value) for w in at.warning]
    return " | ".join(parts)


def test_without_login_only_the_form_shows(store):
    at = open_page(None)
    assert not at.exception
    assert [t.value for t in at.title] == ["中台 · 登录"]
    assert len(at.text_input) == 2
    assert "zt_auth" not in at.session_state
    assert not at.dataframe and not at.metric


def test_no_user_store_says_what_to_do(private_data):
    at = open_page(None)
    assert "zhongtai portal init" in _texts(at)
    assert not at.text_input


def test_right_password_logs_in_and_rederives_the_scope(store, role_user):
    at = open_page(None)
    _login(at, role_user["executive"], "exec-password-1")
    assert not at.exception, errors(at)
    auth = at.session_state["zt_auth"]
    assert auth["username"] == role_user["executive"]
    assert abs(auth["login_at"] - time.time()) < 120
    assert "领导门户" in [t.value for t in at.title]
    # the password field is not kept in the session
    assert "zt_password" not in at.session_state or not at.session_state["zt_password"]


def test_username_is_case_insensitive(store, role_user):
    at = _login(open_page(None), role_user["executive"].upper(), "exec-password-1")
    assert at.session_state["zt_auth"]["username"] == role_user["executive"]


def test_wrong_password_and_unknown_user_get_the_same_message(store, role_user):
    at = _login(open_page(None), role_user["executive"], "not-the-password")
    assert "用户名或密码错误" in _texts(at)
    assert "zt_auth" not in at.session_state
    at = _login(open_page(None), "no-such-user", "whatever-password")
    assert "用户名或密码错误" in _texts(at)
    assert "zt_auth" not in at.session_state
    assert users.verify("no-such-user", "whatever-password").status == "unknown"


def test_lockout_after_five_failures_and_unlock(store, role_user):
    login = role_user["sales"]
    results = [users.verify(login, f"wrong-{i}").status for i in range(5)]
    assert results == ["invalid"] * 4 + ["locked"]
    # locked: even the right password is refused, in the UI too
    assert users.verify(login, "sales-password-1").status == "locked"
    at = _login(open_page(None), login, "sales-password-1")
    assert "锁定" in _texts(at)
    assert "zt_auth" not in at.session_state
    assert next(u for u in users.list_users() if u["username"] == login)["locked"]
    users.unlock(login)
    assert users.verify(login, "sales-password-1").ok
    with pytest.raises(users.UserStoreError, match="unknown user"):
        users.unlock("no-such-user")


def test_lock_expires_after_fifteen_minutes(store, role_user):
    login = role_user["sales"]
    now = time.time()
    for i in range(5):
        users.verify(login, f"wrong-{i}", now=now)
    assert users.verify(login, "sales-password-1", now=now + 14 * 60).status == "locked"
    assert users.verify(login, "sales-password-1", now=now + 15 * 60 + 1).ok
    # the counter starts again after the lock ran out
    assert users.verify(login, "wrong", now=now + 16 * 60).status == "invalid"


def test_a_success_resets_the_failure_count(store, role_user):
    login = role_user["sales"]
    for _ in range(4):
        users.verify(login, "wrong")
    assert users.verify(login, "sales-password-1").ok
    assert users.verify(login, "wrong").status == "invalid"  # not the fifth failure


def test_session_expires(store, role_user, monkeypatch):
    login = role_user["executive"]
    at = open_page(None)
    at.session_state["zt_auth"] = {"username": login, "login_at": time.time() - 9 * 3600}
    at.run()
    assert "zt_auth" not in at.session_state
    assert "过期" in _texts(at)
    assert "领导门户" not in [t.value for t in at.title]
    monkeypatch.setenv("ZHONGTAI_PORTAL_SESSION_HOURS", "0.5")
    at = open_page(None)
    at.session_state["zt_auth"] = {"username": login, "login_at": time.time() - 3600}
    at.run()
    assert "zt_auth" not in at.session_state


def test_password_change_ends_older_sessions(store, role_user):
    login = role_user["executive"]
    at = open_page(None)
    at.session_state["zt_auth"] = {"username": login, "login_at": time.time()}
    at.run()
    assert "领导门户" in [t.value for t in at.title]
    time.sleep(0.05)
    users.set_password(login, "a-brand-new-password")
    at.run()
    assert "zt_auth" not in at.session_state
    assert "密码已更改" in _texts(at)


@pytest.mark.parametrize(
    "state",
    [
        {"username": "zt-ghost", "login_at": "now"},
        {"username": None, "login_at": 1e18},
        "zt00001",
        {"login_at": 1.0},
    ],
)
def test_malformed_session_state_is_not_a_login(store, state):
    at = open_page(None)
    at.session_state["zt_auth"] = state
    at.run()
    assert not at.exception
    assert not at.dataframe and not at.metric
    assert "zt_auth" not in at.session_state


def test_session_of_a_user_without_entitlements_is_refused(store):
    at = open_page(None)
    at.session_state["zt_auth"] = {"username": "zt-ghost", "login_at": time.time()}
    at.run()
    assert "没有门户权限" in _texts(at)
    assert not at.dataframe and not at.metric


def test_store_holds_only_argon2_hashes(store, role_user):
    path = users.store_path()
    assert path.stat().st_mode & 0o077 == 0
    raw = path.read_bytes()
    assert b"exec-password-1" not in raw
    with sqlite3.connect(path) as con:
        hashes = [r[0] for r in con.execute("select password_hash from users")]
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)


def test_production_hash_parameters():
    from dashboards.lib.users import _DUMMY_HASH

    # argon2-cffi's defaults (RFC 9106 low-memory profile): t=3, m=64 MiB
    assert _DUMMY_HASH.startswith("$argon2id$v=19$m=65536,t=3,")


def test_init_refuses_to_overwrite_without_force(store, role_user):
    with pytest.raises(users.UserStoreError, match="--force"):
        users.init()
    assert users.verify(role_user["executive"], "exec-password-1").ok
    replaced = users.init(force=True)
    assert len(replaced) == len(users.viewers())
    assert not users.verify(role_user["executive"], "exec-password-1").ok
    mine = next(p for p in replaced if p.username == role_user["executive"])
    assert users.verify(role_user["executive"], mine.password).ok
    assert len({p.password for p in replaced}) == len(replaced)
    assert all(len(p.password) >= users.MIN_PASSWORD_LENGTH for p in replaced)


def test_password_rules(store, role_user):
    with pytest.raises(users.UserStoreError, match="at least"):
        users.set_password(role_user["sales"], "short")
    with pytest.raises(users.UserStoreError, match="spaces"):
        users.set_password(role_user["sales"], " padded-password ")
    with pytest.raises(users.UserStoreError, match="unknown user"):
        users.set_password("no-such-user", "long-enough-password")
