"""A run killed at any moment (kill -9) and started again ends equivalent to an uninterrupted
run: nothing lost, nothing duplicated once staging keeps the latest version per key."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pytest

from extractors.run import SYSTEMS, protocol


def _env(sources: dict[str, str], data: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["ZHONGTAI_DATA_DIR"] = str(data)
    for system, url in sources.items():
        env[f"ZHONGTAI_{system.upper()}_BASE_URL"] = url + ("/K3Cloud/" if system == "erp" else "")
    env["ZHONGTAI_CRM_ACCOUNTS_URL"] = sources["crm"]
    return env


def _extract(env: dict[str, str], system: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "zhongtai.cli", "extract", "--system", system],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def latest_per_key(landing: Path, system: str, entity: str, key: str) -> pa.Table:
    """What staging will see: the latest landed version per key, deletes removed."""
    folder = landing / system / entity
    files = sorted(folder.glob("*.parquet")) if folder.exists() else []
    if not files:
        return pa.table({})
    t = ds.dataset(files, format="parquet").to_table()
    t = t.drop_columns([c for c in ("_dlt_load_id", "_dlt_id") if c in t.column_names])
    t = t.sort_by([("_extracted_at", "ascending")])
    last: dict = {}
    for i, k in enumerate(t[key].to_pylist()):
        last[k] = i
    keep = sorted(i for i in last.values())
    t = t.take(pa.array(keep, pa.int64()))
    t = t.filter(pa.compute.not_equal(t["_op"], "delete"))
    t = t.drop_columns(["_extracted_at", "_op"]).sort_by([(key, "ascending")])
    return t


@pytest.mark.parametrize("system", SYSTEMS)
def test_kill_9_then_rerun_equals_an_uninterrupted_run(system, sources, tmp_path):
    clean = tmp_path / "clean"
    t0 = time.monotonic()
    p = _extract(_env(sources, clean), system)
    _out, err = p.communicate(timeout=600)
    assert p.returncode == 0, err.decode()[-2000:]
    clean_s = time.monotonic() - t0

    crashed = tmp_path / "crashed"
    rng = random.Random(system)
    kills = 0
    for _ in range(3):
        p = _extract(_env(sources, crashed), system)
        # somewhere inside a run (start-up included): a fixed window would miss the run on a
        # fast machine and the interesting part on a slow one
        time.sleep(rng.uniform(0.25, 0.8) * clean_s)
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
            kills += 1
        p.wait(timeout=60)
    p = _extract(_env(sources, crashed), system)
    _out, err = p.communicate(timeout=600)
    assert p.returncode == 0, err.decode()[-2000:]
    assert kills >= 1, "no run was killed: make the kill times shorter"

    for name, spec in protocol(system).ENTITIES.items():
        a = latest_per_key(clean / "landing", system, name, spec.key)
        b = latest_per_key(crashed / "landing", system, name, spec.key)
        assert a.num_rows == b.num_rows, name
        assert a.equals(b), name
