"""What has been imported: file hashes and (account, serial number) pairs.

``landing/_ledger/bank/<run_id>.parquet`` — one append-only file per import run, written
atomically (temporary file + rename) only after that run's lines are in the landing zone. It
holds one ``file`` row per imported file (SHA-256 of its bytes, name, counts) and one ``line``
row per statement line loaded (account, serial number, where it came from).

The pairs already seen are the ledger's *and* those of the landed statement lines themselves:
a run that died after its lines landed but before its ledger was written therefore loads
nothing twice when it is run again. Runs hold an exclusive lock on the ledger folder.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from extractors.landing import landed_table

SCHEMA = pa.schema(
    [
        ("kind", pa.string()),  # file | line
        ("file_name", pa.string()),
        ("sha256", pa.string()),
        ("account_no", pa.string()),
        ("serial_no", pa.string()),
        ("source_row", pa.int64()),
        ("loaded", pa.int64()),
        ("duplicates", pa.int64()),
        ("quarantined", pa.int64()),
        ("run_id", pa.string()),
        ("recorded_at", pa.timestamp("us", tz="UTC")),
    ]
)


def ledger_dir(landing: Path) -> Path:
    """Beside, not inside, dlt's ``landing/bank/`` dataset folder: dlt creates that folder
    itself and fails when it exists before its first load."""
    return landing / "_ledger" / "bank"


def statements_dir(landing: Path) -> Path:
    return landing / "bank" / "statements"


@contextmanager
def locked(landing: Path) -> Iterator[None]:
    """One import at a time per landing zone."""
    folder = ledger_dir(landing)
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


@dataclass
class Ledger:
    files: dict[str, str] = field(default_factory=dict)  # sha256 → file name first imported
    seen: dict[tuple[str, str], str] = field(default_factory=dict)  # (acct, serial) → file:row
    unrecorded: set[tuple[str, str]] = field(default_factory=set)  # landed, not in the ledger

    @classmethod
    def load(cls, landing: Path) -> Ledger:
        led = cls()
        files = sorted(ledger_dir(landing).glob("*.parquet"))
        if files:
            t = ds.dataset(files, format="parquet", schema=SCHEMA).to_table()
            for r in t.to_pylist():
                if r["kind"] == "file":
                    led.files.setdefault(r["sha256"], r["file_name"])
                else:
                    led.seen.setdefault(
                        (r["account_no"], r["serial_no"]), f"{r['file_name']}:{r['source_row']}"
                    )
        cols = ["account_no", "serial_no", "source_file", "source_row"]
        t = landed_table(landing, "bank", "statements", cols)
        if t is not None:
            for a, s, f, n in zip(*(t[c].to_pylist() for c in cols), strict=True):
                if (a, s) not in led.seen:
                    led.seen[(a, s)] = f"{f}:{n}"
                    led.unrecorded.add((a, s))
        return led


def write(landing: Path, run_id: str, files: list[dict], lines: list[dict]) -> Path:
    """Append this run's entries (``files``: file_name, sha256, loaded, duplicates,
    quarantined; ``lines``: file_name, account_no, serial_no, source_row)."""
    now = dt.datetime.now(dt.UTC)
    rows = [{"kind": "file", **f, "run_id": run_id, "recorded_at": now} for f in files]
    rows += [{"kind": "line", **ln, "run_id": run_id, "recorded_at": now} for ln in lines]
    folder = ledger_dir(landing)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{run_id}.parquet"
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMA), tmp)
    with tmp.open("rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return path
