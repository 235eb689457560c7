"""``make bench`` starts every run from the same pristine world, never one a previous bench
advanced (issue 8: the simulated day must not run ahead of the wall clock)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from zhongtai import pipeline_bench


def _base(data, as_of: str) -> None:
    world = data / "base" / "world"
    world.mkdir(parents=True)
    meta = {"as_of": as_of, "inbox": str(data / "base" / "inbox" / "bank")}
    (world / "world.json").write_text(json.dumps(meta), encoding="utf-8")
    (world / "crm.parquet").write_bytes(b"base")
    inbox = data / "base" / "inbox" / "bank"
    inbox.mkdir(parents=True)
    (inbox / "week-01.csv").write_text("statement", encoding="utf-8")


def test_reset_copies_world_and_inbox_afresh_and_removes_the_rest(tmp_path):
    data = tmp_path / "bench"
    _base(data, "2026-11-21")
    # what a previous bench run left behind
    for folder in ("landing/crm", "dbt/target", "serving", "quality", "inbox/bank/processed"):
        (data / folder).mkdir(parents=True)
    (data / "landing" / "crm" / "x.parquet").write_bytes(b"old")
    (data / "inbox" / "bank" / "processed" / "week-01.csv").write_text("old", encoding="utf-8")
    (data / "inbox" / "bank" / "week-02.csv").write_text("from an advance", encoding="utf-8")
    (data / "world").mkdir()
    (data / "world" / "world.json").write_text('{"as_of": "2026-11-22"}', encoding="utf-8")
    (data / "warehouse.duckdb").write_bytes(b"old")

    pipeline_bench.reset(data)

    assert not (data / "landing").exists() and not (data / "warehouse.duckdb").exists()
    assert not (data / "dbt").exists() and not (data / "serving").exists()
    assert sorted(p.name for p in (data / "inbox" / "bank").iterdir()) == ["week-01.csv"]
    meta = json.loads((data / "world" / "world.json").read_text(encoding="utf-8"))
    assert meta["as_of"] == "2026-11-21"
    assert meta["inbox"] == str((data / "inbox" / "bank").resolve())
    assert (data / "world" / "crm.parquet").read_bytes() == b"base"
    # the base itself is untouched
    base_meta = json.loads((data / "base" / "world" / "world.json").read_text(encoding="utf-8"))
    assert base_meta["inbox"] == str(data / "base" / "inbox" / "bank")


def test_a_base_world_as_of_the_bench_date_is_refused(tmp_path, monkeypatch):
    from simulators.world import generate as gen

    data = tmp_path / "bench"
    _base(data, "2026-11-23")
    monkeypatch.setattr(gen, "load_meta", lambda world: {"as_of": "2026-11-23"})
    with pytest.raises(RuntimeError, match=r"remove .*base"):
        pipeline_bench.run_bench(data, 0.01, 1, dt.date(2026, 11, 23), say=lambda _m: None)
