"""``zhongtai portal``: administer and run the Streamlit portals (``dashboards/app.py``).

``init`` creates the local user store from the current publish and prints the initial
passwords once; ``users`` lists users with role and scope; ``set-password`` (new password on
stdin) and ``unlock`` administer one user; ``serve`` runs the portal; ``bench`` times every
page for a representative user of every role against the current publish.

Errors exit with code 1 and one line on stderr; argument errors with code 2.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from zhongtai import settings

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "dashboards" / "app.py"
TARGET_P95_MS = 300.0

portal_app = typer.Typer(
    help="Run and administer the Streamlit portals (users, passwords, serve, bench).",
    no_args_is_help=True,
)


def _out() -> Console:
    return Console()


def _fail(message: str, code: int = 1) -> NoReturn:
    Console(stderr=True).print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _data() -> Path:
    return settings.data_dir().resolve()


def _require_publish() -> None:
    from zhongtai.serving import ServingError, current_path

    try:
        current_path(_data())
    except ServingError as exc:
        _fail(str(exc))


def _print_passwords(created) -> None:
    table = Table(title="Initial passwords — shown once, not stored: hand them out now")
    for col in ("username", "name", "role", "password"):
        table.add_column(col)
    for p in created:
        table.add_row(p.username, p.name, p.role, p.password)
    _out().print(table)


def _init_store(force: bool) -> list:
    from dashboards.lib import users

    try:
        return users.init(_data(), force=force)
    except users.UserStoreError as exc:
        _fail(str(exc))


@portal_app.command()
def init(
    force: Annotated[
        bool, typer.Option("--force", help="Replace every existing password too.")
    ] = False,
) -> None:
    """Create the user store from the current publish and print the new initial passwords
    once. Users that already have a password keep it unless --force."""
    from dashboards.lib import users

    _require_publish()
    created = _init_store(force)
    _print_passwords(created)
    _out().print(
        f"{len(created)} password(s) set in {users.store_path(_data())}. Only argon2 hashes "
        "are stored; users change theirs with an administrator via `zhongtai portal "
        "set-password`."
    )


@portal_app.command("users")
def users_cmd(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON list (username, name, role, scope).")
    ] = False,
) -> None:
    """List the portal users of the current publish with their role and scope."""
    from dashboards.lib import users

    _require_publish()
    rows = users.list_users(_data())
    if as_json:
        payload = [{k: r[k] for k in ("username", "name", "role", "scope")} for r in rows]
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
        return
    table = Table(title=f"Portal users ({len(rows)})")
    for col in ("username", "name", "role", "scope", "password", "locked", "last login"):
        table.add_column(col)
    for r in rows:
        last = (
            time.strftime("%Y-%m-%d %H:%M", time.localtime(r["last_login_at"]))
            if r["last_login_at"]
            else ""
        )
        table.add_row(
            r["username"],
            r["name"],
            r["role"],
            r["scope"],
            "set" if r["has_password"] else "-",
            "LOCKED" if r["locked"] else "",
            last,
        )
    _out().print(table)


@portal_app.command("set-password")
def set_password(
    username: Annotated[str, typer.Argument(help="The user's login id (see `portal users`).")],
) -> None:
    """Set USERNAME's password, read from stdin (one line; at least 10 characters)."""
    from dashboards.lib import users

    _require_publish()
    if sys.stdin.isatty():
        import getpass

        password = getpass.getpass("New password: ")
        if getpass.getpass("Repeat: ") != password:
            _fail("the passwords differ.")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        users.set_password(username.strip(), password, _data())
    except users.UserStoreError as exc:
        _fail(str(exc))
    _out().print(f"password of {username} set; the account is unlocked.")


@portal_app.command()
def unlock(
    username: Annotated[str, typer.Argument(help="The user's login id.")],
) -> None:
    """Clear USERNAME's failed-login counter and lock."""
    from dashboards.lib import users

    try:
        users.unlock(username.strip(), _data())
    except users.UserStoreError as exc:
        _fail(str(exc))
    _out().print(f"{username} unlocked.")


@portal_app.command()
def serve(
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="HTTP port.")] = 8501,
    address: Annotated[
        str,
        typer.Option(
            "--address", help="Interface to listen on; 0.0.0.0 to serve the whole network."
        ),
    ] = "localhost",
) -> None:
    """Run the portal (streamlit run dashboards/app.py, headless). In local mode the user
    store is created first if it is missing, and its initial passwords printed once."""
    from dashboards.lib import auth, users

    _require_publish()
    try:
        mode = auth.mode()
    except ValueError as exc:
        _fail(str(exc), 2)
    if mode == "local" and not users.exists(_data()):
        _out().print("no user store yet: creating it (`zhongtai portal init`).")
        _print_passwords(_init_store(False))
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        address,
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
        "--global.developmentMode",
        "false",
    ]
    host = "localhost" if address in ("0.0.0.0", "::", "") else address
    _out().print(f"Zhongtai portal ({mode} login) on http://{host}:{port}/  — Ctrl+C stops it.")
    env = {**os.environ, "ZHONGTAI_DATA_DIR": str(_data())}
    _exec(cmd, ROOT, env)


def _exec(cmd: list[str], cwd: Path, env: dict[str, str]) -> NoReturn:
    """Replace this process with Streamlit: signals (Ctrl-C, SIGTERM from a supervisor) reach
    the server directly and no orphan is left behind."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.chdir(cwd)
    os.execve(cmd[0], cmd, env)


# ---------------------------------------------------------------------------------------------
# bench


def _representatives(data: Path) -> dict[str, str]:
    """For every role, the user who sees the most employees (then the first login id)."""
    from dashboards.lib import db

    rows = db.query_at(
        data,
        """
            select viewer_role_code, viewer_login_id
            from marts.dim_user_access
            group by viewer_role_code, viewer_login_id
            qualify row_number() over (
                partition by viewer_role_code order by count(*) desc, viewer_login_id) = 1
            order by 1
            """,
    ).itertuples(index=False)
    return {role: login for role, login in rows}


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _quiet_streamlit() -> None:
    """AppTest outside a server logs two warnings per run; Streamlit creates its loggers
    lazily and resets their levels, so silence them again before each run."""
    import logging

    for name, logger in list(logging.root.manager.loggerDict.items()):
        if name.startswith("streamlit") and isinstance(logger, logging.Logger):
            logger.setLevel(logging.ERROR)


def run_bench(
    repeat: int,
    pages: list[str] | None = None,
    roles: list[str] | None = None,
    warmup: int = 1,
) -> list[dict]:
    """Time every (page, role) ``repeat`` times with an empty ``st.cache_data`` (after
    ``warmup`` uncounted runs); one dict per pair."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from dashboards.lib import access, db

    data = _data()
    reps = _representatives(data)
    if roles:
        unknown = sorted(set(roles) - set(reps))
        if unknown:
            _fail(f"unknown role(s) {', '.join(unknown)}; roles: {', '.join(reps)}", 2)
        reps = {r: u for r, u in reps.items() if r in roles}
    results: list[dict] = []
    for page in pages or list(access.PAGES):
        for role, username in reps.items():
            scope = access.scope_for(username)
            if not access.can_see_page(scope, page):
                continue
            query_ms: list[float] = []
            run_s: list[float] = []
            counts: list[int] = []
            failures: list[str] = []
            for i in range(warmup + repeat):
                _quiet_streamlit()
                at = AppTest.from_file(str(APP), default_timeout=300)
                at.session_state["zt_auth"] = {"username": username, "login_at": time.time()}
                at.run()
                _quiet_streamlit()
                st.cache_data.clear()
                db.reset_timings()
                start = time.perf_counter()
                at.switch_page(f"app_pages/{page}.py")
                at.run()
                run_s.append(time.perf_counter() - start)
                t = db.timings()
                failures += [str(e.value)[:200] for e in at.exception]
                if i < warmup:  # fills DuckDB's buffers, as in a long-running server
                    run_s.pop()
                    continue
                counts.append(len(t))
                query_ms.append(sum(s for _, s in t) * 1000)
            results.append(
                {
                    "page": page,
                    "role": role,
                    "username": username,
                    "repeat": repeat,
                    "queries": max(counts) if counts else 0,
                    "query_ms_p50": round(statistics.median(query_ms), 1),
                    "query_ms_p95": round(_percentile(query_ms, 0.95), 1),
                    "run_s_p50": round(statistics.median(run_s), 2),
                    "run_s_p95": round(_percentile(run_s, 0.95), 2),
                    "errors": sorted(set(failures)),
                }
            )
    return results


@portal_app.command()
def bench(
    repeat: Annotated[int, typer.Option("--repeat", min=1, max=100, help="Runs per page.")] = 5,
    page: Annotated[
        list[str] | None, typer.Option("--page", help="Only this page id (repeatable).")
    ] = None,
    role: Annotated[
        list[str] | None, typer.Option("--role", help="Only this role (repeatable).")
    ] = None,
    warmup: Annotated[
        int, typer.Option("--warmup", min=0, max=10, help="Uncounted runs first, per page.")
    ] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
) -> None:
    """Time each page for a representative user of each role (AppTest, cold cache): total
    query time per page load (p50/p95 over the repeats) and the whole run's server time.
    Target at scale 1: all queries of a page ≤ 300 ms (p95)."""
    from dashboards.lib import access

    _require_publish()
    if page:
        bad = sorted(set(page) - set(access.PAGES))
        if bad:
            _fail(f"unknown page(s) {', '.join(bad)}; pages: {', '.join(access.PAGES)}", 2)
    results = run_bench(repeat, page, role, warmup)
    if as_json:
        sys.stdout.write(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    else:
        table = Table(
            title=f"Portal bench: {_data()} · {repeat} run(s) per page after {warmup} warm-up, "
            "st.cache_data cleared before each"
        )
        for col in ("page", "role", "user", "queries", "query p50 ms", "query p95 ms"):
            table.add_column(col, justify="right" if "ms" in col or col == "queries" else "left")
        table.add_column("run p50 s", justify="right")
        table.add_column("run p95 s", justify="right")
        table.add_column("errors")
        for r in results:
            over = r["query_ms_p95"] > TARGET_P95_MS
            table.add_row(
                r["page"],
                r["role"],
                r["username"],
                str(r["queries"]),
                f"{r['query_ms_p50']:.1f}",
                f"[red]{r['query_ms_p95']:.1f}[/red]" if over else f"{r['query_ms_p95']:.1f}",
                f"{r['run_s_p50']:.2f}",
                f"{r['run_s_p95']:.2f}",
                "; ".join(r["errors"])[:80],
            )
        Console(width=max(_out().width, 150)).print(table)
        worst = max((r["query_ms_p95"] for r in results), default=0.0)
        verdict = "within" if worst <= TARGET_P95_MS else "OVER"
        _out().print(
            f"slowest page p95: {worst:.1f} ms — {verdict} the {TARGET_P95_MS:.0f} ms target."
        )
    if any(r["errors"] for r in results):
        raise typer.Exit(1)
