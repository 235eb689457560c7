"""Blue/green publishing of the marts, and read-only access to the current publish.

``publish`` copies schema ``marts`` of the warehouse (with every table and column comment)
into a new, uniquely named DuckDB file under ``<data>/serving/`` written in the v1.4 storage
format (so DuckDB 1.x tools and BI drivers can open it), then atomically repoints the symlink
``<data>/serving/current`` at it and deletes all but the newest ``keep`` publishes. Readers
resolve the link and open the file it names: a new publish is a new path, so DuckDB's
per-path instance cache can never serve stale data, and a reader never sees half a publish.

Only the publish step writes here; the warehouse is opened read-only (the build must be over).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from zhongtai import settings

STORAGE_VERSION = "v1.4.0"
POINTER = "current"
PREFIX = "zhongtai-"
LOG = "publish_log.jsonl"

# Descriptions of the tables a publish adds beside the marts (the marts bring their own).
ADDED_COMMENTS = {
    "_publish": (
        "This publish: when it was made, from which warehouse, how many tables and rows.",
        {
            "published_at": "When this publish was made (UTC).",
            "warehouse": "The warehouse file it was copied from.",
            "table_count": "Tables copied (marts and added tables).",
            "row_count": "Rows copied, all tables together.",
        },
    ),
    "dq_check_results": (
        "The data-quality checks this publish passed (warnings included): Great Expectations "
        "suites on the landing zone and key marts, cross-system totals, and dbt's tests.",
        {
            "run_id": "The quality run.",
            "run_at": "When the quality run started (UTC).",
            "check_name": "The check (a GX expectation or a dbt test).",
            "asset": "What was checked: landing/<system>/<entity>, marts/<table> or cross_system.",
            "suite": "The GX suite, or dbt.",
            "source": "gx or dbt.",
            "severity": "blocking (a failure stops the publish) or warn.",
            "passed": "Whether the check passed.",
            "observed_value": "What the check saw.",
            "expectation": "What the check expects, in words.",
            "details": "Examples of failing values, or dbt's message.",
        },
    ),
}


class ServingError(RuntimeError):
    """Publishing or reading the serving file failed; the message says what to do."""


@dataclass
class Publish:
    path: Path
    tables: dict[str, int]  # table -> rows
    published_at: dt.datetime
    pruned: list[Path]


def serving_dir(data: Path | None = None) -> Path:
    return (data or settings.data_dir()).resolve() / "serving"


def current_path(data: Path | None = None) -> Path:
    """The file the ``current`` pointer names; ServingError when nothing was published."""
    link = serving_dir(data) / POINTER
    if not link.is_symlink() and not link.exists():
        raise ServingError(
            f"nothing is published yet ({link} does not exist): build the warehouse and run "
            "`zhongtai publish` (make run does both)."
        )
    target = link.resolve()
    if not target.exists():
        raise ServingError(f"{link} points at {target}, which is gone: run `zhongtai publish`.")
    return target


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class StagedPublish:
    """A publish being made: ``stage`` has copied the marts into ``<name>.partial``;
    ``commit`` adds the extra tables, renames the file and repoints ``current``; ``discard``
    deletes it. Staging is the slow part (compressing every mart into the v1.4 format), so the
    pipeline stages while the quality checks run and commits only when nothing blocks."""

    def __init__(self, data: Path, warehouse: Path) -> None:
        self.data = data
        self.warehouse = warehouse
        self.out_dir = serving_dir(data)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.now = dt.datetime.now(dt.UTC)
        self.name = f"{PREFIX}{self.now.strftime('%Y%m%dT%H%M%S%fZ')}-{uuid.uuid4().hex[:6]}.duckdb"
        self.tmp = self.out_dir / (self.name + ".partial")
        self.tables: dict[str, int] = {}
        self.con: duckdb.DuckDBPyConnection | None = duckdb.connect()

    def _copy_marts(self) -> None:
        con = self.con
        assert con is not None
        try:
            con.execute(f"attach {_lit(str(self.warehouse))} as w (read_only)")
        except duckdb.IOException as exc:
            raise ServingError(
                f"cannot open {self.warehouse} read-only ({exc}); is a build still running?"
            ) from exc
        con.execute(f"attach {_lit(str(self.tmp))} as s (storage_version '{STORAGE_VERSION}')")
        con.execute("create schema s.marts")
        rows = con.execute(
            "select table_name, comment from duckdb_tables() "
            "where database_name = 'w' and schema_name = 'marts' order by table_name"
        ).fetchall()
        if not rows:
            raise ServingError(f"{self.warehouse} has no marts: run `zhongtai build` first.")
        for table, comment in rows:
            con.execute(f"create table s.marts.{_q(table)} as from w.marts.{_q(table)}")
            if comment:
                con.execute(f"comment on table s.marts.{_q(table)} is {_lit(comment)}")
            self.tables[table] = con.execute(
                f"select count(*) from s.marts.{_q(table)}"
            ).fetchall()[0][0]
        for table, column, comment in con.execute(
            "select table_name, column_name, comment from duckdb_columns() "
            "where database_name = 'w' and schema_name = 'marts' and coalesce(comment, '') <> ''"
        ).fetchall():
            con.execute(f"comment on column s.marts.{_q(table)}.{_q(column)} is {_lit(comment)}")
        con.execute("detach w")

    def commit(self, extra: dict[str, object] | None = None, keep: int = 5) -> Publish:
        """Add ``extra`` (name → pandas DataFrame or Arrow table) and ``_publish``, then make
        this the current publish and delete all but the newest ``keep``."""
        if keep < 1:
            raise ServingError(f"keep must be at least 1 (got {keep}).")
        con = self.con
        if con is None:
            raise ServingError(f"{self.tmp.name} was already committed or discarded.")
        self.now = dt.datetime.now(dt.UTC)  # published when committed, not when staging began
        try:
            for table, frame in (extra or {}).items():
                con.register("_extra", frame)
                con.execute(f"create table s.marts.{_q(table)} as from _extra")
                con.unregister("_extra")
                self.tables[table] = len(frame)
            con.execute(
                "create table s.marts._publish as select ? as published_at, ? as warehouse, "
                "? as table_count, ? as row_count",
                [self.now, str(self.warehouse), len(self.tables), sum(self.tables.values())],
            )
            for table, (comment, columns) in ADDED_COMMENTS.items():
                if table == "_publish" or table in (extra or {}):
                    con.execute(f"comment on table s.marts.{_q(table)} is {_lit(comment)}")
                    present = {
                        c
                        for (c,) in con.execute(
                            "select column_name from duckdb_columns() where database_name = 's' "
                            "and schema_name = 'marts' and table_name = ?",
                            [table],
                        ).fetchall()
                    }
                    for column, text in columns.items():
                        if column not in present:
                            continue
                        con.execute(
                            f"comment on column s.marts.{_q(table)}.{_q(column)} is {_lit(text)}"
                        )
            con.execute("detach s")
        except BaseException:
            self.discard()
            raise
        con.close()
        self.con = None
        final = self.out_dir / self.name
        os.replace(self.tmp, final)
        # atomically repoint: a new symlink under a temporary name replaces the old one
        link_tmp = self.out_dir / f".{POINTER}.{uuid.uuid4().hex[:6]}"
        link_tmp.symlink_to(final.name)
        os.replace(link_tmp, self.out_dir / POINTER)
        pruned = []
        published = sorted(self.out_dir.glob(f"{PREFIX}*.duckdb"), key=lambda p: p.name)
        for old in published[:-keep]:
            if old != final:
                old.unlink(missing_ok=True)
                pruned.append(old)
        _log(
            self.data,
            {"outcome": "published", "file": final.name, "rows": sum(self.tables.values())},
        )
        return Publish(final, self.tables, self.now, pruned)

    def discard(self) -> None:
        """Delete the partial file; the current publish is untouched."""
        if self.con is not None:
            self.con.close()
            self.con = None
        self.tmp.unlink(missing_ok=True)


def stage(warehouse: Path | None = None, data: Path | None = None) -> StagedPublish:
    """Copy ``marts`` (with every table and column comment) into a new partial serving file;
    nothing is served from it until ``commit``."""
    data = (data or settings.data_dir()).resolve()
    warehouse = (warehouse or data / "warehouse.duckdb").resolve()
    if not warehouse.exists():
        raise ServingError(f"no warehouse at {warehouse}: run `zhongtai build` first.")
    staged = StagedPublish(data, warehouse)
    try:
        staged._copy_marts()
    except BaseException:
        staged.discard()
        raise
    return staged


def publish(
    warehouse: Path | None = None,
    data: Path | None = None,
    keep: int = 5,
    extra: dict[str, object] | None = None,
) -> Publish:
    """Copy ``marts`` into a new serving file and point ``serving/current`` at it.

    ``extra``: more tables for the publish's ``marts`` schema, name → pandas DataFrame or
    Arrow table (the pipeline adds ``dq_check_results``, the checks this publish passed).
    """
    if keep < 1:
        raise ServingError(f"keep must be at least 1 (got {keep}).")
    return stage(warehouse, data).commit(extra, keep)


def _log(data: Path, event: dict) -> None:
    """Append one line to ``serving/publish_log.jsonl``: every publish and every blocked one."""
    out = serving_dir(data)
    out.mkdir(parents=True, exist_ok=True)
    event = {"at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), **event}
    with (out / LOG).open("a", encoding="utf-8") as f:
        f.write(json.dumps(event, ensure_ascii=False) + "\n")


def record_blocked(data: Path | None, reason: str, run_id: str | None = None) -> None:
    """Record that a pipeline run did not publish, and why; the previous publish keeps
    serving."""
    data = (data or settings.data_dir()).resolve()
    try:
        current = current_path(data).name
    except ServingError:
        current = None
    _log(data, {"outcome": "blocked", "reason": reason, "run_id": run_id, "serving": current})


def publish_log(data: Path | None = None, last: int = 20) -> list[dict]:
    """The newest ``last`` publish-log events, newest first."""
    path = serving_dir(data) / LOG
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()[-last:]
    return [json.loads(line) for line in reversed(lines) if line.strip()]


def connect(data: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only, hardened connection on the current publish: no file or network access
    beyond it, configuration locked. Use a cursor per request and fetch results fully.

    DuckDB shares one database instance per file within a process, so a second connection
    to an already-open publish finds its configuration locked; it is accepted after checking
    that the hardening is in force."""
    path = current_path(data)
    con = duckdb.connect(str(path), read_only=True)
    try:
        con.execute("set enable_external_access = false")
        con.execute("set lock_configuration = true")
    except duckdb.Error as exc:
        if "locked" not in str(exc).lower():
            con.close()
            raise
        ((external, locked),) = con.execute(
            "select current_setting('enable_external_access'), "
            "current_setting('lock_configuration')"
        ).fetchall()
        if external or not locked:
            con.close()
            raise ServingError(
                f"{path} is open in this process without the read-only hardening; "
                "open it only through zhongtai.serving.connect()."
            ) from exc
    return con
