"""One form's extraction: incremental pages by ``FModifyDate``, then a delete sweep.

Incremental: the cursor is the latest ``FModifyDate`` seen (the source's own clock, naive
Asia/Shanghai text). The next run asks ``FModifyDate >= cursor − overlap``; the first run and
``--full-refresh`` ask without a filter.

Deletes: K/3 Cloud physically deletes bills and has no delete log, so documents that vanished
are found by a key sweep. After the incremental pages, the sweep asks for the keys only of
rows created in the window ``FCreateDate >= anchor − sweep_days`` and compares them with the
keys whose latest landed version is an upsert created in the same window (the created date
is read from the landing files: they are the truth, a key set kept in the cursor could drift
from them). Keys landed but no longer served get tombstones. The anchor is the new cursor —
the source's latest modification time — not the extractor's clock, so a source whose clock
or data lags (or a simulated world far in the past) is swept over its own recent past. A full
extraction (first run, ``--full-refresh``) sees every key, so it tombstones every vanished
key regardless of age; deletes of rows created before the window are only found that way.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.compute as pc

from extractors.erp.client import KingdeeClient
from extractors.landing import ExtractContext, landed_table
from extractors.records import EntitySpec, to_landing, tombstones

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
MODIFIED = "FModifyDate"
CREATED = "FCreateDate"
_TS = re.compile(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d")
_FMT = "%Y-%m-%d %H:%M:%S"


def local_time(value) -> str | None:
    """Kingdee's ``2025-06-30T08:01:02[.fff]`` as ``2025-06-30 08:01:02``; None if not one."""
    if not isinstance(value, str) or not _TS.match(value):
        return None
    text = value[:19].replace("T", " ")
    try:
        dt.datetime.strptime(text, _FMT)
    except ValueError:
        return None
    return text


def _shift(text: str, seconds: float) -> str:
    return (dt.datetime.strptime(text, _FMT) + dt.timedelta(seconds=seconds)).strftime(_FMT)


def landed_keys_created_since(
    ctx: ExtractContext, spec: EntitySpec, since: dt.datetime | None
) -> set[str]:
    """Keys whose latest landed version is not a delete and (with ``since``) was created at
    or after ``since`` — ``ctx.landed_keys`` restricted to a creation window."""
    cols = [spec.key, CREATED, "_op", "_extracted_at"]
    t = landed_table(ctx.settings.landing, ctx.system, spec.name, cols)
    if t is None or t.num_rows == 0:
        return set()
    t = t.sort_by([(spec.key, "ascending"), ("_extracted_at", "ascending")])
    keys = t[spec.key].combine_chunks()
    n = len(keys)
    last = pc.not_equal(keys.slice(0, n - 1), keys.slice(1))  # row i is its key's last
    last = pa.concat_arrays([pc.fill_null(last, True), pa.array([True])])
    t = t.filter(last)
    keep = pc.not_equal(t["_op"], "delete")
    if since is not None:
        keep = pc.and_(
            keep,
            pc.fill_null(
                pc.greater_equal(t[CREATED], pa.scalar(since, t.schema.field(CREATED).type)), False
            ),
        )
    return {str(k) for k in t.filter(keep)[spec.key].to_pylist()}


class FormSync:
    """Pages of one form for ``extractors.landing.resource``: ``pages(cursor_in,
    cursor_out)``."""

    def __init__(
        self, ctx: ExtractContext, spec: EntitySpec, client: KingdeeClient, page_size: int
    ):
        self.ctx = ctx
        self.spec = spec
        self.client = client
        self.page_size = page_size
        self.fields = spec.names
        self.key_type = dict(spec.fields)[spec.key]

    def _scan(self, fields: list[str], where: str) -> Iterator[list[dict]]:
        res = self.ctx.result(self.spec.name)
        pages = self.client.scan(
            self.spec.name, fields, self.spec.key, where=where, page_size=self.page_size
        )
        while True:
            before = self.client.http.retries
            try:
                page = next(pages)
            except StopIteration:
                return
            finally:
                res.retries += self.client.http.retries - before
            yield page

    def pages(self, cursor_in: dict, cursor_out: dict) -> Iterator[pa.Table]:
        spec, ctx = self.spec, self.ctx
        cursor = cursor_in.get("modified")
        full = cursor is None
        where = "" if full else f"{MODIFIED} >= '{_shift(cursor, -ctx.settings.overlap_s)}'"
        seen: set[str] = set()
        done = 0
        for records in self._scan(self.fields, where):
            table, bad = to_landing(spec, records)
            ctx.quarantine(bad)
            for r in records:
                m = local_time(r.get(MODIFIED))
                if m is not None and (cursor is None or m > cursor):
                    cursor = m
                if full and r.get(spec.key) is not None:
                    seen.add(str(r[spec.key]))
            done += len(records)
            ctx.tick(spec.name, done, None)
            yield table
        if cursor is not None:
            cursor_out["modified"] = cursor
        yield from self._sweep(full, seen, cursor)

    def _sweep(self, full: bool, seen: set[str], anchor: str | None) -> Iterator[pa.Table]:
        spec, ctx = self.spec, self.ctx
        if full:
            landed = landed_keys_created_since(ctx, spec, None)
            live = seen
        else:
            since = _shift(anchor, -ctx.settings.sweep_days * 86400)
            since_utc = dt.datetime.strptime(since, _FMT).replace(tzinfo=SHANGHAI)
            landed = landed_keys_created_since(ctx, spec, since_utc)
            if not landed:
                return
            live = {
                str(r[spec.key])
                for page in self._scan([spec.key], f"{CREATED} >= '{since}'")
                for r in page
            }
        gone = sorted(landed - live)
        if gone:
            keys = [int(k) for k in gone] if self.key_type == "int" else gone
            yield tombstones(spec, keys)
