"""ZOHO CRM v8 extractor (shared/reference/source_protocols.md §1): every record module, the
users, the deleted-records log as tombstones, and each deal's stage history.

Per module, one dlt resource (``extractors.landing.resource``) whose cursor is
``{"modified": max Modified_Time landed, "deleted": max deleted_time seen}``. A run sends
``If-Modified-Since`` = cursor − ``ZHONGTAI_EXTRACT_OVERLAP_S`` (nothing on the first run and
with ``--full-refresh``); 304/204 mean nothing changed. Records land page by page as typed
Arrow tables, bad ones go to the quarantine; then the deleted log since its own cursor lands
as tombstones in the same table.

``Stage_History`` has no "changed since" endpoint: it is a related list per deal (N+1). Its
resource pages the deals modified since *its own* cursor (ids only) and fetches each one's
whole history over ``ZHONGTAI_EXTRACT_CONCURRENCY`` connections. A history row's
``Modified_Time`` is when the stage was entered, not when the row last changed (its
``Moved_To__s`` and duration fill in later), so rows are never filtered by time: the whole
list of a touched deal is landed again. History rows of deleted deals become tombstones.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import pyarrow as pa
import pyarrow.compute as pc

from extractors.crm.client import ZohoAuth, ZohoClient
from extractors.crm.paging import (
    deleted_records,
    http_time,
    list_records,
    parse_time,
    related_records,
    users,
)
from extractors.crm.specs import ENTITIES, MODULE_PARAMS, MODULES, STAGE_HISTORY, api_fields
from extractors.http import SourceError
from extractors.landing import ExtractContext, landed_table, resource
from extractors.records import EntitySpec, flatten, to_landing, tombstones

__all__ = ["ENTITIES", "resources"]

HISTORY_FIELDS = api_fields(STAGE_HISTORY, not_served=("Deal_Id",))
PAGES_AHEAD = 2  # pages of deals whose stage-history calls may be in flight
PageFn = Callable[[dict, dict], Iterator[pa.Table]]


def resources(ctx: ExtractContext, names: list[str]) -> list:
    """dlt resources landing the named CRM entities (all share one access token)."""
    auth = ZohoAuth(ctx.settings)
    out = []
    for name in names:
        spec = ENTITIES[name]
        if name in MODULES:
            pages = _module_pages(ctx, auth, spec)
        elif name == "users":
            pages = _users_pages(ctx, auth, spec)
        else:
            pages = _history_pages(ctx, auth, spec)
        out.append(resource(ctx, spec, pages))
    return out


# ---------------------------------------------------------------------- helpers


def _since(cursor: str | None, overlap_s: int) -> str | None:
    """``If-Modified-Since`` for a cursor: the cursor minus the overlap window."""
    t = parse_time(cursor)
    return None if t is None else http_time(t - dt.timedelta(seconds=overlap_s))


def _advance(cursor: dict, key: str, values: Iterable) -> None:
    """Move ``cursor[key]`` to the latest of ``values`` (ZOHO time strings)."""
    best = parse_time(cursor.get(key))
    for v in values:
        t = parse_time(v)
        if t is not None and (best is None or t > best):
            best, cursor[key] = t, v


def _land(ctx: ExtractContext, spec: EntitySpec, rows: list[dict]) -> pa.Table:
    table, bad = to_landing(spec, rows)
    ctx.quarantine(bad)
    return table


def _count(client: ZohoClient, module: str, params: dict) -> int | None:
    """Records in ``module`` (for the progress bar only; None when ZOHO will not say)."""
    try:
        body = client.get(f"/crm/v8/{module}/actions/count", params) or {}
    except SourceError:
        return None
    n = body.get("count")
    return n if isinstance(n, int) else None


# ---------------------------------------------------------------------- record modules


def _module_pages(ctx: ExtractContext, auth: ZohoAuth, spec: EntitySpec) -> PageFn:
    module, fields = spec.name, api_fields(spec)
    params = MODULE_PARAMS.get(module, {})
    overlap = ctx.settings.overlap_s

    def pages(cursor_in: dict, cursor_out: dict) -> Iterator[pa.Table]:
        cursor_out.update(cursor_in)
        client = ZohoClient(ctx.settings, auth)
        try:
            since = _since(cursor_in.get("modified"), overlap)
            total = None if since else _count(client, module, params)
            done = 0
            for records in list_records(client, module, fields, params=params, since=since):
                yield _land(ctx, spec, [flatten(r) for r in records])
                _advance(cursor_out, "modified", (r.get("Modified_Time") for r in records))
                done += len(records)
                ctx.tick(spec.name, done, total)
            for gone in deleted_records(client, module, _since(cursor_in.get("deleted"), overlap)):
                yield tombstones(spec, [str(r["id"]) for r in gone if r.get("id")])
                _advance(cursor_out, "deleted", (r.get("deleted_time") for r in gone))
        finally:
            ctx.result(spec.name).retries += client.http.retries
            client.close()

    return pages


def _users_pages(ctx: ExtractContext, auth: ZohoAuth, spec: EntitySpec) -> PageFn:
    def pages(cursor_in: dict, cursor_out: dict) -> Iterator[pa.Table]:
        cursor_out.update(cursor_in)
        client = ZohoClient(ctx.settings, auth)
        try:
            done = 0
            since = _since(cursor_in.get("modified"), ctx.settings.overlap_s)
            for records in users(client, since):
                yield _land(ctx, spec, [flatten(r) for r in records])
                _advance(cursor_out, "modified", (r.get("Modified_Time") for r in records))
                done += len(records)
                ctx.tick(spec.name, done, None)
        finally:
            ctx.result(spec.name).retries += client.http.retries
            client.close()

    return pages


# ---------------------------------------------------------------------- stage history


def _history_pages(ctx: ExtractContext, auth: ZohoAuth, spec: EntitySpec) -> PageFn:
    overlap = ctx.settings.overlap_s

    def pages(cursor_in: dict, cursor_out: dict) -> Iterator[pa.Table]:
        cursor_out.update(cursor_in)
        lead = ZohoClient(ctx.settings, auth)
        clients = [lead]
        local = threading.local()
        lock = threading.Lock()

        def history(deal_id: str) -> list[dict]:
            client = getattr(local, "client", None)
            if client is None:
                client = local.client = ZohoClient(ctx.settings, auth)
                with lock:
                    clients.append(client)
            rows = related_records(client, "Deals", deal_id, "Stage_History", HISTORY_FIELDS)
            return [{**flatten(r), "Deal_Id": deal_id} for r in rows]

        def land(deals: list[dict], fetches: list[Future]) -> Iterator[pa.Table]:
            rows = [r for f in fetches for r in f.result()]
            if rows:
                yield _land(ctx, spec, rows)
            _advance(cursor_out, "deals_modified", (d.get("Modified_Time") for d in deals))
            progress[0] += len(deals)
            ctx.tick(spec.name, progress[0], progress[1])

        try:
            since = _since(cursor_in.get("deals_modified"), overlap)
            progress = [0, None if since else _count(lead, "Deals", {})]
            workers = max(1, ctx.settings.concurrency)
            pool = ThreadPoolExecutor(workers, thread_name_prefix="crm-stage-history")
            try:
                # later pages' history calls run while this page's table is landed and dlt
                # takes the other modules' pages
                pending: deque[tuple[list[dict], list[Future]]] = deque()
                for deals in list_records(lead, "Deals", ["Modified_Time"], since=since):
                    ids = [str(d["id"]) for d in deals if d.get("id")]
                    pending.append((deals, [pool.submit(history, i) for i in ids]))
                    if len(pending) > PAGES_AHEAD:
                        yield from land(*pending.popleft())
                while pending:
                    yield from land(*pending.popleft())
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
            gone: set[str] = set()
            deals_since = _since(cursor_in.get("deals_deleted"), overlap)
            for page in deleted_records(lead, "Deals", deals_since):
                gone.update(str(r["id"]) for r in page if r.get("id"))
                _advance(cursor_out, "deals_deleted", (r.get("deleted_time") for r in page))
            keys = _landed_history_of(ctx, gone)
            if keys:
                yield tombstones(spec, keys)
        finally:
            for c in clients:
                ctx.result(spec.name).retries += c.http.retries
                c.close()

    return pages


def _landed_history_of(ctx: ExtractContext, deal_ids: set[str]) -> list[str]:
    """Keys of landed stage-history rows that belong to ``deal_ids``."""
    if not deal_ids:
        return []
    where = pc.field("Deal_Id").isin(sorted(deal_ids))
    t = landed_table(ctx.settings.landing, ctx.system, STAGE_HISTORY.name, ["id"], where)
    return [] if t is None else sorted(set(t["id"].to_pylist()))
