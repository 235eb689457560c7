"""Reliability of the publish: concurrent readers, the quality gate, and a killed build.

- Several reader processes query the serving file in a loop while three publishes happen:
  no reader errors, and every read sees one whole publish (its figures match exactly one
  publish, never a mix).
- A failing blocking check leaves the previous publish serving and records why.
- Killing a build mid-way and rerunning it recovers to the same published result.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from zhongtai import serving
from zhongtai.pipeline import check_and_publish
from zhongtai.warehouse import build, dbt_env

pytestmark = pytest.mark.xdist_group("warehouse")

# The figures a reader reads; the publish's own identity comes from marts._publish.
FIGURES = (
    "select (select count(*) from marts.fct_contracts), "
    "(select coalesce(sum(amount), 0)::varchar from marts.fct_contracts), "
    "(select count(*) from marts.fct_invoices)"
)

READER = r"""
import json, sys, time
import duckdb
from pathlib import Path
from zhongtai.serving import connect

data, out, stop = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
reads, errors = [], []
end = time.monotonic() + 300
while not stop.exists() and time.monotonic() < end:
    try:
        con = connect(data)
        try:
            cur = con.cursor()
            sql = "select published_at::varchar from marts._publish"
            (published_at,) = cur.execute(sql).fetchone()
            time.sleep(0.01)  # a publish may land between the two statements
            figures = list(cur.execute(sys.argv[4]).fetchone())
        finally:
            con.close()
        reads.append([published_at, [str(f) for f in figures]])
    except Exception as e:  # noqa: BLE001 - every error counts against the test
        errors.append(f"{type(e).__name__}: {e}")
out.write_text(json.dumps({"reads": reads, "errors": errors}))
"""


def _copy_data(warehouse: Path, dest: Path) -> Path:
    """A private data folder: the fixture's landing (symlinked) and a copy of its warehouse."""
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "landing").symlink_to(warehouse.parent / "landing")
    shutil.copyfile(warehouse, dest / "warehouse.duckdb")
    return dest


def _figures(path: Path) -> tuple[str, list[str]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        (published_at,) = con.execute("select published_at::varchar from marts._publish").fetchone()
        return published_at, [str(f) for f in con.execute(FIGURES).fetchone()]
    finally:
        con.close()


def test_readers_see_whole_publishes_while_three_publishes_land(warehouse, tmp_path):
    data = _copy_data(warehouse, tmp_path / "data")
    first = serving.publish(data=data)
    expected = dict([_figures(first.path)])
    outs = [tmp_path / f"reader{i}.json" for i in range(3)]
    stop = tmp_path / "stop"
    readers = [
        subprocess.Popen([sys.executable, "-c", READER, str(data), str(o), str(stop), FIGURES])
        for o in outs
    ]
    try:
        time.sleep(1.5)
        for k in range(3):
            # a different warehouse each time, so each publish has its own figures
            con = duckdb.connect(str(data / "warehouse.duckdb"))
            con.execute(
                "delete from marts.fct_contracts where contract_no in "
                "(select contract_no from marts.fct_contracts order by contract_no limit ?)",
                [k + 1],
            )
            con.close()
            pub = serving.publish(data=data)
            published_at, figures = _figures(pub.path)
            expected[published_at] = figures
            time.sleep(2.5)
    finally:
        stop.touch()
        for r in readers:
            r.wait(timeout=60)
    assert len(set(map(tuple, expected.values()))) == 4, "each publish must differ"
    seen = set()
    for o in outs:
        result = json.loads(o.read_text())
        assert result["errors"] == []
        assert len(result["reads"]) > 20
        for published_at, figures in result["reads"]:
            assert expected.get(published_at) == figures, (published_at, figures)
            seen.add(published_at)
    assert len(seen) >= 3, f"the readers saw only {len(seen)} publishes"


def test_a_failing_blocking_check_keeps_the_previous_publish(warehouse, tmp_path):
    data = _copy_data(warehouse, tmp_path / "data")
    _report, good, blocked = check_and_publish(data, build_ok=True)
    assert blocked is None and good is not None
    con = duckdb.connect(str(data / "warehouse.duckdb"))
    con.execute(
        "update marts.fct_contracts set status = 'garbage' where contract_no = "
        "(select min(contract_no) from marts.fct_contracts)"
    )
    con.close()
    report, pub, blocked = check_and_publish(data, build_ok=True)
    assert pub is None and blocked and "fct_contracts" in blocked
    assert any(r.asset.endswith("fct_contracts") for r in report.blocking_failures)
    assert serving.current_path(data) == good.path
    # the copy staged while the checks ran is gone: only the good publish is on disk
    assert sorted(p.name for p in serving.serving_dir(data).glob("zhongtai-*")) == [good.path.name]
    last = serving.publish_log(data)[0]
    assert last["outcome"] == "blocked" and "fct_contracts" in last["reason"]
    assert last["serving"] == good.path.name
    # a failed build is never checked nor published either
    _, pub, blocked = check_and_publish(data, build_ok=False)
    assert pub is None and "build failed" in blocked
    assert serving.current_path(data) == good.path


def _table_fingerprints(path: Path) -> dict[str, tuple[int, int]]:
    """Row count and an order-independent hash of every mart (publish metadata excluded).
    Floating-point columns are rounded to 6 places: DuckDB's parallel sums of doubles may
    differ in the last bits from one build to the next."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        columns: dict[str, list[str]] = {}
        for table, column, dtype in con.execute(
            "select table_name, column_name, data_type from duckdb_columns() "
            "where schema_name = 'marts' and table_name not in ('_publish', 'dq_check_results') "
            "order by table_name, column_index"
        ).fetchall():
            expr = f'"{column}"'
            if dtype in ("DOUBLE", "FLOAT"):
                expr = f"round({expr}, 6)"
            columns.setdefault(table, []).append(expr)
        return {
            t: tuple(
                con.execute(
                    f'select count(*), coalesce(sum(hash({", ".join(cols)})), 0) from marts."{t}"'
                ).fetchone()
            )
            for t, cols in columns.items()
        }
    finally:
        con.close()


@pytest.mark.slow
def test_killing_a_build_midway_then_rerunning_recovers(warehouse, tmp_path):
    data = _copy_data(warehouse, tmp_path / "data")
    reference = serving.publish(data=data)
    env = dbt_env(data)
    proc = subprocess.Popen(
        [sys.executable, "-m", "zhongtai.cli", "build", "--full-refresh"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    done = 0
    try:
        for line in proc.stdout:  # kill once dbt is well into the models
            if " of " in line and ("OK created" in line or "OK " in line):
                done += 1
            if done >= 40:
                break
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert done >= 40, "the build ended before it could be killed"
    res = build(data)
    assert res.ok, [f.name for f in res.failures]
    _report, pub, blocked = check_and_publish(data, build_ok=True)
    assert blocked is None, blocked
    assert _table_fingerprints(pub.path) == _table_fingerprints(reference.path)
