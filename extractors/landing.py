"""The landing zone: an append-only Parquet change log per system and entity.

``data/landing/<system>/<entity>/<load_id>.<file_id>.parquet`` — written by dlt's filesystem
destination (one pipeline per system, source field names kept with dlt's ``direct`` naming,
``_dlt_load_id`` added to every row). Every version of a record as extracted lands with
``_op`` (upsert / delete) and ``_extracted_at``; staging keeps the latest version per key, so
re-extracting after a crash duplicates nothing that matters.

Cursors live in dlt's resource state, which dlt commits with the load package: a cursor moves
only once the data it covers is in the landing zone. A run killed mid-way resumes the pending
package on the next run, or re-extracts from the old cursor.

Bad records go to ``data/landing/_quarantine/`` (Parquet: system, entity, record key, field,
reason, value, the raw record). Each run's per-entity summary is kept in
``data/landing/_runs/``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from extractors.records import EntitySpec
from extractors.settings import ExtractSettings

# dlt settings: keep source names, add the load id, never phone home (no internet here).
_DLT_ENV = {
    "SCHEMA__NAMING": "direct",
    "NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_LOAD_ID": "true",
    "RUNTIME__DLTHUB_TELEMETRY": "false",
    "RUNTIME__LOG_LEVEL": "WARNING",
}

QUARANTINE_SCHEMA = pa.schema(
    [
        ("system", pa.string()),
        ("entity", pa.string()),
        ("record_key", pa.string()),
        ("field", pa.string()),
        ("reason", pa.string()),
        ("value", pa.string()),
        ("record", pa.string()),
        ("extracted_at", pa.timestamp("us", tz="UTC")),
        ("run_id", pa.string()),
    ]
)


@dataclass
class EntityResult:
    system: str
    entity: str
    loaded: int = 0
    deleted: int = 0
    quarantined: int = 0
    seconds: float = 0.0
    error: str | None = None
    retries: int = 0


@dataclass
class ExtractContext:
    """What a protocol extractor gets: settings, the run, and where to report."""

    system: str
    settings: ExtractSettings
    run_id: str
    full_refresh: set[str] = field(default_factory=set)
    results: dict[str, EntityResult] = field(default_factory=dict)
    progress: Callable[[str, int, int | None], None] | None = None
    extracted_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def result(self, entity: str) -> EntityResult:
        r = self.results.get(entity)
        if r is None:
            r = self.results[entity] = EntityResult(self.system, entity)
        return r

    def quarantine(self, records: list[dict]) -> None:
        if not records:
            return
        entity = records[0]["entity"]
        # one quarantine row per bad field; the count is of records
        self.result(entity).quarantined += len({(r["record_key"], r["record"]) for r in records})
        rows = [{**r, "run_id": self.run_id} for r in records]
        folder = self.settings.landing / "_quarantine"
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{self.system}__{entity}__{self.run_id}__{uuid.uuid4().hex[:8]}.parquet"
        tmp = folder / (name + ".tmp")
        pq.write_table(pa.Table.from_pylist(rows, schema=QUARANTINE_SCHEMA), tmp)
        os.replace(tmp, folder / name)

    def tick(self, entity: str, done: int, total: int | None = None) -> None:
        if self.progress:
            self.progress(f"{self.system}/{entity}", done, total)

    def landed_keys(self, entity: str, key: str) -> set[str]:
        """Keys whose latest landed version is not a delete (for delete sweeps)."""
        t = landed_table(self.settings.landing, self.system, entity, [key, "_op", "_extracted_at"])
        if t is None:
            return set()
        latest: dict[str, str] = {}
        order = pa.compute.sort_indices(t, [("_extracted_at", "ascending")])
        for k, op in zip(
            t[key].take(order).to_pylist(), t["_op"].take(order).to_pylist(), strict=True
        ):
            latest[str(k)] = op
        return {k for k, op in latest.items() if op != "delete"}


def landed_table(
    landing: Path, system: str, entity: str, columns: list[str], filter=None
) -> pa.Table | None:
    """``columns`` of every landed version of ``system``/``entity`` (rows matching ``filter``,
    a pyarrow expression, when given), or None when nothing has landed. Files are listed and
    read under the landing zone's reader lock, so a compaction never removes one meanwhile."""
    from extractors.compaction import reading

    folder = landing / system / entity
    with reading(landing):
        files = sorted(str(p) for p in folder.glob("*.parquet")) if folder.exists() else []
        if not files:
            return None
        return ds.dataset(files, format="parquet").to_table(columns=columns, filter=filter)


def guarded(
    ctx: ExtractContext, spec: EntitySpec, gen: Callable[[], Iterator[pa.Table]]
) -> Iterator[pa.Table]:
    """Run one entity's page generator: count rows, time it, and turn a failure into the
    entity's error (the other entities go on). The generator updates its cursor in dlt's
    resource state only after its last page, so a failed entity keeps its old cursor."""
    res = ctx.result(spec.name)
    t0 = time.perf_counter()
    try:
        for table in gen():
            if table.num_rows:
                deletes = int(pa.compute.sum(pa.compute.equal(table["_op"], "delete")).as_py() or 0)
                res.deleted += deletes
                res.loaded += table.num_rows - deletes
                yield table
    except Exception as e:  # noqa: BLE001 - reported per entity; the run exits non-zero
        res.error = f"{type(e).__name__}: {e}"
    finally:
        res.seconds += time.perf_counter() - t0


def pipeline(system: str, settings: ExtractSettings, *, name: str | None = None):
    """The dlt pipeline that lands ``system``'s entities under ``landing/<system>/``.

    ``name`` gives a writer of the same tables its own pipeline (and so its own cursors), as
    the event-log importer does for the OA tables."""
    for k, v in _DLT_ENV.items():
        os.environ.setdefault(k, v)
    import dlt

    landing = settings.landing.resolve()
    landing.mkdir(parents=True, exist_ok=True)
    dest = dlt.destinations.filesystem(
        bucket_url=landing.as_uri(),
        layout="{table_name}/{load_id}.{file_id}.{ext}",
        warn_unsafe_layout_separators=False,
    )
    return dlt.pipeline(
        pipeline_name=name or f"zhongtai_{system}",
        destination=dest,
        dataset_name=system,
        pipelines_dir=str(landing / "_dlt"),
    )


def land(system: str, settings: ExtractSettings, resources, *, name: str | None = None):
    """Run the landing pipeline: first finish any load package a killed run left behind
    (dlt would otherwise load only that one and quietly skip the new extraction), then land
    ``resources``."""
    p = pipeline(system, settings, name=name)
    if p.has_pending_data:
        p.run()
    return p.run(resources, loader_file_format="parquet")


def save_run(
    settings: ExtractSettings, run_id: str, results: list[EntityResult], started: dt.datetime
) -> Path:
    folder = settings.landing / "_runs"
    folder.mkdir(parents=True, exist_ok=True)
    doc = {
        "run_id": run_id,
        "started": started.isoformat(),
        "finished": dt.datetime.now(dt.UTC).isoformat(),
        "entities": [asdict(r) for r in results],
    }
    path = folder / f"{run_id}.json"
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


PageFn = Callable[[dict, dict], Iterator[pa.Table]]


def resource(ctx: ExtractContext, spec: EntitySpec, pages: PageFn):
    """A dlt resource landing ``spec``'s pages.

    ``pages(cursor_in, cursor_out)`` yields typed Arrow tables; it reads the previous cursor
    from ``cursor_in`` (empty on the first run and with ``--full-refresh``) and fills
    ``cursor_out``. The new cursor is committed only when every page was produced.
    """
    import dlt

    @dlt.resource(name=spec.name, write_disposition="append", file_format="parquet")
    def _landing():
        state = dlt.current.resource_state()
        cursor_in = {} if spec.name in ctx.full_refresh else dict(state.get("cursor", {}))
        cursor_out: dict = {}
        yield from guarded(ctx, spec, lambda: pages(cursor_in, cursor_out))
        if ctx.result(spec.name).error is None:
            state["cursor"] = cursor_out

    return _landing
