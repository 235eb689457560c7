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
