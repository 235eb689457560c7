"""Import bank statement files into the landing zone (``landing/bank/statements/``).

For each file: skip it when its SHA-256 is in the ledger (or earlier in this run); read it
(``parse.parse_file``); drop lines whose (account, serial number) was seen before — in an
earlier run, an earlier file or earlier in the same file — and report them as duplicates;
type the rest with ``to_landing``. Then all files' lines go through one dlt run (none when
there is nothing new). Only once it succeeded are the bad rows written to the quarantine, the
ledger appended and the files moved to ``processed/`` beside them. A failed run changes
nothing but the landed lines, and those count as seen on the next run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from extractors.bank import ledger as ledger_mod
from extractors.bank.mapping import Mapping, MappingError, load_mapping
from extractors.bank.parse import ParsedFile, parse_file
from extractors.bank.readers import SUFFIXES, UnreadableFile
from extractors.landing import EntityResult, ExtractContext, pipeline, resource, save_run
from extractors.records import EntitySpec, to_landing
from extractors.settings import ExtractSettings
from zhongtai import settings as zt

STATEMENTS = EntitySpec(
    "bank",
    "statements",
    "serial_no",
    (
        ("serial_no", "string"),
        ("account_no", "string"),
        ("bank_name", "string"),
        ("txn_time", "timestamp"),
        ("payer_name", "string"),
        ("payer_account", "string"),
        ("payer_bank", "string"),
        ("amount", "decimal"),
        ("debit_amount", "decimal"),
        ("balance", "decimal"),
        ("memo", "string"),
        ("source_file", "string"),
        ("source_row", "int"),
    ),
    required=frozenset({"account_no", "txn_time"}),
)
PROCESSED = "processed"


class BankImportError(ValueError):
    """Bad arguments (a path that does not exist, a mapping that cannot be used)."""


@dataclass
class Duplicate:
    row: int
    account_no: str
    serial_no: str
    first_seen: str  # "<file>:<row>" where the pair was first loaded


@dataclass
class BadRow:
    row: int
    column: str | None
    reason: str
    value: str | None


@dataclass
class FileReport:
    file: str
    path: str
    status: str = "pending"  # loaded | skipped | failed
    sha256: str | None = None
    account_no: str | None = None
    sheet: str | None = None
    header_row: int | None = None
    loaded: int = 0
    duplicates: list[Duplicate] = field(default_factory=list)
    bad: list[BadRow] = field(default_factory=list)
    already_landed: int = 0  # lines landed by an earlier run that died before its ledger
    blank_rows: int = 0
    footer_row: int | None = None
    note: str | None = None  # why skipped or failed
    moved_to: str | None = None

    @property
    def quarantined(self) -> int:
        """Rows quarantined (a row with several bad cells counts once)."""
        return len({b.row for b in self.bad})


@dataclass
class BankImportReport:
    run_id: str
    files: list[FileReport]
    result: EntityResult
    seconds: float = 0.0
    error: str | None = None  # the landing failed: nothing was recorded or moved

    @property
    def loaded(self) -> int:
        return sum(f.loaded for f in self.files)

    @property
    def duplicates(self) -> int:
        return sum(len(f.duplicates) for f in self.files)

    @property
    def quarantined(self) -> int:
        return sum(f.quarantined for f in self.files)

    @property
    def ok(self) -> bool:
        """False when the landing failed or a file could not be read (exit non-zero)."""
        return self.error is None and all(f.status != "failed" for f in self.files)

    def summary_rows(self) -> list[dict]:
        """One row per file for a summary table."""
        return [
            {
                "file": f.file,
                "status": f.status,
                "account": f.account_no or "",
                "loaded": f.loaded,
                "already_landed": f.already_landed,
                "duplicates": len(f.duplicates),
                "quarantined": f.quarantined,
                "note": f.note or "",
            }
            for f in self.files
        ]

    def problems(self) -> list[dict]:
        """Every bad row and duplicate: file, row, column, reason."""
        out = []
        for f in self.files:
            out += [
                {"file": f.file, "row": b.row, "column": b.column, "reason": b.reason}
                for b in f.bad
            ]
            out += [
                {
                    "file": f.file,
                    "row": d.row,
                    "column": None,
                    "reason": f"duplicate serial {d.serial_no} of account {d.account_no}, "
                    f"first loaded from {d.first_seen}",
                }
                for d in f.duplicates
            ]
        return sorted(out, key=lambda p: (p["file"], p["row"]))


def statement_files(paths: list[Path] | None) -> list[Path]:
    """The files to import: each file given, and the statement files directly in each folder
    given (sorted by name; ``processed/`` and hidden or temporary files are not included).
    No paths: the bank inbox (empty when it does not exist)."""
    if not paths:
        inbox = zt.bank_inbox_dir()
        paths = [inbox] if inbox.is_dir() else []
    out: list[Path] = []
    seen: set[Path] = set()
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(
                f
                for f in p.iterdir()
                if f.is_file()
                and f.suffix.lower() in SUFFIXES
                and not f.name.startswith((".", "~$"))
            )
        elif p.is_file():
            found = [p]
        else:
            raise BankImportError(f"no such file or folder: {p}")
        for f in found:
            if f.resolve() not in seen:
                seen.add(f.resolve())
                out.append(f)
    return out


def _move_to_processed(path: Path) -> Path:
    """``<folder>/processed/<name>`` (``<stem> (2)<suffix>`` … when taken); a file already in
    a ``processed`` folder stays."""
    if path.parent.name == PROCESSED:
        return path
    folder = path.parent / PROCESSED
    folder.mkdir(exist_ok=True)
    dest, n = folder / path.name, 1
    while dest.exists():
        n += 1
        dest = folder / f"{path.stem} ({n}){path.suffix}"
    shutil.move(path, dest)
    return dest


class _Run:
    """One import run: the ledger as it grows, and what to record once the lines landed."""

    def __init__(self, ctx: ExtractContext, mapping: Mapping, led: ledger_mod.Ledger):
        self.ctx, self.mapping, self.led = ctx, mapping, led
        self.hashes: dict[str, str] = {}  # sha256 → file name, this run
        self.quarantine: list[dict] = []
        self.ledger_files: list[dict] = []
        self.ledger_lines: list[dict] = []

    def file(self, path: Path, rep: FileReport) -> pa.Table | None:
        rep.sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
        earlier = self.led.files.get(rep.sha256) or self.hashes.get(rep.sha256)
        if earlier:
            rep.status = "skipped"
            rep.note = (
                "already imported"
                if earlier == path.name
                else f"same content as {earlier}, already imported"
            )
            return None
        try:
            parsed = parse_file(path, self.mapping)
        except (UnreadableFile, OSError) as e:
            rep.status, rep.note = "failed", str(e)
            return None
        self.hashes[rep.sha256] = path.name
        rep.status = "loaded"
        rep.account_no, rep.sheet, rep.header_row = (
            parsed.account_no,
            parsed.sheet,
            parsed.header_row,
        )
        rep.blank_rows, rep.footer_row = parsed.blank_rows, parsed.footer_row
        good = self._dedupe(path.name, parsed, rep)
        table, rejected = to_landing(STATEMENTS, good, extracted_at=self.ctx.extracted_at)
        for q in rejected:  # parse.py types every value, so this is a safety net
            rec = json.loads(q["record"])
            self.led.seen.pop((rec["account_no"], rec["serial_no"]), None)
            rep.bad.append(BadRow(rec["source_row"], q["field"], q["reason"], q["value"]))
            self.quarantine.append({**q, "record_key": f"{path.name}:{rec['source_row']}"})
        self._quarantine(path.name, parsed, rep)
        rep.loaded = table.num_rows
        rows = table.select(["account_no", "serial_no", "source_row"]).to_pylist()
        self.ledger_lines += [{"file_name": path.name, **r} for r in rows]
        self.ledger_files.append(
            {
                "file_name": path.name,
                "sha256": rep.sha256,
                "loaded": rep.loaded,
                "duplicates": len(rep.duplicates),
                "quarantined": rep.quarantined,
            }
        )
        return table

    def _dedupe(self, name: str, parsed: ParsedFile, rep: FileReport) -> list[dict]:
        good = []
        for line in parsed.lines:
            key = (line["account_no"], line["serial_no"])
            first = self.led.seen.get(key)
            if key in self.led.unrecorded and first == f"{name}:{line['source_row']}":
                # This very line, landed by a run that died before writing the ledger.
                rep.already_landed += 1
                self.ledger_lines.append(
                    {
                        "file_name": name,
                        **{k: line[k] for k in ("account_no", "serial_no", "source_row")},
                    }
                )
                continue
            if first is not None:
                rep.duplicates.append(Duplicate(line["source_row"], *key, first))
                continue
            self.led.seen[key] = f"{name}:{line['source_row']}"
            good.append({**line, "source_file": name})
        return good

    def _quarantine(self, name: str, parsed: ParsedFile, rep: FileReport) -> None:
        for b in parsed.bad:
            value = None if b.value is None else str(b.value)
            rep.bad.append(BadRow(b.row, b.column, b.reason, value))
            self.quarantine.append(
                {
                    "system": "bank",
                    "entity": STATEMENTS.name,
                    "record_key": f"{name}:{b.row}",
                    "field": b.column,
                    "reason": b.reason,
                    "value": value,
                    "record": json.dumps(
                        {"source_file": name, "source_row": b.row, **b.record},
                        ensure_ascii=False,
                        default=str,
                    ),
                    "extracted_at": self.ctx.extracted_at,
                }
            )


def _finish_pending_load(settings: ExtractSettings) -> None:
    """Load what an interrupted import left in dlt's pipeline folder. dlt would otherwise
    load only that on the next run and silently drop the new lines."""
    if not (settings.landing / "_dlt").exists():
        return
    p = pipeline("bank", settings)
    if p.has_pending_data:
        p.run()


def _import_locked(
    ctx: ExtractContext, mp: Mapping, files: list[Path], reports: list[FileReport], *, move: bool
) -> str | None:
    """Read, land, then record and move; the error that stopped the run, if any."""
    settings, landing = ctx.settings, ctx.settings.landing
    try:
        _finish_pending_load(settings)
    except Exception as e:  # noqa: BLE001 - reported; nothing read, recorded or moved
        return f"an earlier import's landing could not be finished: {type(e).__name__}: {e}"
    run = _Run(ctx, mp, ledger_mod.Ledger.load(landing))
    tables = []
    for i, (path, rep) in enumerate(zip(files, reports, strict=True)):
        table = run.file(path, rep)
        ctx.tick(STATEMENTS.name, i + 1, len(files))
        if table is not None and table.num_rows:
            tables.append(table)
    if tables:
        try:
            pipeline("bank", settings).run(
                resource(ctx, STATEMENTS, lambda _cin, _cout: iter(tables)),
                loader_file_format="parquet",
            )
        except Exception as e:  # noqa: BLE001 - reported; nothing recorded or moved
            return f"landing failed: {type(e).__name__}: {e}"
        if ctx.result(STATEMENTS.name).error:
            return ctx.result(STATEMENTS.name).error
    ctx.quarantine(run.quarantine)
    ctx.result(STATEMENTS.name).quarantined = sum(r.quarantined for r in reports)
    if run.ledger_files:
        ledger_mod.write(landing, ctx.run_id, run.ledger_files, run.ledger_lines)
    for path, rep in zip(files, reports, strict=True):
        if move and rep.status in ("loaded", "skipped"):
            rep.moved_to = str(_move_to_processed(path))
    return None


def import_bank(
    paths: list[Path] | None = None,
    settings: ExtractSettings | None = None,
    *,
    mapping: dict | str | Path | None = None,
    progress: Callable[[str, int, int | None], None] | None = None,
    move: bool = True,
) -> BankImportReport:
    """Import bank statement files (files or folders; default: the bank inbox).

    ``mapping``: a custom column mapping (dict, or a TOML/JSON file; see
    ``extractors.bank.mapping``). ``progress(label, files_done, files_total)``. ``move``:
    move imported and skipped files to ``processed/`` beside them.
    """
    settings = settings or ExtractSettings.from_env()
    try:
        mp = load_mapping(mapping)
    except MappingError as e:
        raise BankImportError(str(e)) from e
    files = statement_files(paths)
    started = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()
    run_id = started.strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]
    ctx = ExtractContext(system="bank", settings=settings, run_id=run_id, progress=progress)
    result = ctx.result(STATEMENTS.name)
    reports = [FileReport(p.name, str(p)) for p in files]
    report = BankImportReport(run_id, reports, result)
    with ledger_mod.locked(settings.landing):
        report.error = _import_locked(ctx, mp, files, reports, move=move)
    failed = [r.file for r in reports if r.status == "failed"]
    if report.error is not None:
        result.error = report.error
        for rep in reports:
            if rep.status == "loaded":
                rep.note = "not recorded: the landing failed; import the file again"
    elif failed:
        result.error = f"{len(failed)} file(s) not imported: {', '.join(failed)}"
    result.seconds = report.seconds = time.perf_counter() - t0
    save_run(settings, run_id, [result], started)
    return report
