"""Landing compaction: small per-load files merged per entity and month, every row kept."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from extractors import compaction
from extractors.compaction import CompactionError, compact_landing, plan_groups

UTC = dt.UTC
NOW = dt.datetime(2026, 3, 20, tzinfo=UTC)
LATER = NOW + dt.timedelta(days=1)


def _load_id(at: dt.datetime, n: int = 0) -> str:
    return f"{at.timestamp():.0f}.{n:07d}"


def _land(folder: Path, at: dt.datetime, rows: list[dict], schema: pa.Schema | None = None):
    """One load's file, named as dlt names them: ``<load_id>.<file_id>.parquet``."""
    folder.mkdir(parents=True, exist_ok=True)
    load_id = _load_id(at)
    rows = [{**r, "_dlt_load_id": load_id} for r in rows]
    table = pa.Table.from_pylist(rows, schema=schema)
    path = folder / f"{load_id}.{os.urandom(5).hex()}.parquet"
    pq.write_table(table, path)
    return path


def _rows(key: int, at: dt.datetime, op: str = "upsert", **extra) -> dict:
    return {"id": str(key), "amount": key * 10, "_op": op, "_extracted_at": at, **extra}


def _read(folder: Path) -> list[tuple]:
    """The folder's change log as staging reads it (DuckDB, union_by_name), in a fixed order."""
    con = duckdb.connect()
    rel = f"read_parquet('{folder}/*.parquet', union_by_name = true)"
    return con.sql(f"select * from {rel} order by all").fetchall()


def _entity(tmp_path: Path) -> Path:
    return tmp_path / "landing" / "crm" / "Deals"


def _days(n: int, start: dt.datetime = dt.datetime(2026, 1, 30, 9, tzinfo=UTC)):
    return [start + dt.timedelta(days=i) for i in range(n)]


def test_plan_groups_month_runs_broken_by_large_recent_and_foreign_files(tmp_path):
    folder = _entity(tmp_path)
    # Jan 30, Jan 31 | Feb 1, Feb 2, Feb 3 (big) Feb 4, Feb 5 | recent
    files = []
    for i, at in enumerate(_days(7)):
        n = 500 if i == 4 else 1  # Feb 3: a large load (e.g. the initial extraction)
        files.append(_land(folder, at, [_rows(k, at, note=os.urandom(16).hex()) for k in range(n)]))
    big = files[4]
    recent = _land(folder, NOW + dt.timedelta(hours=1), [_rows(99, NOW, note="x")])
    foreign = folder / "manual-export.parquet"
    pq.write_table(pa.table({"id": ["x"]}), foreign)
    threshold = big.stat().st_size
    assert all(f.stat().st_size < threshold for f in files if f != big)
    groups = plan_groups([*files, recent, foreign], NOW, small_bytes=threshold)
    assert [[f.name for f in g] for g in groups] == [
        [files[0].name, files[1].name],  # January
        [files[2].name, files[3].name],  # February up to the big file
        [files[5].name, files[6].name],  # February after it
    ]


def test_compaction_keeps_every_row_and_the_schema_as_staging_reads_it(tmp_path):
    folder = _entity(tmp_path)
    days = _days(6)
    for i, at in enumerate(days):
        rows = [_rows(i, at), _rows(100 + i, at)]
        if i == 2:  # a column the source added later
            rows = [{**r, "stage": "won"} for r in rows]
        if i == 3:  # a tombstone and a re-landed version of an earlier key
            rows = [_rows(1, at, op="delete"), _rows(0, at)]
        _land(folder, at, rows)
    recent = _land(folder, NOW + dt.timedelta(hours=2), [_rows(7, NOW)])
    before = _read(folder)
    schema_before = duckdb.sql(
        f"describe select * from read_parquet('{folder}/*.parquet', union_by_name = true)"
    ).fetchall()

    report = compact_landing(tmp_path / "landing", older_than=NOW)

    names = sorted(p.name for p in folder.glob("*.parquet"))
    assert len(names) == 3  # January's two, February's four, the recent one
    assert names[-1] == recent.name
    assert all(".compacted-" in n for n in names[:2])
    assert _read(folder) == before
    schema_after = duckdb.sql(
        f"describe select * from read_parquet('{folder}/*.parquet', union_by_name = true)"
    ).fetchall()
    assert sorted(schema_after) == sorted(schema_before)
    (deals,) = [e for e in report.entities if e.entity == "Deals"]
    assert (deals.files_before, deals.files_after, deals.rows) == (7, 3, 12)
    assert not (folder / compaction.JOURNAL).exists()
    assert not list(folder.glob(".*.tmp"))
    # merged files sort where their loads were: name order is still load order
    first_loads = [n.split(".compacted")[0] for n in names[:2]]
    assert first_loads == sorted(first_loads)


def test_rerun_merges_nothing_more_and_dry_run_changes_nothing(tmp_path):
    folder = _entity(tmp_path)
    for i, at in enumerate(_days(3, dt.datetime(2026, 2, 2, tzinfo=UTC))):
        _land(folder, at, [_rows(i, at)])
    dry = compact_landing(tmp_path / "landing", older_than=NOW, dry_run=True)
    assert len(list(folder.glob("*.parquet"))) == 3
    assert dry.files_after == 1 and dry.dry_run
    compact_landing(tmp_path / "landing", older_than=NOW)
    names = sorted(p.name for p in folder.glob("*.parquet"))
    again = compact_landing(tmp_path / "landing", older_than=NOW)
    assert sorted(p.name for p in folder.glob("*.parquet")) == names
    assert again.files_before == again.files_after == 1


def test_crash_after_the_move_is_finished_by_the_next_run(tmp_path, monkeypatch):
    folder = _entity(tmp_path)
    for i, at in enumerate(_days(4, dt.datetime(2026, 2, 2, tzinfo=UTC))):
        _land(folder, at, [_rows(i, at), _rows(50 + i, at)])
    before = _read(folder)
    real_unlink = Path.unlink
    calls = {"n": 0}

    def dying_unlink(self, *a, **kw):
        if self.suffix == ".parquet" and ".compacted-" not in self.name:
            calls["n"] += 1
            if calls["n"] == 2:  # one input deleted, then the process dies
                raise KeyboardInterrupt("killed")
        return real_unlink(self, *a, **kw)

    monkeypatch.setattr(Path, "unlink", dying_unlink)
    with pytest.raises(KeyboardInterrupt):
        compact_landing(tmp_path / "landing", older_than=NOW)
    monkeypatch.setattr(Path, "unlink", real_unlink)
    assert (folder / compaction.JOURNAL).exists()
    assert len(list(folder.glob("*.parquet"))) == 4  # merged file + 3 inputs: rows twice

    report = compact_landing(tmp_path / "landing", older_than=NOW)

    assert _read(folder) == before  # nothing doubled, nothing lost
    assert len(list(folder.glob("*.parquet"))) == 1
    assert "finished an interrupted merge" in report.entities[0].recovered


def test_crash_before_the_move_is_undone_by_the_next_run(tmp_path, monkeypatch):
    folder = _entity(tmp_path)
    for i, at in enumerate(_days(3, dt.datetime(2026, 2, 2, tzinfo=UTC))):
        _land(folder, at, [_rows(i, at)])
    before = _read(folder)
    real_replace = os.replace

    def dying_replace(src, dst):
        if str(dst).endswith(".parquet"):
            raise KeyboardInterrupt("killed")
        return real_replace(src, dst)

    monkeypatch.setattr(compaction.os, "replace", dying_replace)
    with pytest.raises(KeyboardInterrupt):
        compact_landing(tmp_path / "landing", older_than=NOW)
    monkeypatch.setattr(compaction.os, "replace", real_replace)
    assert list(folder.glob(".*.tmp"))  # the half-done merge
    assert _read(folder) == before  # readers never saw it

    report = compact_landing(tmp_path / "landing", older_than=NOW)
    assert "undid an interrupted merge" in report.entities[0].recovered
    assert not list(folder.glob(".*.tmp"))
    assert len(list(folder.glob("*.parquet"))) == 1
    assert _read(folder) == before


def test_incompatible_group_is_left_alone_and_the_others_merge(tmp_path):
    jan, feb = _days(2), _days(2, dt.datetime(2026, 2, 2, tzinfo=UTC))
    folder = _entity(tmp_path)
    _land(folder, jan[0], [_rows(1, jan[0])])
    _land(folder, jan[1], [{**_rows(2, jan[1]), "amount": [1, 2]}])  # list vs integer
    for i, at in enumerate(feb):
        _land(folder, at, [_rows(10 + i, at)])
    report = compact_landing(tmp_path / "landing", older_than=NOW)
    (deals,) = report.entities
    assert deals.files_before == 4 and deals.files_after == 3
    (skipped,) = deals.skipped
    assert skipped.month == "2026-01" and "cannot be read or unified" in skipped.skipped
    assert len(list(folder.glob("*.parquet"))) == 3


def test_a_second_compaction_is_refused_while_one_runs(tmp_path):
    import fcntl

    landing = tmp_path / "landing"
    _land(_entity(tmp_path), NOW, [_rows(1, NOW)])
    with open(landing / compaction.LOCK, "a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        with pytest.raises(CompactionError, match="another compaction"):
            compact_landing(landing, older_than=NOW)
    with pytest.raises(CompactionError, match="no landing zone"):
        compact_landing(tmp_path / "nowhere")


def test_cli_compact(tmp_path, monkeypatch):
    from zhongtai.cli import app

    folder = _entity(tmp_path)
    old = dt.datetime.now(UTC) - dt.timedelta(days=10)
    for i in range(3):
        at = old + dt.timedelta(minutes=15 * i)
        _land(folder, at, [_rows(i, at)])
    monkeypatch.setenv("ZHONGTAI_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    dry = runner.invoke(app, ["compact", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "3 files → 1" in dry.output and "would merge" in dry.output
    assert len(list(folder.glob("*.parquet"))) == 3
    res = runner.invoke(app, ["compact"])
    assert res.exit_code == 0, res.output
    assert "3 files → 1" in res.output
    assert len(list(folder.glob("*.parquet"))) == 1
    missing = runner.invoke(app, ["compact"], env={"ZHONGTAI_DATA_DIR": str(tmp_path / "x")})
    assert missing.exit_code == 1 and "no landing zone" in missing.output


def _land_dlt(folder: Path, at: dt.datetime, keys: list[int]) -> Path:
    """A load file as dlt writes it: ``_dlt_load_id`` a dictionary column with an 8-bit index."""
    from dlt.common.libs.pyarrow import add_constant_column

    folder.mkdir(parents=True, exist_ok=True)
    load_id = repr(at.timestamp() + 0.25)
    t = pa.Table.from_pylist([_rows(k, at) for k in keys])
    t = add_constant_column(t, "_dlt_load_id", pa.string(), load_id, nullable=False)
    assert pa.types.is_dictionary(t.schema.field("_dlt_load_id").type)
    path = folder / f"{load_id}.{os.urandom(5).hex()}.parquet"
    pq.write_table(t, path)
    return path


def test_a_month_of_dlt_loads_reads_back_everywhere_and_merges_again(tmp_path):
    import pyarrow.dataset as ds

    folder = _entity(tmp_path)
    start = dt.datetime(2026, 2, 2, 9, tzinfo=UTC)
    for i in range(300):  # more loads than an 8-bit dictionary index can count
        _land_dlt(folder, start + dt.timedelta(minutes=15 * i), [i, 1000 + i])
    before = _read(folder)
    compact_landing(tmp_path / "landing", older_than=NOW)
    (merged,) = folder.glob("*.parquet")
    assert pq.read_table(merged).num_rows == 600
    assert ds.dataset([merged]).to_table(columns=["_dlt_load_id"]).num_rows == 600
    assert _read(folder) == before
    # the next night: new loads of the month join the merged file; its name does not grow
    for i in range(300, 310):
        _land_dlt(folder, start + dt.timedelta(minutes=15 * i), [i])
    compact_landing(tmp_path / "landing", older_than=NOW)
    (again,) = folder.glob("*.parquet")
    assert re.fullmatch(r"\d+\.\d+\.compacted-[0-9a-f]{8}\.parquet", again.name), again.name
    assert pq.read_table(again).num_rows == 610


def test_merged_files_stop_growing_and_unfinished_loads_wait(tmp_path):
    folder = _entity(tmp_path)
    files = [
        _land_dlt(folder, at, list(range(i * 50, i * 50 + 50)))
        for i, at in enumerate(_days(7, dt.datetime(2026, 2, 2, tzinfo=UTC)))
    ]
    loads = folder.parent / "_dlt_loads"
    loads.mkdir()
    for f in files[:6]:  # the last load was never recorded as complete
        load_id = f.name.removesuffix(".parquet").rsplit(".", 1)[0]
        (loads / f"zhongtai_crm__{load_id}.jsonl").write_text("{}")
    biggest, smallest = max(f.stat().st_size for f in files), min(f.stat().st_size for f in files)
    cap = biggest * 3 + 1  # three files per merge at most
    assert 4 * smallest > cap
    groups = compaction.plan_groups(files, NOW, cap, compaction.completed_loads(folder.parent))
    assert [len(g) for g in groups] == [3, 3]
    assert files[6] not in [f for g in groups for f in g]


def test_leftovers_of_a_crash_while_writing_are_swept_and_a_bad_journal_stops(tmp_path):
    folder = _entity(tmp_path)
    for i, at in enumerate(_days(2, dt.datetime(2026, 2, 2, tzinfo=UTC))):
        _land(folder, at, [_rows(i, at)])
    (folder / ".123.compacted-deadbeef.parquet.tmp").write_bytes(b"half a file")
    report = compact_landing(tmp_path / "landing", older_than=NOW)
    assert "a merge cut short" in report.entities[0].recovered
    assert not list(folder.glob(".*.tmp"))
    (folder / compaction.JOURNAL).write_text("{not json", encoding="utf-8")
    with pytest.raises(CompactionError, match="cannot be read"):
        compact_landing(tmp_path / "landing", older_than=NOW)


def test_files_are_not_moved_while_a_reader_holds_the_landing_zone(tmp_path):
    import threading

    folder = _entity(tmp_path)
    for i, at in enumerate(_days(3, dt.datetime(2026, 2, 2, tzinfo=UTC))):
        _land(folder, at, [_rows(i, at)])
    landing = tmp_path / "landing"
    done = threading.Event()

    def compact() -> None:
        compact_landing(landing, older_than=NOW)
        done.set()

    with compaction.reading(landing):
        listed = sorted(folder.glob("*.parquet"))
        worker = threading.Thread(target=compact)
        worker.start()
        assert not done.wait(1.0)  # the merge waits for the reader
        assert all(f.exists() for f in listed)  # what the reader listed is still there
    worker.join(30)
    assert done.is_set() and len(list(folder.glob("*.parquet"))) == 1
