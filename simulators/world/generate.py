"""Generate, advance and summarise the synthetic world.

Layout of a world folder (``$ZHONGTAI_DATA_DIR/world`` by default)::

    world.json                 seed, scale, start and current date, files written, counts
    <system>/<entity>.parquet  what each source system shows today (served by the simulators)
    <system>/_deleted/<entity>.parquet   records deleted so far (ZOHO serves them as its log)
    _timeline/<system>/<entity>/part-*.parquet  every version of every record, future
                               included, one part per block of generated days
    _truth/*.json              planted defects and expected answers (tests only; the pipeline
                               never reads _truth/ or _timeline/)

Bank statement files are written to the inbox (``$ZHONGTAI_DATA_DIR/inbox/bank``).
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import multiprocessing as mp
import os
import shutil
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from simulators.world import schemas
from simulators.world.context import Ctx, WorldConfig
from simulators.world.customers import (
    CUSTOMERS_AT_START,
    CustomerBook,
    gen_customers_day,
    gen_materials,
)
from simulators.world.materialize import materialize
from simulators.world.org import Org
from simulators.world.workcal import DAY, date_of_day, day_of_date

FORMAT_VERSION = 1
HISTORY_DAYS = 3 * 365
Progress = Callable[[str, int, int], None]


class WorldError(Exception):
    """A problem the user can fix (bad arguments, missing or damaged world)."""


# -- building the books every chunk needs ---------------------------------------------------


class _Books:
    """Org, products and every customer created through ``last_day``. Deterministic given
    ``cfg`` and ``last_day``: each worker process builds its own copy."""

    def __init__(self, cfg: WorldConfig, last_day: int):
        self.cfg = cfg
        self.last_day = last_day
        self.org = Org(cfg.seed, cfg.scale, cfg.start_day)
        self.book = CustomerBook()
        self.customer_tl: dict[int, dict] = {}
        self.customer_truth: dict[int, dict] = {}
        ctx = self._ctx(cfg.start_day - 1, "products")
        self.products = gen_materials(ctx)
        self.static_timelines = ctx.timelines
        # customers: the base existing before the start, then new ones day by day
        base = self._ctx(cfg.start_day - 1, "customers")
        gen_customers_day(base, self.book, n_override=round(CUSTOMERS_AT_START * cfg.scale))
        self.customer_tl[cfg.start_day - 1] = base.timelines
        self.customer_truth[cfg.start_day - 1] = base.truth
        for day in range(cfg.start_day, last_day + 1):
            ctx = self._ctx(day, "customers")
            gen_customers_day(ctx, self.book)
            self.customer_tl[day] = ctx.timelines
            self.customer_truth[day] = ctx.truth

    def _ctx(self, day: int, stream: str) -> Ctx:
        ctx = Ctx(
            cfg=self.cfg,
            org=getattr(self, "org", None),
            day=day,
            stream_no={"products": 6, "customers": 7}.get(stream, 0),
            rng=self.cfg.rng(stream, day),
        )
        ctx.customers = getattr(self, "book", None)
        ctx.products = getattr(self, "products", [])
        return ctx


def _org_timelines(cfg: WorldConfig, org: Org) -> Ctx:
    """OA departments and employees, CRM users — with team moves as versions."""
    from simulators.world.org import ROLE_TITLES

    ctx = Ctx(cfg=cfg, org=org, day=cfg.start_day - 1)
    deps = ctx.tl("oa", "HrmDepartment")
    t0 = (cfg.start_day - 2000) * DAY + 9 * 3600
    for d in org.depts.values():
        deps.put(
            str(d.did),
            t0,
            {
                "id": str(d.did),
                "departmentname": d.name,
                "departmentmark": d.name,
                "supdepid": str(d.parent) if d.parent else "0",
                "subcompanyid1": "1",
                "canceled": "0",
                "created": t0,
                "modified": t0,
            },
        )
    res = ctx.tl("oa", "HrmResource")
    users = ctx.tl("crm", "users")
    for p in org.people:
        ht = p.hire_day * DAY + 9 * 3600
        mgr = org.manager_of(p.pid, p.hire_day)
        res.put(
            p.oa_id,
            ht,
            {
                "id": p.oa_id,
                "workcode": p.workcode,
                "lastname": p.name,
                "loginid": p.workcode.lower(),
                "email": p.email,
                "mobile": p.mobile,
                "departmentid": str(p.history[0][1]),
                "jobtitle": ROLE_TITLES[p.role],
                "managerid": org.person(mgr).oa_id if mgr != p.pid else "",
                "status": "1",
                "createdate": ht,
                "modified": ht,
            },
        )
        region = org.region_at(p.pid, p.hire_day)
        users.put(
            p.crm_user_id,
            ht,
            {
                "id": p.crm_user_id,
                "full_name": p.name,
                "last_name": p.name,
                "email": p.email,
                "status": "active",
                "role.name": ROLE_TITLES[p.role],
                "role.id": p.role,
                "profile.name": "Administrator" if p.role == "executive" else "Standard",
                "Employee_Id": p.workcode,
                "Region": region,
                "Created_Time": ht,
                "Modified_Time": ht,
            },
        )
        for day, did in p.history[1:]:
            mt = day * DAY + 9 * 3600
            mgr = org.manager_of(p.pid, day)
            res.change(
                p.oa_id, mt, departmentid=str(did), managerid=org.person(mgr).oa_id, modified=mt
            )
            users.change(p.crm_user_id, mt, Region=org.region_at(p.pid, day), Modified_Time=mt)
    return ctx


# -- per-day generation (runs in worker processes) ---------------------------------------------

# Set in each worker by _init_worker, and in this process while it generates chunks itself.
_BOOKS: _Books | None = None
_OUT: Path | None = None
STREAM_NO = {"sales": 1, "visits": 2, "expense": 3, "notices": 4, "targets": 5}
CHUNK_DAYS = 32


def _gen_days(days: list[int]) -> tuple[dict[str, list], int]:
    """Generate ``days`` and write their timeline parts; returns (planted truth, rows)."""
    # The timelines hold millions of small dicts the cyclic GC would rescan over and over;
    # nothing generated here forms reference cycles, so collection waits until the block ends.
    gc.disable()
    try:
        tables, truth = _gen_days_inner(days)
    finally:
        gc.enable()
    assert _OUT is not None
    rows = 0
    for (system, name), parts in tables.items():
        t = pa.concat_tables(parts)
        rows += t.num_rows
        _write(t, _part_path(_OUT, system, name, f"{days[0]:06d}-{days[-1]:06d}"))
    return truth, rows


def _gen_days_inner(days: list[int]) -> tuple[dict[tuple[str, str], list[pa.Table]], dict]:
    from simulators.world.expense import gen_expense_day
    from simulators.world.notices import gen_notices_day
    from simulators.world.sales import gen_sales_day, gen_visit_plans_day

    books = _BOOKS
    assert books is not None
    cfg = books.cfg
    tables: dict[tuple[str, str], list[pa.Table]] = {}
    truth: dict[str, list] = {}
    streams = (
        ("sales", lambda c: gen_sales_day(c, books.book)),
        ("visits", lambda c: gen_visit_plans_day(c, books.book)),
        ("expense", gen_expense_day),
        ("notices", gen_notices_day),
        ("targets", _targets),
    )
    ctxs = [books._ctx(days[0], stream) for stream, _fn in streams]
    for day in days:
        for ctx, (stream, fn) in zip(ctxs, streams, strict=True):
            # each day of each stream draws from its own seeded stream; ids carry the stream
            ctx.day = day
            ctx.rng = cfg.rng(stream, day)
            ctx.stream_no = STREAM_NO[stream]
            ctx.counters = {}
            fn(ctx)
        for k, v in books.customer_truth.get(day, {}).items():
            truth.setdefault(k, []).extend(v)
        cust = books.customer_tl.get(day, {})
        for key, tl in cust.items():
            tables.setdefault(key, []).append(tl.to_arrow(seq_offset=day * 10_000_000))
    for i, ctx in enumerate(ctxs):
        for k, v in ctx.truth.items():
            truth.setdefault(k, []).extend(v)
        for key, tl in ctx.timelines.items():
            tables.setdefault(key, []).append(
                tl.to_arrow(seq_offset=(i + 1) * 100_000_000_000 + days[0] * 10_000_000)
            )
    return tables, truth


def _targets(ctx: Ctx) -> None:
    from simulators.world.sales import gen_targets_year

    d = date_of_day(ctx.day)
    if ctx.day == ctx.cfg.start_day:
        gen_targets_year(ctx, d.year)
    if d.month == 12 and d.day == 12:
        gen_targets_year(ctx, d.year + 1)


def _chunks(days: list[int]) -> list[list[int]]:
    """Days grouped by fixed calendar blocks, so the grouping (and with it the version order
    of the timelines) does not depend on the number of worker processes."""
    out: dict[int, list[int]] = {}
    for d in days:
        out.setdefault(d // CHUNK_DAYS, []).append(d)
    return list(out.values())


def _init_worker(cfg: WorldConfig, last_day: int, out: Path) -> None:
    """Runs once in each worker process: build the books there (workers are spawned, not
    forked, so they inherit nothing from this process)."""
    global _BOOKS, _OUT
    _BOOKS, _OUT = _Books(cfg, last_day), out


def _generate_days(
    cfg: WorldConfig,
    last_day: int,
    out: Path,
    days: list[int],
    progress: Progress | None,
    workers: int,
    books: _Books | None = None,
) -> dict[str, list]:
    """Generate ``days`` in blocks, in ``workers`` processes; returns the planted truth.

    ``books`` is this process's copy, if it has one built through ``last_day``; it is built
    here only when a block is generated in this process.

    Workers are spawned rather than forked: a fork of this process, which may hold pyarrow,
    DuckDB or test threads, can copy a lock mid-use and deadlock the child. A worker that dies
    breaks the pool (BrokenProcessPool) instead of hanging it; the blocks not finished by then
    are generated here, so the result is the same.
    """
    global _BOOKS, _OUT
    chunks = _chunks(days)
    truth: dict[str, list] = {}
    done = 0
    if progress:
        progress("generating days", 0, len(days))

    def collect(res: tuple[dict[str, list], int], n: int) -> None:
        nonlocal done
        tr, _rows = res
        for k, v in tr.items():
            truth.setdefault(k, []).extend(v)
        done += n
        if progress:
            progress("generating days", done, len(days))

    futures: list[Future] = []
    collected = 0  # blocks collected so far, in order
    if workers > 1 and len(chunks) > 1:
        pool = ProcessPoolExecutor(
            min(workers, len(chunks)),
            mp_context=mp.get_context("spawn"),
            initializer=_init_worker,
            initargs=(cfg, last_day, out),
        )
        try:
            futures = [pool.submit(_gen_days, ch) for ch in chunks]
            for fut, ch in zip(futures, chunks, strict=True):
                collect(fut.result(), len(ch))
                collected += 1
        except BrokenProcessPool as exc:
            print(
                f"warning: a world generator worker process died ({exc}); generating the "
                f"remaining {len(chunks) - collected} of {len(chunks)} day blocks in this "
                "process instead (slower, same result)",
                file=sys.stderr,
                flush=True,
            )
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    if collected == len(chunks):
        return truth
    if books is None or books.last_day != last_day:
        books = _Books(cfg, last_day)
    _BOOKS, _OUT = books, out
    try:
        for i in range(collected, len(chunks)):
            fut = futures[i] if i < len(futures) else None
            if fut is not None and fut.done() and not fut.cancelled() and fut.exception() is None:
                res = fut.result()  # finished by a worker before the pool broke
            else:
                res = _gen_days(chunks[i])
            collect(res, len(chunks[i]))
    finally:
        _BOOKS = _OUT = None
    return truth


# -- files ----------------------------------------------------------------------------------


def _write(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp, compression="zstd", row_group_size=256_000)
    os.replace(tmp, path)


def _part_path(root: Path, system: str, name: str, part: str) -> Path:
    return root / "_timeline" / system / name / f"part-{part}.parquet"


def _timeline_glob(root: Path, system: str, name: str) -> str:
    folder = root / "_timeline" / system / name
    if not any(folder.glob("part-*.parquet")):
        raise WorldError(
            f"world at {root} is incomplete: no timeline for {system}/{name}; regenerate it "
            "with `zhongtai world generate --force`"
        )
    return str(folder / "part-*.parquet")


def _materialize_all(root: Path, as_of_day: int, progress: Progress | None) -> dict:
    from simulators.world.mess import apply_mess

    cutoff = (as_of_day + 1) * DAY
    counts: dict[str, dict[str, int]] = {}
    for i, ent in enumerate(schemas.ALL):
        live, deleted = materialize(_timeline_glob(root, ent.system, ent.name), ent, cutoff)
        live = apply_mess(root, ent, live)
        _write(live, root / ent.system / f"{ent.name}.parquet")
        _write(deleted, root / ent.system / "_deleted" / f"{ent.name}.parquet")
        counts.setdefault(ent.system, {})[ent.name] = _live_count(ent, live)
        del live, deleted
        if progress:
            progress("materializing", i + 1, len(schemas.ALL))
    return counts


def _live_count(ent, live: pa.Table) -> int:
    """Records as the source counts them: documents for Kingdee bills, rows otherwise."""
    if ent.system == "erp" and "FID" in live.column_names and ent.name != "STK_Inventory":
        return len(pa.compute.unique(live["FID"]))
    return live.num_rows


# -- public API -----------------------------------------------------------------------------


def generate(
    out: Path,
    *,
    seed: int,
    scale: float,
    as_of: dt.date,
    inbox: Path,
    progress: Progress | None = None,
    workers: int | None = None,
) -> dict:
    """Generate a world with ``HISTORY_DAYS`` of history ending on ``as_of``."""
    if scale <= 0:
        raise WorldError(f"--scale must be positive, got {scale}")
    out = Path(out)
    as_of_day = day_of_date(as_of)
    cfg = WorldConfig(seed=seed, scale=scale, start_day=as_of_day - HISTORY_DAYS + 1)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    workers = workers or min(2, os.cpu_count() or 1)
    if progress:
        progress("customers and org", 0, 1)
    # Worker processes build the day-by-day customers themselves; with them this process only
    # needs the part before the first day (org, products, the customers existing at the start).
    books = _Books(cfg, as_of_day if workers == 1 else cfg.start_day - 1)
    # every entity gets an empty part, so its schema is known even when nothing was generated
    for ent in schemas.ALL:
        _write(ent.arrow_schema().empty_table(), _part_path(out, ent.system, ent.name, "empty"))
    for (system, name), t in _static_tables(cfg, books).items():
        _write(t, _part_path(out, system, name, "static"))
    if progress:
        progress("customers and org", 1, 1)
    days = list(range(cfg.start_day, as_of_day + 1))
    truth = _generate_days(cfg, as_of_day, out, days, progress, workers, books)
    # customers existing before the start (generated with the books, not in a day block)
    truth = _merge_truth(books.customer_truth.get(cfg.start_day - 1, {}), truth)
    del books
    meta = {
        "format_version": FORMAT_VERSION,
        "seed": seed,
        "scale": scale,
        "start_date": date_of_day(cfg.start_day).isoformat(),
        "generated_as_of": as_of.isoformat(),
        "generated_through": as_of.isoformat(),
        "as_of": as_of.isoformat(),
        "inbox": str(Path(inbox).resolve()),
        "bank_files_through": None,
    }
    return _finish(out, meta, as_of_day, truth, progress)


def _static_tables(cfg: WorldConfig, books: _Books) -> dict[tuple[str, str], pa.Table]:
    out: dict[tuple[str, str], pa.Table] = {}
    org_ctx = _org_timelines(cfg, books.org)
    for ctxtl, off in ((books.static_timelines, 1), (org_ctx.timelines, 2)):
        for key, tl in ctxtl.items():
            out[key] = tl.to_arrow(seq_offset=-off * 10_000_000)
    base = books.customer_tl.get(cfg.start_day - 1, {})
    for key, tl in base.items():
        t = tl.to_arrow(seq_offset=-3 * 10_000_000)
        out[key] = pa.concat_tables([out[key], t]) if key in out else t
    return out


def _merge_truth(old: dict, new: dict) -> dict:
    merged = {k: list(v) for k, v in old.items()}
    for k, v in new.items():
        merged.setdefault(k, []).extend(v)
    return merged


def _finish(out: Path, meta: dict, as_of_day: int, truth: dict, progress: Progress | None) -> dict:
    from simulators.world.bank_files import write_statement_files
    from simulators.world.truth import write_truth

    counts = _materialize_all(out, as_of_day, progress)
    # bank statement files for every week that has ended
    inbox = Path(meta["inbox"])
    inbox.mkdir(parents=True, exist_ok=True)
    lines = pq.read_table(out / "bank" / "statements.parquet")
    lines = lines.append_column(
        "_day", pa.compute.divide(lines["_created"], pa.scalar(DAY, pa.int64()))
    )
    first = (
        day_of_date(dt.date.fromisoformat(meta["bank_files_through"])) + 1
        if meta["bank_files_through"]
        else day_of_date(dt.date.fromisoformat(meta["start_date"]))
    )
    if progress:
        progress("bank statement files", 0, 1)
    bank_truth = write_statement_files(lines, inbox, first, as_of_day)
    if progress:
        progress("bank statement files", 1, 1)
    meta["bank_files_through"] = date_of_day(as_of_day).isoformat()
    old_bank = out / "_truth" / "planted" / "bank_file_mess.json"
    if old_bank.exists():
        truth.setdefault("bank_file_mess", []).extend(json.loads(old_bank.read_text("utf-8")))
    truth.setdefault("bank_file_mess", []).extend(bank_truth)
    write_truth(out, truth, as_of_day)
    meta["counts"] = counts
    (out / "world.json").write_text(
        json.dumps(meta, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return meta


def load_meta(world: Path) -> dict:
    p = Path(world) / "world.json"
    if not p.exists():
        raise WorldError(f"no world at {world}: run `zhongtai world generate` first")
    try:
        meta = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise WorldError(
            f"{p} is damaged ({e}); regenerate with `zhongtai world generate --force`"
        ) from e
    if meta.get("format_version") != FORMAT_VERSION:
        raise WorldError(f"{p} was written by another version of Zhongtai; regenerate it")
    return meta


def advance(
    out: Path, *, days: int, progress: Progress | None = None, workers: int | None = None
) -> dict:
    """Move the world's current date forward by ``days``, creating the business of those
    days; records created earlier change as their future unfolds."""
    if days < 1:
        raise WorldError(f"--days must be at least 1, got {days}")
    out = Path(out)
    meta = load_meta(out)
    old_day = day_of_date(dt.date.fromisoformat(meta["as_of"]))
    new_day = old_day + days
    gen_through = day_of_date(dt.date.fromisoformat(meta.get("generated_through", meta["as_of"])))
    cfg = WorldConfig(
        seed=meta["seed"],
        scale=meta["scale"],
        start_day=day_of_date(dt.date.fromisoformat(meta["start_date"])),
    )
    workers = workers or min(2, os.cpu_count() or 1)
    truth_new: dict = {}
    if new_day > gen_through:
        new_days = list(range(gen_through + 1, new_day + 1))
        truth_new = _generate_days(cfg, new_day, out, new_days, progress, workers)
        meta["generated_through"] = date_of_day(new_day).isoformat()
    from simulators.world.truth import read_planted

    truth = _merge_truth(read_planted(out), truth_new)
    meta["as_of"] = date_of_day(new_day).isoformat()
    meta = _finish(out, meta, new_day, truth, progress)
    meta["changes"] = _changes(out, old_day, new_day)
    return meta


def _changes(out: Path, old_day: int, new_day: int) -> dict:
    created = modified = deleted = 0
    lo, hi = (old_day + 1) * DAY, (new_day + 1) * DAY
    for ent in schemas.ALL:
        live = pq.read_table(
            out / ent.system / f"{ent.name}.parquet", columns=["_created", "_modified"]
        )
        c = np.asarray(live["_created"])
        m = np.asarray(live["_modified"])
        created += int(((c >= lo) & (c < hi)).sum())
        modified += int(((c < lo) & (m >= lo) & (m < hi)).sum())
        dead = pq.read_table(
            out / ent.system / "_deleted" / f"{ent.name}.parquet", columns=["deleted_time"]
        )
        d = np.asarray(dead["deleted_time"])
        deleted += int(((d >= lo) & (d < hi)).sum())
    return {"created": created, "modified": modified, "deleted": deleted}


def summary(world: Path) -> dict[str, dict[str, int]]:
    """Live records per system and entity, as the sources count them."""
    meta = load_meta(world)
    return meta["counts"]


def entities() -> Iterable[tuple[str, str]]:
    return ((e.system, e.name) for e in schemas.ALL)
