"""Page generators of the Huilianyi entities for ``extractors.landing.resource``.

Both entities read ``expenseReport/v2`` over the window [cursor − overlap, now + margin] in id
order, one typed Arrow table per page:

* ``expenseReport`` — every report version as served. Deletes come by status: a report whose
  status is 1010 (已删除) lands as its upsert version *and* a tombstone for its key, stamped
  one microsecond later so "latest version per key" picks the delete.
* ``approvalHistory`` — the ``approvalHistorys`` the same call embeds with
  ``withApprovalHistory: true`` (one call per 100 reports). Where the tenant does not embed
  them (the SDK types them only on expense applications), the histories of that page's
  reports come from ``expenseReport/detail`` instead, concurrently. Every history row of each
  new or changed report lands again; the rows are immutable and keyed by ``id``, so staging's
  latest-per-key makes the repeats harmless.

The cursor of each entity is the newest parseable ``lastModifiedDate`` among the reports it
read (ISO-8601, UTC). A report whose ``lastModifiedDate`` does not parse is quarantined and
plays no part in the cursor. The cursor never moves back, and nothing is lost while one run
takes less than the overlap (``ZHONGTAI_EXTRACT_OVERLAP_S``): pages are in id order over a
window whose start is fixed for the run, so a report changed mid-run stays in the window and
is read again, at the latest, by the next run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pyarrow as pa
import pyarrow.compute as pc

from extractors.expense.client import EPOCH, HuilianyiClient
from extractors.expense.specs import APPROVAL_HISTORY, DELETED, EXPENSE_REPORT
from extractors.landing import ExtractContext
from extractors.records import parse_timestamp, to_landing, tombstones

CURSOR = "lastModifiedDate"
# The window's end: far enough ahead for simulated worlds dated up to a year after today and
# advanced further (real tenants accept wide windows: the SDK's own sync ends in 2040).
END_MARGIN = dt.timedelta(days=3 * 366)
TOMBSTONE_AFTER = dt.timedelta(microseconds=1)


def window(ctx: ExtractContext, cursor_in: dict) -> tuple[dt.datetime, dt.datetime]:
    since = cursor_in.get(CURSOR)
    start = (
        dt.datetime.fromisoformat(since) - dt.timedelta(seconds=ctx.settings.overlap_s)
        if since
        else EPOCH
    )
    return start, ctx.extracted_at + END_MARGIN


def newest(times: pa.Array) -> dt.datetime | None:
    """The latest non-null time of a timestamp array."""
    return pc.max(times).as_py() if len(times) else None


def advance(cursor_out: dict, latest: dt.datetime | None) -> None:
    """Move ``cursor_out`` forward to ``latest``, never back."""
    if latest is None:
        return
    old = cursor_out.get(CURSOR)
    if old is None or latest > dt.datetime.fromisoformat(old):
        cursor_out[CURSOR] = latest.isoformat()


def deleted_keys(rows: list[dict]) -> list[str]:
    """Keys of reports deleted by status (the status alone decides: the delete is honoured
    even when another field of the record is quarantined)."""
    return [
        str(r["id"])
        for r in rows
        if r.get("status") in (DELETED, str(DELETED)) and r.get("id") not in (None, "")
    ]


def report_pages(ctx: ExtractContext):
    spec = EXPENSE_REPORT

    def pages(cursor_in: dict, cursor_out: dict) -> Iterator[pa.Table]:
        cursor_out.update(cursor_in)  # no rows: the cursor stays where it was
        start, end = window(ctx, cursor_in)
        done = 0
        with HuilianyiClient(ctx.settings) as client:
            try:
                for rows in client.expense_reports(start, end, with_history=False):
                    table, bad = to_landing(spec, rows, extracted_at=ctx.extracted_at)
                    ctx.quarantine(bad)
                    gone = tombstones(
                        spec, deleted_keys(rows), extracted_at=ctx.extracted_at + TOMBSTONE_AFTER
                    )
                    yield pa.concat_tables([table, gone]) if gone.num_rows else table
                    advance(cursor_out, newest(table[CURSOR]))
                    done += len(rows)
                    ctx.tick(spec.name, done)
            finally:
                ctx.result(spec.name).retries += client.retries

    return pages


def _embedded_or_detail(
    client: HuilianyiClient, pool: ThreadPoolExecutor, rows: list[dict]
) -> list[dict]:
    """History rows of a page of reports, each completed with its report's keys."""
    missing = [
        r["businessCode"] for r in rows if "approvalHistorys" not in r and r.get("businessCode")
    ]
    fetched = dict(zip(missing, pool.map(client.approval_history, missing), strict=True))
    out = []
    for r in rows:
        hist = r.get("approvalHistorys")
        if hist is None:
            hist = fetched.get(r.get("businessCode"), [])
        for h in hist:
            h.setdefault("businessCode", r.get("businessCode"))
            h.setdefault("expenseReportOID", r.get("expenseReportOID"))
            out.append(h)
    return out


def history_pages(ctx: ExtractContext):
    spec = APPROVAL_HISTORY

    def pages(cursor_in: dict, cursor_out: dict) -> Iterator[pa.Table]:
        cursor_out.update(cursor_in)
        start, end = window(ctx, cursor_in)
        done = 0
        with (
            HuilianyiClient(ctx.settings) as client,
            ThreadPoolExecutor(max(1, ctx.settings.concurrency)) as pool,
        ):
            try:
                for rows in client.expense_reports(start, end, with_history=True):
                    table, bad = to_landing(
                        spec, _embedded_or_detail(client, pool, rows), extracted_at=ctx.extracted_at
                    )
                    ctx.quarantine(bad)
                    yield table
                    modified = pa.array([r.get(CURSOR) for r in rows], pa.string())
                    advance(cursor_out, newest(parse_timestamp(modified)))
                    done += table.num_rows
                    ctx.tick(spec.name, done)
            finally:
                ctx.result(spec.name).retries += client.retries

    return pages
