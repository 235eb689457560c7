"""``import_eventlog``: read a log, map it to the OA tables and land it with dlt.

Landing goes through its own dlt pipeline, ``zhongtai_eventlog_<name>``, with the landing
zone's destination settings and ``dataset_name="oa"``: the rows land in the very
``landing/oa/<entity>/`` folders the OA extractor writes, while the OA extractor's pipeline
state (its cursors) is never touched — ``extractors.landing.resource`` stores a cursor per
resource name, and the OA extractor's resources have the same names.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from extractors.eventlog.mapping import MISSING_START, map_events
from extractors.eventlog.read import RAW_SCHEMA, EventLogError, detect, read_batches
from extractors.landing import EntityResult, ExtractContext, pipeline, resource, save_run
from extractors.oa.specs import WORKFLOW_REQUEST_LOGS, WORKFLOW_REQUEST_OPERATORS, WORKFLOW_REQUESTS
from extractors.settings import ExtractSettings

BATCH_ROWS = 50_000
SPECS = (WORKFLOW_REQUESTS, WORKFLOW_REQUEST_LOGS, WORKFLOW_REQUEST_OPERATORS)
Progress = Callable[[str, int, int | None], None]


@dataclass
class EventLogReport:
    """What one import did. ``landed`` counts rows per OA table; ``ignored`` counts events
    per lifecycle value other than start / complete; ``absent_columns`` are the optional
    columns asked for that the file does not have (worth a warning when named explicitly)."""

    name: str
    path: Path
    format: str
    run_id: str
    encoding: str | None = None
    delimiter: str | None = None
    events: int = 0
    cases: int = 0
    activity_instances: int = 0
    observed_starts: int = 0
    unmatched_starts: int = 0
    ignored: dict[str, int] = field(default_factory=dict)
    absent_columns: list[str] = field(default_factory=list)
    quarantined: int = 0
    landed: dict[str, int] = field(default_factory=dict)
    first_event: dt.datetime | None = None
    last_event: dt.datetime | None = None
    seconds: float = 0.0


def pipeline_name(name: str) -> str:
    """``zhongtai_eventlog_<name>``; names that are not plain ASCII words get a slug and a
    hash so that every process name has its own pipeline."""
    slug = re.sub(r"[^0-9a-z_]+", "_", name.lower()).strip("_")
    if slug != name:
        slug = f"{slug[:40]}_{hashlib.sha1(name.encode()).hexdigest()[:8]}".lstrip("_")
    return f"zhongtai_eventlog_{slug}"


def _pipeline(name: str, settings: ExtractSettings):
    """The OA landing destination under this log's own pipeline (its own cursors)."""
    return pipeline("oa", settings, name=pipeline_name(name))


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise EventLogError("give the process a name with --name (it becomes the workflow type)")
    if ":" in name:
        raise EventLogError(
            f"--name {name!r} must not contain ':' (it is part of the ids el:<name>:<case>)"
        )
    return name


def _slices(table: pa.Table) -> Iterator[pa.Table]:
    for off in range(0, table.num_rows, BATCH_ROWS):
        yield table.slice(off, BATCH_ROWS)


def import_eventlog(
    path: Path,
    name: str,
    settings: ExtractSettings | None = None,
    *,
    case_col: str = "case:concept:name",
    activity_col: str = "concept:name",
    timestamp_col: str = "time:timestamp",
    resource_col: str | None = "org:resource",
    group_col: str | None = "org:group",
    lifecycle_col: str | None = "lifecycle:transition",
    start_col: str | None = "start_timestamp",
    missing_start: str = "previous",
    progress: Progress | None = None,
) -> EventLogReport:
    """Import one event log (CSV, XES or XES.gz) as process ``name`` into the OA landing
    tables; bad events go to the quarantine, the rest land. Re-importing the same file under
    the same name lands the same ids (staging's latest-per-key makes it a no-op).

    ``missing_start`` says what an activity instance without an observed start is received
    at: ``"previous"`` (default) the case's previous completion, as an OA node is received
    when the previous one is done (the first instance: its own completion); ``"complete"``
    its own completion, PM4Py's convention. Raises ``EventLogError`` when the file, a
    required column or the landing fails.
    """
    t0 = time.perf_counter()
    name = _check_name(name)
    if missing_start not in MISSING_START:
        raise EventLogError(f"missing_start must be one of {', '.join(MISSING_START)}")
    settings = settings or ExtractSettings.from_env()
    path = Path(path)
    columns = {
        "case": case_col,
        "activity": activity_col,
        "timestamp": timestamp_col,
        "resource": resource_col,
        "group": group_col,
        "lifecycle": lifecycle_col,
        "start": start_col,
    }
    src = detect(path, columns)
    started = dt.datetime.now(dt.UTC)
    run_id = started.strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]
    label = f"eventlog/{name}"

    batches, read = [], 0
    for b in read_batches(src, BATCH_ROWS):
        batches.append(b)
        read += b.num_rows
        if progress:
            progress(label, read, None)
    raw = pa.concat_tables(batches) if batches else RAW_SCHEMA.empty_table()
    del batches
    names = {f: (src.found.get(f) if src.format == "csv" else c) for f, c in columns.items()}
    ctx = ExtractContext(
        system="eventlog", settings=settings, run_id=run_id, progress=progress, extracted_at=started
    )
    mapped = map_events(
        raw, name, path.name, names, missing_start=missing_start, extracted_at=started
    )
    del raw
    ctx.quarantine(mapped.quarantine)

    tables = {
        WORKFLOW_REQUESTS.name: mapped.requests,
        WORKFLOW_REQUEST_LOGS.name: mapped.logs,
        WORKFLOW_REQUEST_OPERATORS.name: mapped.operators,
    }
    for spec in SPECS:
        ctx.result(spec.name)

    def pages_of(spec):
        def pages(_cursor_in: dict, _cursor_out: dict) -> Iterator[pa.Table]:
            done = 0
            for part in _slices(tables[spec.name]):
                done += part.num_rows
                ctx.tick(spec.name, done, tables[spec.name].num_rows)
                yield part

        return pages

    resources = [resource(ctx, spec, pages_of(spec)) for spec in SPECS]
    try:
        _pipeline(name, settings).run(resources, loader_file_format="parquet")
    except Exception as e:  # noqa: BLE001 - reported with what failed, then raised
        for spec in SPECS:
            r = ctx.result(spec.name)
            r.error = r.error or f"landing failed: {type(e).__name__}: {e}"
    results: list[EntityResult] = [ctx.results[k] for k in ctx.results]
    save_run(settings, run_id, results, started)
    errors = [f"{r.entity}: {r.error}" for r in results if r.error]
    if errors:
        raise EventLogError(
            f"importing {path.name} as {name!r} failed — "
            + "; ".join(errors)
            + f" (landing zone {settings.landing}; run {run_id})"
        )

    return EventLogReport(
        name=name,
        path=path,
        format=src.format,
        run_id=run_id,
        encoding=src.encoding,
        delimiter=src.delimiter,
        events=mapped.events,
        cases=mapped.requests.num_rows,
        activity_instances=mapped.logs.num_rows,
        observed_starts=mapped.observed_starts,
        unmatched_starts=mapped.unmatched_starts,
        ignored=mapped.ignored,
        absent_columns=src.absent,
        quarantined=len(mapped.quarantine),
        landed={s.name: ctx.result(s.name).loaded for s in SPECS},
        first_event=mapped.first_event,
        last_event=mapped.last_event,
        seconds=time.perf_counter() - t0,
    )
