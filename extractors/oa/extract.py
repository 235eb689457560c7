"""Landing the Weaver e-cology OA: workflow requests, their approval logs, operators and form
rows, and the HRM directory.

How each entity is read (shared reference §3.1):

* ``workflow_requests`` — ``getAllWorkflowRequestList`` as the monitor user (sees every
  request), 1,000 a page. The list is ordered by requestId descending, so requests created
  while we page shift later pages: rows are de-duplicated by requestId within a run.
  Incremental: ``operatedateselect=6`` from the day before the cursor's day (E9 filters whole
  days; one day of overlap), cursor = the latest ``lastOperateTime`` landed.
* ``workflow_request_logs`` (``getRequestLog``, paged to the end), ``workflow_request_operators``
  (``getRequestOperatorInfo``) and one ``formtable_main_<n>`` entity per form
  (``getWorkflowRequest`` main table) — one call per request, so only for the requests the
  same window lists (new or changed since that entity's own cursor), spread over
  ``ZHONGTAI_EXTRACT_CONCURRENCY`` worker threads, each with its own HTTP session.
* ``HrmResource`` / ``HrmDepartment`` — the HRM sync pages, incremental by ``modified`` minus
  ``ZHONGTAI_EXTRACT_OVERLAP_S``.

Deletes (E9 has no delete feed):

* A request's child rows are fetched whole, so a child row landed earlier for a request we
  fetch again and missing now (an operator row withdrawn with its node) becomes a tombstone.
* Requests: a key sweep. Once per source day (the day of the cursor) the ids of the requests
  created in the last ``ZHONGTAI_DELETE_SWEEP_DAYS`` days are listed and compared with the
  ones landed for that window; the missing requests get tombstones, and so do all their
  logs, operator rows and form rows (E9's ``deleteRequest`` removes them with the request).
  A full run (first run, ``--full-refresh``) lists everything, so it sweeps all of history.
  Requests an event-log import landed in the same table (``sysName`` ``eventlog:…``) are
  never swept. A sweep that would delete more than half of a window's requests (more than
  20) is refused with an error — a monitor user that lost its rights sees few requests —
  unless ``ZHONGTAI_OA_ALLOW_MASS_DELETE=1``.
* HRM: E9 does not delete people or departments (status / ``canceled`` change instead); a
  full run still tombstones keys the OA no longer lists.

Each entity keeps its own cursor, committed only after its last page; a crash re-reads the
window from the old cursor (rows land again, staging keeps the latest version per key).

Throughput: dlt reads the entities' generators one after another in one thread, so the
first child entity to start queues the per-request calls of every selected child entity
(``_Feed``), and whichever entity is being read keeps all queues topped up: the worker
threads always have work. ``ZHONGTAI_OA_WORKFLOW_IDS`` (comma-separated workflow ids, empty:
all) restricts every listing to some workflows.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import pyarrow as pa

from extractors.http import SourceError
from extractors.landing import ExtractContext
from extractors.oa import landed
from extractors.oa.client import RequestGone, WeaverAuth, WeaverClient
from extractors.oa.forms import FORM_ID, FORM_SPECS, form_row
from extractors.oa.specs import (
    WORKFLOW_REQUEST_LOGS,
    WORKFLOW_REQUEST_OPERATORS,
    WORKFLOW_REQUESTS,
)
from extractors.records import META_FIELDS, EntitySpec, flatten, to_landing

SHANGHAI = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
LIST_PAGE = 1000  # E9 caps pageSize at 1000
HRM_PAGE = 1000
BATCH_REQUESTS = 500  # per-request results per landed table
WINDOW_AHEAD_DAYS = 366  # operatedateto: E9 wants both bounds; "today" may be behind the data
# a sweep that would delete more than this share of the window's requests is refused
SWEEP_GUARD_SHARE = 0.5
SWEEP_GUARD_MIN = 20
ALLOW_MASS_DELETE = "ZHONGTAI_OA_ALLOW_MASS_DELETE"
WORKFLOW_IDS = "ZHONGTAI_OA_WORKFLOW_IDS"  # optional: only these workflows (comma-separated)


def settings_value(settings, key: str) -> str:
    """An optional setting not (yet) among ``ExtractSettings``' defaults: the settings'
    values (``from_env(**overrides)``), else the environment."""
    return settings.values.get(key) or os.environ.get(key, "")


HRM_RESOURCE = EntitySpec(
    "oa",
    "HrmResource",
    "id",
    (
        ("id", "string"),
        ("workcode", "string"),
        ("lastname", "string"),
        ("loginid", "string"),
        ("email", "string"),
        ("mobile", "string"),
        ("departmentid", "string"),
        ("departmentname", "string"),
        ("subcompanyid1", "string"),
        ("jobtitle", "string"),
        ("managerid", "string"),
        ("status", "string"),
        ("createdate", "timestamp"),
        ("modified", "timestamp"),
    ),
)
HRM_DEPARTMENT = EntitySpec(
    "oa",
    "HrmDepartment",
    "id",
    (
        ("id", "string"),
        ("departmentname", "string"),
        ("departmentmark", "string"),
        ("supdepid", "string"),
        ("subcompanyid1", "string"),
        ("canceled", "string"),
        ("created", "timestamp"),
        ("modified", "timestamp"),
    ),
)


def _day(ts: str) -> dt.date:
    return dt.date.fromisoformat(ts[:10])


def _valid_time(ts) -> bool:
    if not isinstance(ts, str) or len(ts) < 19:
        return False
    try:
        dt.datetime.strptime(ts[:19], "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return False
    return True


def tombstone_rows(spec: EntitySpec, rows: list[dict]) -> pa.Table:
    """Delete markers carrying the key (and, for child rows, the requestId); every other field
    NULL. Built directly: ``records.tombstones`` runs the required-field checks, which a
    delete marker of a spec with ``required`` fields cannot pass."""
    now = dt.datetime.now(dt.UTC)
    schema = spec.schema()
    cols = {}
    for f in schema:
        if f.name == "_op":
            cols[f.name] = pa.array(["delete"] * len(rows), f.type)
        elif f.name == META_FIELDS[1][0]:
            cols[f.name] = pa.array([now] * len(rows), f.type)
        elif f.name in (spec.key, "requestId"):
            cols[f.name] = pa.array([r.get(f.name) for r in rows], f.type)
        else:
            cols[f.name] = pa.nulls(len(rows), f.type)
    return pa.table(cols, schema=schema)


class Changes:
    """Requests listed for a window, compact: id, formId and the latest operate time."""

    def __init__(self, ids: list[str], form_ids: list[str], last_operate: str):
        self.ids = ids
        self.form_ids = form_ids
        self.last_operate = last_operate

    def for_form(self, form_id: str | None) -> list[str]:
        if form_id is None:
            return self.ids
        return [r for r, f in zip(self.ids, self.form_ids, strict=True) if f == form_id]


class _Feed:
    """One child entity's per-request calls, a window of them queued on the worker threads."""

    def __init__(self, run: OaRun, ids: Iterator[str], fn: Callable[[WeaverClient, str], object]):
        self.run = run
        self.ids = ids
        self.fn = fn
        self.pending: deque[tuple[str, Future]] = deque()
        self.exhausted = False

    def _one(self, client: WeaverClient, rid: str):
        try:
            return self.fn(client, rid)
        except RequestGone:
            return None

    def top_up(self, ahead: int) -> None:
        while not self.exhausted and len(self.pending) < ahead:
            rid = next(self.ids, None)
            if rid is None:
                self.exhausted = True
                break
            self.pending.append((rid, self.run.submit(lambda c, r=rid: self._one(c, r))))

    def results(self) -> Iterator[tuple[str, object]]:
        """``(id, result)`` in order; result ``None`` for requests deleted meanwhile."""
        try:
            while True:
                self.run.pump()
                if not self.pending:
                    return
                rid, fut = self.pending.popleft()
                yield rid, fut.result()
        finally:
            self.close()

    def close(self) -> None:
        self.exhausted = True
        for _r, fut in self.pending:
            fut.cancel()
        self.pending.clear()
        if self in self.run._feeds:
            self.run._feeds.remove(self)


class OaRun:
    """One extraction run of the OA: login, worker threads, and the listings the entities
    share (each window and each sweep is listed once per run)."""

    def __init__(self, ctx: ExtractContext, names: list[str]):
        self.ctx = ctx
        self.settings = ctx.settings
        self.auth = WeaverAuth(ctx.settings)
        self._local = threading.local()
        self._clients: list[WeaverClient] = []
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._changes: dict[str | None, Changes] = {}
        self._sweeps: dict[str, set[str]] = {}
        self._gone: dict[str, set[str]] = {}
        self._feeds: list[_Feed] = []
        self.names = set(names)
        self._children: dict[str, tuple[Callable, str | None]] = {}
        self._started: dict[str, tuple[str | None, _Feed]] = {}
        self._open = len(names)
        self.today = dt.datetime.now(SHANGHAI).date()
        raw = settings_value(ctx.settings, WORKFLOW_IDS)
        self.workflow_ids = [w.strip() for w in raw.split(",") if w.strip()]
        self.base = {"workflowIds": ",".join(self.workflow_ids)} if self.workflow_ids else {}

    # -- plumbing -------------------------------------------------------------------------
    def client(self) -> WeaverClient:
        c = getattr(self._local, "client", None)
        if c is None:
            c = self._local.client = WeaverClient(self.auth, self.settings)
            with self._lock:
                self._clients.append(c)
        return c

    def pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max(1, self.settings.concurrency), thread_name_prefix="oa"
                )
            return self._pool

    def done(self) -> None:
        """An entity finished; after the last one, stop the threads and close sessions."""
        with self._lock:
            self._open -= 1
            last = self._open <= 0
        if last:
            self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        for c in self._clients:
            c.close()
        self._clients.clear()

    def submit(self, fn: Callable[[WeaverClient], object]) -> Future:
        return self.pool().submit(lambda: fn(self.client()))

    def feed(self, ids: list[str], fn: Callable[[WeaverClient, str], object]) -> _Feed:
        """Register ``fn(client, id)`` for every id; ``_Feed.results()`` gives them in order.

        All registered feeds are kept topped up whenever any of them is read, so the worker
        threads work for every child entity at once although dlt reads the entities' pages
        one after another (round-robin) in its one thread."""
        f = _Feed(self, iter(ids), fn)
        self._feeds.append(f)
        return f

    def register_child(
        self, name: str, fetch: Callable[[WeaverClient, str], object], form_id: str | None
    ) -> None:
        self._children[name] = (fetch, form_id)

    def child_feed(self, name: str, since: str | None) -> _Feed:
        """The feed of child entity ``name`` for its cursor ``since``.

        dlt starts one entity's generator after another, and a generator runs until its
        first page; so the first child entity to start starts the feeds of all the selected
        child entities (assuming they share its cursor, as they do unless one failed). An
        entity whose cursor differs gets a feed of its own."""
        if name not in self._started:
            for n, (fetch, form_id) in self._children.items():
                if n in self.names and n not in self._started:
                    ids = self.changes(since, n).for_form(form_id)
                    self._started[n] = (since, self.feed(ids, fetch))
        started, feed = self._started.pop(name)
        if started != since:
            feed.close()
            fetch, form_id = self._children[name]
            feed = self.feed(self.changes(since, name).for_form(form_id), fetch)
        return feed

    def pump(self) -> None:
        ahead = max(16, 8 * self.settings.concurrency)
        for f in self._feeds:
            f.top_up(ahead)

    # -- listings ----------------------------------------------------------------------------
    def window(self, since: str | None) -> dict:
        """E9 list conditions of the requests operated on since the cursor (one day back)."""
        if not since:
            return dict(self.base)
        start = _day(since) - dt.timedelta(days=1)
        end = max(self.today, _day(since)) + dt.timedelta(days=WINDOW_AHEAD_DAYS)
        return {
            **self.base,
            "operatedateselect": "6",
            "operatedatefrom": start.isoformat(),
            "operatedateto": end.isoformat(),
        }

    def list_pages(self, conditions: dict) -> Iterator[list[dict]]:
        """Every page of ``getAllWorkflowRequestList`` for ``conditions``, in order. The pages
        the Count promises are fetched by the worker threads at once; paging goes on until a
        short page (a count cut short by a proxy still parses, so it is only a hint)."""
        count = self.client().count("All", conditions) or 0
        hinted = -(-count // LIST_PAGE)
        futures = deque(
            self.submit(lambda c, p=p: c.list_page("All", conditions, p, LIST_PAGE))
            for p in range(1, hinted + 1)
        )
        page = 0
        try:
            while True:
                page += 1
                if futures:
                    rows = futures.popleft().result()
                else:
                    rows = self.client().list_page("All", conditions, page, LIST_PAGE)
                yield rows
                if len(rows) < LIST_PAGE and page >= hinted:
                    return
        finally:
            for f in futures:
                f.cancel()

    def changes(self, since: str | None, entity: str) -> Changes:
        """The requests new or changed since ``since`` (all of them when None), listed once
        per run and shared by the child entities."""
        key = since or None
        if key in self._changes:
            return self._changes[key]
        last: dict[str, tuple[str, str]] = {}
        done = 0
        for rows in self.list_pages(self.window(since)):
            for r in rows:
                rid = str(r.get("requestId") or "")
                if not rid:
                    continue
                lo = r.get("lastOperateTime") or ""
                base = r.get("workflowBaseInfo") or {}
                prev = last.get(rid)
                if prev is None or lo > prev[1]:
                    last[rid] = (str(base.get("formId") or ""), lo)
            done += len(rows)
            self.ctx.tick(entity, 0, done)
        valid = [lo for _f, lo in last.values() if _valid_time(lo)]
        newest = max([*valid, since or ""])
        ch = Changes(list(last), [f for f, _lo in last.values()], newest)
        self._changes[key] = ch
        return ch

    def sweep_start(self, anchor: dt.date) -> dt.date:
        return anchor - dt.timedelta(days=self.settings.sweep_days)

    def sweep_ids(self, start: dt.date) -> set[str]:
        """Ids of the requests created on or after ``start`` that the OA lists now."""
        key = start.isoformat()
        if key not in self._sweeps:
            cond = {
                **self.base,
                "createdateselect": "6",
                "createdatefrom": key,
                "createdateto": (
                    max(self.today, start) + dt.timedelta(days=WINDOW_AHEAD_DAYS)
                ).isoformat(),
            }
            ids: set[str] = set()
            for rows in self.list_pages(cond):
                ids.update(str(r.get("requestId")) for r in rows if r.get("requestId"))
            self._sweeps[key] = ids
        return self._sweeps[key]

    def gone_requests(self, start: dt.date | None, listed: set[str] | None = None) -> set[str]:
        """Requests landed (created since ``start``; ever, when None) that the OA no longer
        lists — ``listed`` is the complete listing when the caller has one."""
        key = "all" if start is None else start.isoformat()
        if key not in self._gone:
            since = None if start is None else dt.datetime.combine(start, dt.time(), SHANGHAI)
            ever = landed.request_ids_created_since(
                self.ctx, WORKFLOW_REQUESTS, since and since.astimezone(dt.UTC), self.workflow_ids
            )
            present = listed if listed is not None else self.sweep_ids(start)
            gone = ever - present
            alive = ever & set(
                landed.live(landed.latest(self.ctx, WORKFLOW_REQUESTS, []))["requestId"].to_pylist()
            )
            vanishing = len(gone & alive)
            allowed = settings_value(self.settings, ALLOW_MASS_DELETE) in ("1", "true", "yes")
            limit = max(SWEEP_GUARD_MIN, SWEEP_GUARD_SHARE * len(alive))
            if vanishing > limit and not allowed:
                raise SourceError(
                    f"the OA no longer lists {vanishing} of the {len(alive)} requests landed for "
                    f"the sweep window (from {key}); refusing to delete them. Does "
                    "ZHONGTAI_OA_USER_ID still see every request (monitor rights)? Run again "
                    f"once the OA lists them, or set {ALLOW_MASS_DELETE}=1 if they really are "
                    "gone."
                )
            self._gone[key] = gone
        return self._gone[key]


def _table(ctx: ExtractContext, spec: EntitySpec, rows: list[dict]) -> pa.Table:
    table, bad = to_landing(spec, rows)
    ctx.quarantine(bad)
    return table


def _sweep_due(cursor_in: dict, anchor: str) -> bool:
    return bool(anchor) and cursor_in.get("swept") != anchor[:10]


# -- workflow_requests ---------------------------------------------------------------------
def request_pages(run: OaRun, spec: EntitySpec = WORKFLOW_REQUESTS):
    ctx = run.ctx

    def pages(cursor_in: dict, cursor_out: dict) -> Iterator[pa.Table]:
        since = cursor_in.get("last_operate")
        seen: dict[str, str] = {}
        newest = since or ""
        done = 0
        for rows in run.list_pages(run.window(since)):
            fresh = []
            for r in rows:
                rid = str(r.get("requestId") or "")
                lo = r.get("lastOperateTime") or ""
                if rid in seen and lo <= seen[rid]:
                    continue  # the same request again on a shifted page
                seen[rid] = lo
                fresh.append(flatten(r))
            table = _table(ctx, spec, fresh)
            good = [lo for lo in table.column("lastOperateTime").to_pylist() if lo is not None]
            if good:
                newest = max(newest, max(good).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"))
            done += len(rows)
            ctx.tick(spec.name, done)
            yield table
        anchor = newest
        if not since:  # a full listing: everything landed and not listed is gone
            gone = run.gone_requests(None, set(seen))
        elif _sweep_due(cursor_in, anchor):
            gone = run.gone_requests(run.sweep_start(_day(anchor)))
        else:
            gone = set()
        if gone:
            alive = landed.live(landed.latest(ctx, spec, []))
            keys = sorted(set(alive[spec.key].to_pylist()) & gone)
            if keys:
                yield tombstone_rows(spec, [{spec.key: k} for k in keys])
        cursor_out["last_operate"] = anchor
        cursor_out["swept"] = (
            anchor[:10] if (not since or _sweep_due(cursor_in, anchor)) else cursor_in.get("swept")
        )

    return pages


# -- per-request child entities ------------------------------------------------------------
def _log_rows(client: WeaverClient, rid: str) -> list[dict]:
    return client.request_logs(rid, 1000)


def _operator_rows(client: WeaverClient, rid: str) -> list[dict]:
    return client.operators(rid)


def _form_fetch(spec: EntitySpec):
    def fetch(client: WeaverClient, rid: str) -> list[dict]:
        row = form_row(spec, client.detail(rid))
        return [] if row is None else [row]

    return fetch


def child_pages(
    run: OaRun,
    spec: EntitySpec,
    fetch: Callable[[WeaverClient, str], list],
    form_id: str | None = None,
    prepare: Callable[[dict, str], dict] | None = None,
):
    """Pages of a child entity: ``fetch(client, requestId)`` gives all its rows of one request."""
    ctx = run.ctx
    run.register_child(spec.name, fetch, form_id)

    def pages(cursor_in: dict, cursor_out: dict) -> Iterator[pa.Table]:
        since = cursor_in.get("last_operate")
        feed = run.child_feed(spec.name, since)
        changes = run.changes(since, spec.name)
        total = len(changes.for_form(form_id))
        # requestId -> live keys landed earlier, for the requests this run re-fetches only
        before = landed.live_children(ctx, spec, changes.for_form(form_id))
        rows: list[dict] = []
        gone_rows: list[dict] = []
        n_req = 0
        done = 0
        fetched: set[str] = set()
        for rid, result in feed.results():
            done += 1
            if result is None:  # deleted meanwhile: the sweep sees to it
                continue
            fetched.add(rid)
            keys = set()
            for r in result:
                r = prepare(r, rid) if prepare else r
                r.setdefault("requestId", rid)
                keys.add(str(r.get(spec.key)))
                rows.append(r)
            for k in sorted(before.get(rid, set()) - keys):
                gone_rows.append({spec.key: k, "requestId": rid})
            n_req += 1
            if n_req >= BATCH_REQUESTS:
                ctx.tick(spec.name, done, total)
                yield _table(ctx, spec, rows)
                rows, n_req = [], 0
        if rows:
            yield _table(ctx, spec, rows)
        ctx.tick(spec.name, done, total)
        anchor = changes.last_operate
        if not since:
            gone = run.gone_requests(None, set(changes.ids))
        elif _sweep_due(cursor_in, anchor):
            gone = run.gone_requests(run.sweep_start(_day(anchor)))
        else:
            gone = set()
        vanished = gone - fetched
        if vanished:  # their landed children are read now: `before` covers fetched ones only
            before = landed.live_children(ctx, spec, vanished)
        for rid in sorted(vanished):
            gone_rows.extend({spec.key: k, "requestId": rid} for k in sorted(before.get(rid, ())))
        if gone_rows:
            yield tombstone_rows(spec, gone_rows)
        cursor_out["last_operate"] = anchor
        cursor_out["swept"] = (
            anchor[:10] if (not since or _sweep_due(cursor_in, anchor)) else cursor_in.get("swept")
        )

    return pages


def _log_prepare(r: dict, rid: str) -> dict:
    return {k: r.get(k) for k in WORKFLOW_REQUEST_LOGS.names} | {
        "requestId": r.get("requestId") or rid
    }


def _operator_prepare(r: dict, rid: str) -> dict:
    return {
        k: (None if r.get(k) is None else str(r.get(k))) for k in WORKFLOW_REQUEST_OPERATORS.names
    } | {"requestId": str(r.get("requestId") or rid)}


# -- HRM -----------------------------------------------------------------------------------
def hrm_pages(run: OaRun, spec: EntitySpec):
    ctx = run.ctx
    overlap = dt.timedelta(seconds=run.settings.overlap_s)

    def pages(cursor_in: dict, cursor_out: dict) -> Iterator[pa.Table]:
        since = cursor_in.get("modified") or ""
        start = ""
        if since:
            start = (dt.datetime.strptime(since, "%Y-%m-%d %H:%M:%S") - overlap).strftime(
                "%Y-%m-%d %H:%M:%S"
            )
        client = run.client()
        seen: set[str] = set()
        newest = since
        page = 1
        while True:
            rows, total = client.hrm_page(spec.name, page, HRM_PAGE, start)
            fresh = [r for r in rows if str(r.get(spec.key)) not in seen]
            seen.update(str(r.get(spec.key)) for r in rows)
            table = _table(ctx, spec, fresh)
            good = [m for m in table.column("modified").to_pylist() if m is not None]
            if good:
                newest = max(newest, max(good).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"))
            ctx.tick(spec.name, len(seen), total if isinstance(total, int) else None)
            yield table
            if len(rows) < HRM_PAGE:
                break
            page += 1
        if not since:  # a full listing: keys the OA no longer has
            alive = landed.live(landed.latest(ctx, spec, []))
            keys = sorted(set(alive[spec.key].to_pylist()) - seen)
            if keys:
                yield tombstone_rows(spec, [{spec.key: k} for k in keys])
        cursor_out["modified"] = newest

    return pages


def page_functions(run: OaRun) -> dict[str, Callable]:
    """Entity name → ``pages(cursor_in, cursor_out)``."""
    out = {
        WORKFLOW_REQUESTS.name: request_pages(run),
        WORKFLOW_REQUEST_LOGS.name: child_pages(
            run, WORKFLOW_REQUEST_LOGS, _log_rows, prepare=_log_prepare
        ),
        WORKFLOW_REQUEST_OPERATORS.name: child_pages(
            run, WORKFLOW_REQUEST_OPERATORS, _operator_rows, prepare=_operator_prepare
        ),
        HRM_RESOURCE.name: hrm_pages(run, HRM_RESOURCE),
        HRM_DEPARTMENT.name: hrm_pages(run, HRM_DEPARTMENT),
    }
    for name, spec in FORM_SPECS.items():
        out[name] = child_pages(run, spec, _form_fetch(spec), form_id=FORM_ID[name])
    return out
