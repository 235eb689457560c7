"""Read-only access to the current publish (``<data>/serving/current``) for the portals.

One hardened DuckDB connection per process on the file ``serving/current`` points at
(``zhongtai.serving.connect``: read-only, external access off, configuration locked). The link
is resolved on every call: when a new publish appears the next query opens the new file (a new
path, so DuckDB's per-path instance cache never serves stale data); the last three files'
connections stay open (least recently used closed first), so a query still running on the
previous publish in another session can finish. Every reader in the process must come through
here: DuckDB shares one instance per file and the serving connection locks its configuration,
so a second ``serving.connect`` on a file this process has open fails.
Every query runs on its own cursor and its result is fully materialised (duckdb 2.0 ends a
half-read streaming result silently when the connection is reused).

Caching pattern (``st.cache_data`` is shared by ALL users — stack_pitfalls §3.3). A page
wraps each loader like this, and never caches an unscoped frame it filters afterwards::

    @st.cache_data(ttl=600, show_spinner=False)
    def _contracts(pid: str, scope: Scope, status: str) -> pd.DataFrame:
        where, params = access.employee_filter(scope, "owner_employee_code")
        return db.query(
            f"select ... from marts.fct_contracts where {where} and status = ?",
            [*params, status],
        )

    df = _contracts(db.publish_id(), scope, status)

``pid`` makes a new publish a new cache key; ``scope`` (a frozen, hashable dataclass) makes
every user's entitlements part of the key. SQL text is built only from code constants and the
fragments ``access.employee_filter`` / ``region_filter`` return; every value is a bound
parameter.

``timings()`` lists (first line of SQL, seconds) for every query since ``reset_timings()``;
``zhongtai portal bench`` uses it (a cache hit runs no query and records nothing).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from pathlib import Path

import duckdb
import pandas as pd

from zhongtai import serving, settings

_lock = threading.Lock()
_open: dict[Path, duckdb.DuckDBPyConnection] = {}  # serving file -> connection, LRU order
_MAX_OPEN = 3
_timings: deque[tuple[str, float]] = deque(maxlen=10_000)


def data_dir() -> Path:
    """The platform's data folder (``ZHONGTAI_DATA_DIR``), resolved on every call."""
    return settings.data_dir().resolve()


def current_path(data: Path | None = None) -> Path:
    """The serving file ``serving/current`` names now (``serving.ServingError`` if none)."""
    return serving.current_path(data or data_dir())


def publish_id() -> str:
    """Name of the file ``serving/current`` points at, resolved on every call."""
    return current_path().name


def _connection(data: Path | None = None) -> duckdb.DuckDBPyConnection:
    """The process's connection to the current publish of ``data`` (default: the platform's).

    DuckDB shares one database instance per file within a process and the serving connection
    locks its configuration, so a second ``serving.connect`` on an open file fails: every
    reader in the process goes through this one map, keyed by the resolved file."""
    data = data or data_dir()
    with _lock:
        path = serving.current_path(data)
        con = _open.pop(path, None)
        if con is None:
            con = serving.connect(data)
            # the link may have moved between the two resolutions: key by what was opened
            opened = con.execute(
                "select path from duckdb_databases() where database_name = current_database()"
            ).fetchone()[0]
            path = Path(opened).resolve() if opened else path
            if path in _open:  # raced with another publish: keep the first connection
                con.close()
                con = _open.pop(path)
        _open[path] = con  # most recently used last
        while len(_open) > _MAX_OPEN:
            old = _open.pop(next(iter(_open)))
            with contextlib.suppress(duckdb.Error):
                old.close()
        return con


def query_at(
    data: Path | None, sql: str, params: list | tuple | dict | None = None
) -> pd.DataFrame:
    """``query`` on the current publish of another data folder (CLI, tests)."""
    con = _connection(data)
    with _lock:
        cur = con.cursor()
    start = time.perf_counter()
    try:
        df = cur.execute(sql, params).df() if params is not None else cur.execute(sql).df()
    finally:
        cur.close()
        _timings.append((_label(sql), time.perf_counter() - start))
    return df


def query(sql: str, params: list | tuple | dict | None = None) -> pd.DataFrame:
    """Run ``sql`` with bound ``params`` on a new cursor; the whole result as a DataFrame."""
    return query_at(None, sql, params)


def scalar(sql: str, params: list | tuple | dict | None = None):
    """The first column of the first row (None when there is no row)."""
    df = query(sql, params)
    return None if df.empty else df.iat[0, 0]


def _label(sql: str) -> str:
    text = " ".join(sql.split())
    return text[:120]


def timings() -> list[tuple[str, float]]:
    """(SQL excerpt, seconds) of every query since the last ``reset_timings()``."""
    return list(_timings)


def reset_timings() -> None:
    _timings.clear()


def close() -> None:
    """Close every connection (tests; the next query reconnects)."""
    with _lock:
        for con in _open.values():
            with contextlib.suppress(duckdb.Error):
                con.close()
        _open.clear()
