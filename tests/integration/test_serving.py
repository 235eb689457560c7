"""Blue/green publishing of the marts and read-only access to the current publish."""

from __future__ import annotations

import os
import shutil
import subprocess

import duckdb
import pytest
from typer.testing import CliRunner

from zhongtai.cli import app
from zhongtai.serving import LOG, POINTER, ServingError, connect, current_path, publish

pytestmark = pytest.mark.xdist_group("warehouse")


def test_publish_repoints_current_and_keeps_the_newest(warehouse, tmp_path):
    first = publish(warehouse, tmp_path, keep=2)
    assert current_path(tmp_path) == first.path
    assert first.tables["fct_contracts"] > 0 and "dim_user_access" in first.tables
    second = publish(warehouse, tmp_path, keep=2)
    assert current_path(tmp_path) == second.path != first.path
    assert first.path.exists()  # still there for readers that opened it
    third = publish(warehouse, tmp_path, keep=2)
    assert not first.path.exists() and third.pruned == [first.path]
    assert sorted(p.name for p in (tmp_path / "serving").iterdir()) == sorted(
        [POINTER, LOG, second.path.name, third.path.name]
    )


def test_serving_file_is_a_documented_v1_4_copy_of_the_marts(warehouse, tmp_path):
    pub = publish(warehouse, tmp_path)
    con = duckdb.connect(str(pub.path), read_only=True)
    try:
        (tags,) = con.execute(
            "select tags from duckdb_databases() where database_name = current_database()"
        ).fetchall()[0]
        undocumented = con.execute(
            "select table_name, column_name from duckdb_columns() where schema_name = 'marts' "
            "and table_name <> '_publish' and coalesce(comment, '') = ''"
        ).fetchall()
        n = con.execute("select count(*) from marts.fct_contracts").fetchall()[0][0]
    finally:
        con.close()
    assert tags["storage_version"].startswith("v1.4")
    assert undocumented == []
    src = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert n == src.execute("select count(*) from marts.fct_contracts").fetchall()[0][0]
    finally:
        src.close()


def test_duckdb_1_x_can_read_the_serving_file(warehouse, tmp_path):
    """Analysts' DuckDB 1.x tools open the publish (DuckDB 2.0 files would be unreadable)."""
    uv = os.environ.get("ZHONGTAI_UV", "").split() or (
        [shutil.which("uv")] if shutil.which("uv") else []
    )
    if not uv:
        pytest.skip("uv not found (make test passes it in ZHONGTAI_UV)")
    pub = publish(warehouse, tmp_path)
    code = (
        "import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=True); "
        "n = c.execute('select count(*) from marts.dim_date').fetchall()[0][0]; "
        "print(duckdb.__version__, n)"
    )
    out = subprocess.run(
        [
            *uv,
            "run",
            "--no-project",
            "--with",
            "duckdb==1.4.4",
            "python",
            "-c",
            code,
            str(pub.path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout.split()
    assert out[0] == "1.4.4" and int(out[1]) > 1000


def test_readers_are_read_only_and_locked_down(warehouse, tmp_path):
    publish(warehouse, tmp_path)
    con = connect(tmp_path)
    try:
        with pytest.raises(duckdb.Error):
            con.execute("select * from read_csv('/etc/hostname')")
        with pytest.raises(duckdb.Error):
            con.execute("set enable_external_access = true")
        with pytest.raises(duckdb.Error):
            con.execute("create table marts.x as select 1")
    finally:
        con.close()


def test_sql_command_prints_rows_and_says_when_nothing_is_published(warehouse, tmp_path):
    runner = CliRunner()
    env = {"ZHONGTAI_DATA_DIR": str(tmp_path)}
    res = runner.invoke(app, ["sql", "select 1"], env=env)
    assert res.exit_code == 1 and "zhongtai publish" in res.output
    with pytest.raises(ServingError):
        current_path(tmp_path)
    publish(warehouse, tmp_path)
    res = runner.invoke(
        app,
        [
            "sql",
            "select region, count(*) n from marts.dim_customers group by all",
            "--max-rows",
            "2",
        ],
        env=env,
    )
    assert res.exit_code == 0, res.output
    assert "showing 2 of" in res.output


def test_a_second_connection_in_one_process_is_hardened_too(warehouse, tmp_path):
    publish(warehouse, tmp_path)
    first = connect(tmp_path)
    second = connect(tmp_path)  # same file: DuckDB hands out the same, locked instance
    try:
        assert second.execute("select count(*) from marts.fct_contracts").fetchone()[0] > 0
        with pytest.raises(duckdb.Error):
            second.execute("set enable_external_access = true")
        with pytest.raises(duckdb.Error):
            second.execute(f"copy (select 1) to '{tmp_path / 'leak.csv'}'")
    finally:
        second.close()
        first.close()


def test_added_tables_are_documented_too(warehouse, tmp_path):
    import pandas as pd

    frame = pd.DataFrame({"run_id": ["r1"], "passed": [True]})
    pub = publish(warehouse, tmp_path, extra={"dq_check_results": frame})
    con = duckdb.connect(str(pub.path), read_only=True)
    try:
        assert con.execute("select count(*) from marts.dq_check_results").fetchone()[0] == 1
        undocumented = con.execute(
            "select table_name, column_name from duckdb_columns() where schema_name = 'marts' "
            "and coalesce(comment, '') = ''"
        ).fetchall()
        assert undocumented == []
    finally:
        con.close()
    assert pub.tables["dq_check_results"] == 1


def test_a_staged_publish_serves_nothing_until_committed_and_discard_leaves_no_trace(
    warehouse, tmp_path
):
    from zhongtai import serving as sv

    data = tmp_path / "data"
    data.mkdir()
    first = sv.publish(warehouse=warehouse, data=data)
    staged = sv.stage(warehouse=warehouse, data=data)
    assert staged.tmp.exists() and staged.tables
    assert sv.current_path(data) == first.path  # staging does not repoint
    staged.discard()
    assert not staged.tmp.exists()
    assert sorted(p.name for p in sv.serving_dir(data).iterdir() if p.name != sv.LOG) == sorted(
        [first.path.name, sv.POINTER]
    )
    with pytest.raises(sv.ServingError, match="already committed or discarded"):
        staged.commit()
    second = sv.stage(warehouse=warehouse, data=data).commit(keep=5)
    assert sv.current_path(data) == second.path != first.path
    assert second.tables == first.tables
