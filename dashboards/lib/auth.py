"""Login for the portals. ``require_login()`` is the first thing every run does after the
language switch; it returns the user's ``Scope``, re-derived from ``marts.dim_user_access`` on
every run (never taken from a widget, the URL or a cookie value).

Modes (``ZHONGTAI_PORTAL_AUTH``):

* ``local`` (default) — username = the employee's ``viewer_login_id``; password checked against
  the argon2 hashes in ``<data>/portal/users.sqlite`` (``dashboards.lib.users``); 5 failures
  lock the account for 15 minutes. A successful login stores
  ``st.session_state["zt_auth"] = {"username": ..., "login_at": <epoch seconds>}`` (server-side
  session state: no browser can write it). The session ends after
  ``ZHONGTAI_PORTAL_SESSION_HOURS`` (default 8) or when the password is changed after login.
  Streamlit keeps session state per browser tab/websocket, so a reload asks again.
* ``oidc`` — ``st.login()`` with the provider configured in ``.streamlit/secrets.toml``
  (``ZHONGTAI_PORTAL_OIDC_PROVIDER`` names an ``[auth.<provider>]`` section, else the default
  ``[auth]``). The token's ``email`` claim is matched (case-insensitively) to
  ``dim_employees.email`` of the employee's current row; its ``exp`` is checked on every run
  (Streamlit does not) and the session also ends after the session-hours limit from ``iat``.
"""

from __future__ import annotations

import datetime as dt
import os
import time

import streamlit as st

from dashboards.lib import access, db, users
from dashboards.lib.access import AccessError, Scope
from dashboards.lib.i18n import tr

SESSION_KEY = "zt_auth"
DEFAULT_SESSION_HOURS = 8.0
SHANGHAI = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")


def mode() -> str:
    value = os.environ.get("ZHONGTAI_PORTAL_AUTH", "local").strip().lower() or "local"
    if value not in ("local", "oidc"):
        raise ValueError(f"ZHONGTAI_PORTAL_AUTH must be local or oidc, not {value!r}")
    return value


def session_seconds() -> float:
    raw = os.environ.get("ZHONGTAI_PORTAL_SESSION_HOURS", "")
    try:
        hours = float(raw) if raw.strip() else DEFAULT_SESSION_HOURS
    except ValueError:
        hours = DEFAULT_SESSION_HOURS
    return max(hours, 0.01) * 3600


def _end_session(message: str | None = None) -> None:
    st.session_state.pop(SESSION_KEY, None)
    if message:
        st.session_state["zt_auth_message"] = message


def _local_session_user() -> str | None:
    """The logged-in username when the local session is valid, else None (and cleared)."""
    auth = st.session_state.get(SESSION_KEY)
    if auth is None:
        return None
    if not isinstance(auth, dict):
        _end_session()
        return None
    username, login_at = auth.get("username"), auth.get("login_at")
    if not isinstance(username, str) or not isinstance(login_at, int | float):
        _end_session()
        return None
    now = time.time()
    if now - login_at > session_seconds() or login_at > now + 60:
        _end_session(tr("登录已过期，请重新登录。", "Your session expired; please log in again."))
        return None
    changed = users.password_set_at(username)
    if changed is not None and changed > login_at:
        _end_session(
            tr("密码已更改，请重新登录。", "The password was changed; please log in again.")
        )
        return None
    return username


def _login_form() -> None:
    st.title(tr("中台 · 登录", "Zhongtai · Log in"))
    message = st.session_state.pop("zt_auth_message", None)
    if message:
        st.warning(message)
    if not users.exists():
        st.error(
            tr(
                "尚未创建用户库：请管理员运行 `zhongtai portal init`。",
                "No user store yet: an administrator must run `zhongtai portal init`.",
            )
        )
        return
    with st.form("zt_login"):
        username = st.text_input(tr("用户名（工号登录名）", "Username (login id)"), key="zt_user")
        password = st.text_input(tr("密码", "Password"), type="password", key="zt_password")
        submitted = st.form_submit_button(tr("登录", "Log in"), type="primary")
    if not submitted:
        return
    username = (username or "").strip().lower()
    result = users.verify(username, password or "")
    if result.ok:
        st.session_state[SESSION_KEY] = {"username": username, "login_at": time.time()}
        st.session_state.pop("zt_password", None)
        st.rerun()
    elif result.status == "locked":
        until = dt.datetime.fromtimestamp(result.locked_until or time.time(), SHANGHAI)
        until = until.strftime("%H:%M")
        st.error(
            tr(
                f"连续失败次数过多，账户已锁定至 {until}。请稍后再试或联系管理员解锁。",
                f"Too many failed attempts: the account is locked until {until}. Try later or "
                "ask an administrator to unlock it.",
            )
        )
    else:
        st.error(tr("用户名或密码错误。", "Wrong username or password."))


def _oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets file at all
        return False


def _oidc_user() -> str | None:
    """The username (login id) of the OIDC user, or None after showing the login button."""
    user = st.user
    if not user.get("is_logged_in", False):
        st.title(tr("中台 · 登录", "Zhongtai · Log in"))
        if not _oidc_configured():
            st.error(
                tr(
                    "OIDC 登录尚未配置：请在 .streamlit/secrets.toml 中添加 [auth]（见 "
                    "README.md 的“门户”一节）。",
                    "OIDC login is not configured: add [auth] to .streamlit/secrets.toml (see "
                    "the portals section of README.md).",
                )
            )
            return None
        provider = os.environ.get("ZHONGTAI_PORTAL_OIDC_PROVIDER") or None
        if st.button(tr("使用公司账号登录", "Log in with the company account"), type="primary"):
            st.login(provider)
        return None
    now = time.time()
    exp, iat = user.get("exp"), user.get("iat")
    expired = isinstance(exp, int | float) and exp < now
    too_old = isinstance(iat, int | float) and now - iat > session_seconds()
    if expired or too_old:
        st.logout()
        return None
    email = str(user.get("email") or "").strip().lower()
    if not email:
        st.error(tr("身份令牌中没有邮箱。", "The identity token carries no e-mail."))
        return None
    login = db.scalar(
        "select login_id from marts.dim_employees where is_current and lower(email) = ? "
        "and login_id is not null limit 1",
        [email],
    )
    if login is None:
        st.error(
            tr(
                f"{email} 不是门户用户，请联系管理员。",
                f"{email} is not a portal user; ask an administrator.",
            )
        )
        return None
    return str(login)


def require_login() -> Scope:
    """The logged-in user's Scope; shows the login form and stops the run otherwise."""
    username = _oidc_user() if mode() == "oidc" else _local_session_user()
    if username is None:
        if mode() == "local":
            _login_form()
        st.stop()
    try:
        return access.scope_for(username)
    except AccessError:
        _end_session()
        st.error(
            tr(
                f"用户 {username} 在当前数据中没有门户权限。",
                f"User {username} has no portal access in the current data.",
            )
        )
        st.stop()
    raise AssertionError("unreachable")  # st.stop() raises


def logout_button() -> None:
    if st.sidebar.button(tr("退出登录", "Log out"), key="zt_logout"):
        if mode() == "oidc":
            st.logout()
        _end_session()
        st.rerun()


def page_guard(page_id: str) -> Scope:
    """For the top of every page: the logged-in Scope, or stop when the role may not open
    ``page_id`` (defence in depth: the navigation already lists only permitted pages)."""
    scope = require_login()
    if not access.can_see_page(scope, page_id):
        st.error(tr("您无权查看此页面。", "You are not allowed to open this page."))
        st.stop()
    return scope
