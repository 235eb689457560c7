"""Landing-zone compaction: many small per-load Parquet files merged into one file per month.

Every extraction run adds one file per changed entity (``<load_id>.<file_id>.parquet``), so the
15-minute working-hours schedule adds about 40 files a day to each entity folder, some 10,000 a
year. Every reader of the change log (staging, the quality checks, the extractors' own
delete sweeps) opens all of them; DuckDB's dedupe of one entity read from 3,000 small files
took 2.7 times as long as from one (measured in docs/decisions.md).

``compact_landing`` merges, per entity folder, runs of consecutive small files of the same
calendar month (UTC, from the load id that starts each file name) into one file:

* **Nothing changes for readers.** Every row is kept as it was — every version, ``_op``,
  ``_extracted_at`` and ``_dlt_load_id`` — in the original order, with the files' schemas
  unified the way ``union_by_name`` reads them. Staging's latest-version logic sees the same
  change log. The merged file is named after the first load it holds, so name order stays
  load order.
* **Recent loads stay as they are** (``older_than``; default: the last day), and so do large
  files (the initial full extraction): they are already cheap to read and would be
  rewritten for nothing.
* **Crash-safe.** The merged file is written under a temporary name; a journal
  (``<entity>/.compaction.json``) names it and its inputs before it is moved into place; the
  inputs are deleted after. A run that dies anywhere is finished or undone by the next one:
  no row is lost and none is doubled. Between the move and the deletes a reader may see a
  row twice (the merged file and its input); staging keeps one version per key, so its
  result does not change.
* **Only finished loads**: a file whose load dlt has not recorded as complete
  (``<system>/_dlt_loads/``) may still be rewritten by dlt, so it is left alone.
* **Readers are not pulled from under.** Zhongtai's own readers of the landing zone (the
  extractors' delete sweeps, the bank ledger, the quality checks) hold a shared lock while
  they list and read files (``reading``); the move and the deletes wait for them, and they
  wait for the move and the deletes. dbt is kept apart by Dagster's warehouse pool; do not
  run ``zhongtai compact`` by hand during a ``zhongtai build``.
* **One at a time.** A lock file stops a second compaction; extraction may add files
  meanwhile (newer ones, which this run does not touch).
* **Bounded.** A merged file stops growing at ``SMALL_BYTES`` of input; after that it counts
  as large and is left alone, so a month is not rewritten every night for ever.

A group whose files cannot be read or unified (a column changed type incompatibly) is left as
it is and reported; the other groups are still compacted.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

# Files at least this large are left alone (the initial extraction's, or an earlier merge that
# already holds a month).
SMALL_BYTES = 64 * 1024 * 1024
JOURNAL = ".compaction.json"
LOCK = ".compaction.lock"
READERS_LOCK = ".readers.lock"
_LOAD_ID = re.compile(r"^(\d{9,11}(?:\.\d+)?)\.")

ProgressFn = Callable[[str, int, int | None], None]


class CompactionError(Exception):
    """The landing zone cannot be compacted now (another compaction holds the lock, or the
    folder is missing); the message says what to do."""


@dataclass
class GroupResult:
    """One merge: ``inputs`` (file names) into ``output``, or why it was left alone."""

    month: str
    inputs: list[str]
    output: str | None = None
    rows: int = 0
    bytes_before: int = 0
    bytes_after: int = 0
    skipped: str | None = None


@dataclass
class EntityCompaction:
    system: str
    entity: str
    files_before: int
    files_after: int
    groups: list[GroupResult] = field(default_factory=list)
    recovered: str | None = None

    @property
    def rows(self) -> int:
        return sum(g.rows for g in self.groups if g.output)

    @property
    def skipped(self) -> list[GroupResult]:
        return [g for g in self.groups if g.skipped]


@dataclass
class CompactionReport:
    landing: Path
    entities: list[EntityCompaction]
    seconds: float
    dry_run: bool = False

    @property
    def files_before(self) -> int:
        return sum(e.files_before for e in self.entities)

    @property
    def files_after(self) -> int:
        return sum(e.files_after for e in self.entities)

    @property
    def skipped(self) -> list[tuple[EntityCompaction, GroupResult]]:
        return [(e, g) for e in self.entities for g in e.skipped]


def load_time(name: str) -> dt.datetime | None:
    """The load time a landing file name starts with (dlt's load id: Unix seconds), or None
    for a file not named that way (left alone)."""
    m = _LOAD_ID.match(name)
    if not m:
        return None
    return dt.datetime.fromtimestamp(float(m.group(1)), dt.UTC)


def entity_folders(landing: Path) -> Iterator[tuple[str, str, Path]]:
    """(system, entity, folder) of every change-log folder: ``landing/<system>/<entity>/``,
    skipping dlt's and Zhongtai's own folders (``_dlt_*``, ``_quarantine``, ``init``, …)."""
    for sys_dir in sorted(p for p in landing.iterdir() if p.is_dir()):
        if sys_dir.name.startswith(("_", ".")):
            continue
        for ent_dir in sorted(p for p in sys_dir.iterdir() if p.is_dir()):
            if ent_dir.name.startswith(("_", ".")) or ent_dir.name == "init":
                continue
            yield sys_dir.name, ent_dir.name, ent_dir


def completed_loads(system_dir: Path) -> set[str] | None:
    """Load ids dlt recorded as complete for this system folder (``_dlt_loads/<schema>__<load
    id>.jsonl``), or None when the folder was not written by dlt (then every file counts)."""
    loads = system_dir / "_dlt_loads"
    if not loads.is_dir():
        return None
    return {p.name.removesuffix(".jsonl").rsplit("__", 1)[-1] for p in loads.glob("*.jsonl")}


def _load_id(name: str) -> str | None:
    m = _LOAD_ID.match(name)
    return m.group(1) if m else None


def plan_groups(
    files: list[Path],
    older_than: dt.datetime,
    small_bytes: int = SMALL_BYTES,
    complete: set[str] | None = None,
) -> list[list[Path]]:
    """Runs of consecutive (by name) small files of one month, of loads finished (``complete``;
    None: all) before ``older_than``, each run holding less than ``small_bytes``; only runs of
    two or more files are worth merging. A file that is large, recent, unfinished or not
    named by its load breaks the run, so the merged file takes the place of its inputs in
    name order."""
    groups: list[list[Path]] = []
    run: list[Path] = []
    size = 0
    month: str | None = None

    def close() -> None:
        nonlocal size
        if len(run) > 1:
            groups.append(list(run))
        run.clear()
        size = 0

    for f in sorted(files, key=lambda p: p.name):
        at, load, n = load_time(f.name), _load_id(f.name), f.stat().st_size
        unfinished = complete is not None and load not in complete and ".compacted-" not in f.name
        if at is None or at >= older_than or n >= small_bytes or unfinished:
            close()
            month = None
            continue
        m = at.strftime("%Y-%m")
        if m != month or size + n > small_bytes:
            close()
            month = m
        run.append(f)
        size += n
    close()
    return groups


def _merge(files: list[Path]) -> pa.Table:
    """The files' rows in order, their schemas unified by column name (missing columns null;
    widened types where Arrow can promote them losslessly). dlt writes ``_dlt_load_id`` as a
    dictionary with an 8-bit index (one load per file); a merged file holds many loads, so
    dictionary indexes are widened to 32 bits (else more than 128 loads do not read back)."""
    table = pa.concat_tables([pq.read_table(f) for f in files], promote_options="permissive")
    fields = []
    for f in table.schema:
        if pa.types.is_dictionary(f.type) and f.type.index_type.bit_width < 32:
            f = f.with_type(pa.dictionary(pa.int32(), f.type.value_type, f.type.ordered))
        if pa.types.is_decimal256(f.type):
            raise pa.ArrowTypeError(f"column {f.name} would widen beyond 38 decimal digits")
        fields.append(f)
    return table.cast(pa.schema(fields, metadata=table.schema.metadata))


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_json_atomic(path: Path, payload: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def recover(folder: Path) -> str | None:
    """Finish or undo a compaction a crash interrupted in ``folder``; returns what was done.
    Temporary files no journal names (a crash while writing one) are removed."""
    journal = folder / JOURNAL
    done = None
    if journal.exists():
        try:
            plan = json.loads(journal.read_text(encoding="utf-8"))
            output, tmp, inputs = plan["output"], plan["tmp"], plan["inputs"]
        except (ValueError, KeyError, TypeError) as e:
            raise CompactionError(
                f"{journal} cannot be read ({e}); it is written atomically, so it was edited. "
                "Look at the folder: if a *.compacted-*.parquet file holds the rows of the "
                "inputs the journal lists, delete those inputs; then delete the journal"
            ) from None
        if (folder / output).exists():
            left = [n for n in inputs if (folder / n).exists()]
            with _exclusive(folder.parent.parent):
                for name in left:
                    (folder / name).unlink()
            done = f"finished an interrupted merge into {output} ({len(left)} input files removed)"
        else:
            (folder / tmp).unlink(missing_ok=True)
            done = f"undid an interrupted merge into {output} (inputs kept)"
        journal.unlink()
    for orphan in folder.glob(".*.tmp"):
        orphan.unlink()
        done = (done + "; " if done else "") + f"removed {orphan.name} (a merge cut short)"
    return done


def _merge_group(folder: Path, group: list[Path], month: str) -> GroupResult:
    res = GroupResult(
        month=month,
        inputs=[f.name for f in group],
        bytes_before=sum(f.stat().st_size for f in group),
    )
    try:
        table = _merge(group)
    except (pa.ArrowException, OSError) as e:
        res.skipped = f"its files cannot be read or unified ({str(e).splitlines()[0][:200]})"
        return res
    output = f"{_load_id(group[0].name)}.compacted-{uuid.uuid4().hex[:8]}.parquet"
    tmp = f".{output}.tmp"
    try:
        pq.write_table(table, folder / tmp, compression="zstd")
        with open(folder / tmp, "rb") as fh:
            os.fsync(fh.fileno())
    except OSError as e:
        (folder / tmp).unlink(missing_ok=True)
        res.skipped = f"the merged file could not be written ({e}); inputs kept"
        return res
    _write_json_atomic(folder / JOURNAL, {"output": output, "tmp": tmp, "inputs": res.inputs})
    with _exclusive(folder.parent.parent):  # readers finish listing and reading first
        os.replace(folder / tmp, folder / output)
        _fsync_dir(folder)
        for f in group:
            f.unlink()
        _fsync_dir(folder)
    (folder / JOURNAL).unlink()
    res.output = output
    res.rows = table.num_rows
    res.bytes_after = (folder / output).stat().st_size
    return res


@contextmanager
def _flock(path: Path, mode: int) -> Iterator[None]:
    with open(path, "a+") as fh:
        fcntl.flock(fh.fileno(), mode)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


@contextmanager
def reading(landing: Path) -> Iterator[None]:
    """Hold while listing and reading landing files: a compaction does not move or delete
    files meanwhile (it waits). Does nothing when there is no landing zone yet."""
    if not landing.is_dir():
        yield
        return
    with _flock(landing / READERS_LOCK, fcntl.LOCK_SH):
        yield


def _exclusive(landing: Path):
    return _flock(landing / READERS_LOCK, fcntl.LOCK_EX)


@contextmanager
def _locked(landing: Path) -> Iterator[None]:
    """One compaction at a time: a second one is refused at once, not queued."""
    path = landing / LOCK
    held = False
    try:
        with _flock(path, fcntl.LOCK_EX | fcntl.LOCK_NB):
            held = True
            yield
    except BlockingIOError:
        if held:
            raise
        raise CompactionError(
            f"another compaction of {landing} is running (it holds {path}); wait for it "
            "to finish, then run this again"
        ) from None


def compact_landing(
    landing: Path,
    *,
    older_than: dt.datetime | None = None,
    small_bytes: int = SMALL_BYTES,
    dry_run: bool = False,
    progress: ProgressFn | None = None,
) -> CompactionReport:
    """Merge each entity's small files of a month (loaded before ``older_than``; default one
    day ago) into one file. ``dry_run``: report what would be merged, change nothing."""
    if not landing.is_dir():
        raise CompactionError(
            f"no landing zone at {landing}: run `zhongtai extract` first, or point "
            "ZHONGTAI_DATA_DIR at the data folder that holds landing/"
        )
    older_than = older_than or dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    t0 = time.perf_counter()
    entities: list[EntityCompaction] = []
    with _locked(landing):
        folders = list(entity_folders(landing))
        for i, (system, entity, folder) in enumerate(folders):
            if dry_run and (folder / JOURNAL).exists():
                n = len(list(folder.glob("*.parquet")))
                result = EntityCompaction(system, entity, n, n)
                result.recovered = "an interrupted merge waits to be finished (by a real run)"
                entities.append(result)
                continue
            recovered = None if dry_run else recover(folder)
            files = list(folder.glob("*.parquet"))
            result = EntityCompaction(system, entity, len(files), len(files), recovered=recovered)
            complete = completed_loads(folder.parent)
            for group in plan_groups(files, older_than, small_bytes, complete):
                month = load_time(group[0].name).strftime("%Y-%m")  # type: ignore[union-attr]
                if dry_run:
                    g = GroupResult(month, [f.name for f in group])
                    g.bytes_before = sum(f.stat().st_size for f in group)
                    g.rows = sum(pq.ParquetFile(f).metadata.num_rows for f in group)
                    g.output = "(dry run)"
                else:
                    g = _merge_group(folder, group, month)
                if g.output:
                    result.files_after -= len(group) - 1
                result.groups.append(g)
            entities.append(result)
            if progress:
                progress("compact", i + 1, len(folders))
    return CompactionReport(landing, entities, time.perf_counter() - t0, dry_run)
