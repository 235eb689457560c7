"""Build the warehouse: run dbt on the landing zone, writing ``<data>/warehouse.duckdb``.

dbt runs in a subprocess (its own process holds the DuckDB write lock and releases it on exit)
with every path made absolute from ``ZHONGTAI_DATA_DIR``: the warehouse file, the landing zone
it reads, and dbt's own target/log folders (under ``<data>/dbt/``, so building never writes
into the source tree and two data folders can be built at once).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from zhongtai import settings

PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"
_HOW_TO_FILL = {
    "bank": "run `zhongtai import bank` (the demo world drops statements in data/inbox/bank/)",
}


class WarehouseError(RuntimeError):
    """The warehouse could not be built; the message says why and what to do."""


@dataclass
class NodeResult:
    name: str
    kind: str  # model, test, seed, unit_test
    status: str
    seconds: float
    message: str | None = None


@dataclass
class BuildResult:
    warehouse: Path
    seconds: float
    returncode: int
    nodes: list[NodeResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def count(self, kind: str, status: str | None = None) -> int:
        return sum(
            1 for n in self.nodes if n.kind == kind and (status is None or n.status == status)
        )

    @property
    def failures(self) -> list[NodeResult]:
        return [n for n in self.nodes if n.status in ("error", "fail", "runtime error")]


def warehouse_path(data: Path | None = None) -> Path:
    return (data or settings.data_dir()).resolve() / "warehouse.duckdb"


def dbt_env(data: Path | None = None) -> dict[str, str]:
    """The environment dbt runs in: absolute paths for everything it reads and writes."""
    data = (data or settings.data_dir()).resolve()
    env = dict(os.environ)
    env["ZHONGTAI_DATA_DIR"] = str(data)
    env.setdefault("ZHONGTAI_WAREHOUSE", str(data / "warehouse.duckdb"))
    env.setdefault("ZHONGTAI_LANDING_DIR", str(data / "landing"))
    env["DBT_TARGET_PATH"] = str(data / "dbt" / "target")
    env["DBT_LOG_PATH"] = str(data / "dbt" / "logs")
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    env.setdefault("DBT_PRINTER_WIDTH", "100")
    return env


def landing_sources() -> dict[str, list[str]]:
    """The landing folders dbt reads: every table of every ``_<system>__sources.yml``."""
    import yaml

    out: dict[str, list[str]] = {}
    for path in sorted(PROJECT_DIR.glob("models/staging/*/_*__sources.yml")):
        for src in yaml.safe_load(path.read_text(encoding="utf-8")).get("sources", []):
            out.setdefault(src["name"], []).extend(t["name"] for t in src.get("tables", []))
    return out


def missing_landing(landing: Path) -> list[str]:
    """Landing folders the warehouse needs that hold no Parquet file yet."""
    missing = []
    for system, entities in landing_sources().items():
        for entity in entities:
            folder = landing / system / entity
            if not folder.is_dir() or not any(folder.glob("*.parquet")):
                missing.append(f"{system}/{entity}")
    return missing


def _dbt_executable() -> list[str]:
    exe = Path(sys.executable).with_name("dbt")
    if exe.exists():
        return [str(exe)]
    return [sys.executable, "-c", "from dbt.cli.main import cli; cli()"]


def run_dbt(
    args: list[str],
    data: Path | None = None,
    on_line: Callable[[str], None] | None = None,
    extra_env: dict[str, str] | None = None,
) -> int:
    """Run one dbt command on this project; each output line goes to ``on_line``."""
    env = dbt_env(data)
    env.update(extra_env or {})
    cmd = [
        *_dbt_executable(),
        *args,
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROJECT_DIR),
    ]
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    )
    assert proc.stdout is not None
    tail: list[str] = []
    for line in proc.stdout:
        line = re.sub(r"\x1b\[[0-9;]*m", "", line.rstrip("\n"))
        tail = [*tail[-39:], line]
        if on_line:
            on_line(line)
    rc = proc.wait()
    if rc != 0 and any("Could not set lock on file" in ln for ln in tail):
        holder = next((ln for ln in tail if "Could not set lock" in ln), "")
        raise WarehouseError(
            f"{env['ZHONGTAI_WAREHOUSE']} is open in another process ({holder.strip()}). "
            "Only one process may write the warehouse and no reader may hold it meanwhile: "
            "close DBeaver/Python sessions on it (analysts and the portal read the published "
            "serving file instead) and run the build again."
        )
    return rc


def build(
    data: Path | None = None,
    select: str | None = None,
    full_refresh: bool = False,
    dbt_vars: dict[str, str] | None = None,
    on_line: Callable[[str], None] | None = None,
) -> BuildResult:
    """``dbt build`` (seeds, models, tests) over the landing zone of ``data``."""
    data = (data or settings.data_dir()).resolve()
    landing = Path(dbt_env(data)["ZHONGTAI_LANDING_DIR"])
    missing = missing_landing(landing)
    if missing:
        hints = sorted(
            {_HOW_TO_FILL.get(m.split("/")[0], "run `zhongtai extract`") for m in missing}
        )
        shown = (
            ", ".join(missing)
            if len(missing) <= 6
            else (
                f"{len(missing)} entities of "
                + ", ".join(sorted({m.split("/")[0] for m in missing}))
            )
        )
        raise WarehouseError(
            f"the landing zone {landing} has no data for {shown}: "
            + "; ".join(hints)
            + " first (or set ZHONGTAI_DATA_DIR to the folder that holds landing/)."
        )
    args = ["build"]
    if select:
        args += ["--select", select]
    if full_refresh:
        args.append("--full-refresh")
    if dbt_vars:
        args += ["--vars", json.dumps(dbt_vars)]
    results = data / "dbt" / "target" / "run_results.json"
    results.unlink(missing_ok=True)  # never report a previous build's results
    t0 = time.perf_counter()
    rc = run_dbt(args, data, on_line=on_line)
    seconds = time.perf_counter() - t0
    res = BuildResult(warehouse_path(data), seconds, rc)
    if results.exists():
        for r in json.loads(results.read_text(encoding="utf-8")).get("results", []):
            uid = r.get("unique_id", "")
            kind = uid.split(".", 1)[0]
            res.nodes.append(
                NodeResult(
                    name=uid.split(".")[-1] if kind != "test" else uid.split(".")[2],
                    kind=kind,
                    status=str(r.get("status")),
                    seconds=float(r.get("execution_time") or 0.0),
                    message=r.get("message"),
                )
            )
    return res
