"""Read access to the materialized world for the protocol simulators.

Servers keep each entity as an Arrow table and slice pages out of it. When ``world advance``
rewrites the world (``world.json`` changes), the next request sees the new date: tables are
reloaded lazily, without a restart.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from simulators.world.workcal import DAY


class WorldNotFound(Exception):
    """There is no world.json where the simulators were pointed."""


class WorldStore:
    CHECK_EVERY_S = 0.5

    def __init__(self, world: Path):
        self.world = Path(world)
        self._lock = threading.RLock()
        self._tables: dict[tuple[str, str, str], pa.Table] = {}
        self._meta: dict | None = None
        self._stamp: int | None = None
        self._checked = 0.0
        self._load_meta()

    def _load_meta(self) -> None:
        p = self.world / "world.json"
        try:
            st = os.stat(p)
            meta = json.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError as e:
            raise WorldNotFound(
                f"no world at {self.world}: run `zhongtai world generate` first"
            ) from e
        self._meta, self._stamp = meta, st.st_mtime_ns
        self._tables.clear()

    def _refresh(self) -> None:
        now = time.monotonic()
        if now - self._checked < self.CHECK_EVERY_S:
            return
        self._checked = now
        try:
            stamp = os.stat(self.world / "world.json").st_mtime_ns
        except FileNotFoundError:
            return  # being rewritten; keep serving what we have
        if stamp != self._stamp:
            self._load_meta()

    @property
    def meta(self) -> dict:
        with self._lock:
            self._refresh()
            assert self._meta is not None
            return self._meta

    @property
    def as_of_end(self) -> int:
        """Local seconds of the end of the world's current day (the simulated 'now')."""
        import datetime as dt

        from simulators.world.workcal import day_of_date

        return (day_of_date(dt.date.fromisoformat(self.meta["as_of"])) + 1) * DAY

    def table(self, system: str, entity: str) -> pa.Table:
        """Live records of ``entity`` (with helper columns ``_key``, ``_created``,
        ``_modified``)."""
        return self._get(system, entity, "live")

    def deleted(self, system: str, entity: str) -> pa.Table:
        return self._get(system, entity, "deleted")

    def _get(self, system: str, entity: str, kind: str) -> pa.Table:
        with self._lock:
            self._refresh()
            key = (system, entity, kind)
            t = self._tables.get(key)
            if t is None:
                folder = self.world / system
                path = (
                    folder / f"{entity}.parquet"
                    if kind == "live"
                    else (folder / "_deleted" / f"{entity}.parquet")
                )
                if not path.exists():
                    raise KeyError(f"{system}/{entity}")
                # one chunk per column: `take` of a page from a many-chunk column costs a
                # full concatenation (10 ms a page at scale 1), from one chunk microseconds
                t = self._tables[key] = pq.read_table(path).combine_chunks()
            return t


def served_columns(table: pa.Table) -> list[str]:
    """Columns a source serves (helpers starting with ``_`` are ours)."""
    return [c for c in table.column_names if not c.startswith("_")]


def nest(row: dict) -> dict:
    """Turn ``{"Owner.id": 1, "Owner.name": "x"}`` into ``{"Owner": {"id": 1, "name": "x"}}``;
    a lookup whose parts are all NULL becomes NULL, as ZOHO serves empty lookups."""
    out: dict = {}
    for k, v in row.items():
        if "." in k and not k.startswith("$"):
            head, tail = k.split(".", 1)
            sub = out.get(head)
            if not isinstance(sub, dict):
                sub = out[head] = {}
            sub[tail] = v
        else:
            out[k] = v
    for k, v in list(out.items()):
        if isinstance(v, dict) and all(x is None for x in v.values()):
            out[k] = None
    return out
