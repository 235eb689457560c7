"""Imports: bank statement files from the bank inbox (``landing/bank/statements``), and a
sensor that requests one import run per new inbox file."""

import json
from pathlib import Path

import dagster as dg
from pydantic import Field

from extractors.bank.importer import import_bank, statement_files
from zhongtai import settings

from . import default_sensor_status

GROUP = "imports"
BANK_KEY = dg.AssetKey(["landing", "bank", "statements"])
BANK_OP = "landing__bank__statements"


class BankImportConfig(dg.Config):
    """``paths``: the statement files to import; empty: everything in the bank inbox."""

    paths: list[str] = Field(default_factory=list)


@dg.asset(key=BANK_KEY, group_name=GROUP, kinds={"python", "parquet"})
def bank_statements(context: dg.AssetExecutionContext, config: BankImportConfig):
    """Bank statement lines imported from the inbox files (`zhongtai import bank`)."""
    paths = [Path(p) for p in config.paths]
    if paths:
        gone = [p for p in paths if not p.exists()]
        if gone:
            context.log.info(f"already imported (moved to processed/): {', '.join(map(str, gone))}")
        paths = [p for p in paths if p.exists()]
        if not paths:
            return dg.MaterializeResult(metadata={"files": 0, "loaded": 0})
    report = import_bank(paths or None, move=True)
    if not report.ok:
        raise dg.Failure(
            description=(
                f"landing/bank/statements: import failed: {report.error or report.result.error}. "
                "What to do: read the per-file notes below, fix or replace the file in "
                f"{settings.bank_inbox_dir()} (a custom column mapping: `zhongtai import bank "
                "--mapping`), then re-materialize; files already imported are skipped."
            ),
            metadata={"files": json.dumps(report.summary_rows(), ensure_ascii=False)},
        )
    return dg.MaterializeResult(
        metadata={
            "files": len(report.files),
            "loaded": report.loaded,
            "duplicates": report.duplicates,
            "quarantined": report.quarantined,
        }
    )


bank_import_job = dg.define_asset_job("bank_import", selection=dg.AssetSelection.assets(BANK_KEY))


def run_key(path: Path) -> str:
    """File name + mtime + size: a file replaced under the same name is a new file."""
    st = path.stat()
    return f"{path.name}:{st.st_mtime_ns}:{st.st_size}"


def new_inbox_files(inbox: Path, cursor: str | None) -> tuple[list[tuple[str, Path]], str]:
    """The inbox files not yet requested (by run key) and the new cursor: the run keys of the
    files in the inbox now (imported files move to processed/, so the cursor stays small)."""
    seen = set(json.loads(cursor)) if cursor else set()
    files = statement_files([inbox]) if inbox.is_dir() else []
    current = [(run_key(f), f) for f in files]
    new = [(k, f) for k, f in current if k not in seen]
    return new, json.dumps(sorted(k for k, _ in current))


def bank_run_config(path: Path) -> dict:
    return {"ops": {BANK_OP: {"config": {"paths": [str(path.resolve())]}}}}


@dg.sensor(
    name="bank_inbox_sensor",
    job=bank_import_job,
    minimum_interval_seconds=30,
    default_status=default_sensor_status(),
    description="One bank import run per new file in <data>/inbox/bank/.",
)
def bank_inbox_sensor(context: dg.SensorEvaluationContext):
    new, cursor = new_inbox_files(settings.bank_inbox_dir(), context.cursor)
    for key, path in new:
        yield dg.RunRequest(run_key=key, run_config=bank_run_config(path))
    context.update_cursor(cursor)
    if not new:
        yield dg.SkipReason(f"no new file in {settings.bank_inbox_dir()}")


# --- event logs -------------------------------------------------------------------------------

EVENTLOG_KEY = dg.AssetKey(["landing", "eventlog", "imports"])
EVENTLOG_OP = "landing__eventlog__imports"
EVENTLOG_SUFFIXES = (".csv", ".xes", ".xes.gz")


class EventLogImportConfig(dg.Config):
    """One event log file and its column mapping (defaults: the XES attribute names)."""

    path: str
    name: str = Field(default="", description="Process name; empty: the file name's stem.")
    case_col: str = "case:concept:name"
    activity_col: str = "concept:name"
    timestamp_col: str = "time:timestamp"
    resource_col: str = "org:resource"
    group_col: str = "org:group"
    lifecycle_col: str = "lifecycle:transition"
    start_col: str = "start_timestamp"


def process_name(path: Path) -> str:
    """``采购审批.xes.gz`` → ``采购审批``."""
    name = path.name
    for suffix in sorted(EVENTLOG_SUFFIXES, key=len, reverse=True):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def eventlog_files(inbox: Path) -> list[Path]:
    if not inbox.is_dir():
        return []
    return sorted(
        p
        for p in inbox.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.name.lower().endswith(EVENTLOG_SUFFIXES)
    )


@dg.asset(key=EVENTLOG_KEY, group_name=GROUP, kinds={"python", "parquet"})
def event_logs(context: dg.AssetExecutionContext, config: EventLogImportConfig):
    """Process event logs (CSV, XES, XES.gz) imported into the OA workflow landing tables
    (`zhongtai import eventlog`); the process-efficiency marts treat each like an OA workflow
    whose type is the process name."""
    from extractors.eventlog import import_eventlog
    from extractors.eventlog.importer import EventLogError

    path = Path(config.path)
    if not path.is_file():
        context.log.info(f"{path} is gone (already imported and moved to processed/?)")
        return dg.MaterializeResult(metadata={"events": 0})
    name = config.name or process_name(path)
    try:
        rep = import_eventlog(
            path,
            name,
            case_col=config.case_col,
            activity_col=config.activity_col,
            timestamp_col=config.timestamp_col,
            resource_col=config.resource_col,
            group_col=config.group_col,
            lifecycle_col=config.lifecycle_col,
            start_col=config.start_col,
        )
    except EventLogError as e:
        raise dg.Failure(
            description=(
                f"landing/eventlog/imports: {path.name} could not be imported: {e}. What to "
                "do: fix the file or give its column names in the run config (case_col, "
                "activity_col, timestamp_col …; `zhongtai import eventlog --help`), then "
                "re-run; the file stays in the inbox until it imports."
            )
        ) from e
    processed = path.parent / "processed"
    processed.mkdir(exist_ok=True)
    path.rename(processed / path.name)
    return dg.MaterializeResult(
        metadata={
            "process": name,
            "events": rep.events,
            "cases": rep.cases,
            "quarantined": rep.quarantined,
            "seconds": round(rep.seconds, 2),
        }
    )


eventlog_import_job = dg.define_asset_job(
    "eventlog_import", selection=dg.AssetSelection.assets(EVENTLOG_KEY)
)


@dg.sensor(
    name="eventlog_inbox_sensor",
    job=eventlog_import_job,
    minimum_interval_seconds=30,
    default_status=default_sensor_status(),
    description="One event-log import run per new file in <data>/inbox/eventlog/.",
)
def eventlog_inbox_sensor(context: dg.SensorEvaluationContext):
    inbox = settings.eventlog_inbox_dir()
    files = eventlog_files(inbox)
    for path in files:
        yield dg.RunRequest(
            run_key=run_key(path),
            run_config={"ops": {EVENTLOG_OP: {"config": {"path": str(path.resolve())}}}},
        )
    if not files:
        yield dg.SkipReason(f"no event log in {inbox}")
