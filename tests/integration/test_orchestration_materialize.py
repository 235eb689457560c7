"""End to end in Dagster at scale 0.01: every ingest asset from the simulators, the bank
import, the dbt build (its tests as asset checks), the quality gate and the publish."""

from __future__ import annotations

import importlib
import shutil
import sys

import dagster as dg
import duckdb
import pytest

from simulators.servers.sources import extractor_env
from zhongtai import serving

# its own worker: the simulators and a fresh data folder, not the shared warehouse
pytestmark = [pytest.mark.xdist_group("dagster"), pytest.mark.slow]


def test_materialize_everything_then_publish(world, sources, tmp_path, monkeypatch):
    data = tmp_path / "data"
    shutil.copytree(world.parent / "inbox" / "bank", data / "inbox" / "bank")
    monkeypatch.setenv("ZHONGTAI_DATA_DIR", str(data))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    for name, value in extractor_env(sources).items():
        monkeypatch.setenv(name, value)
    was_loaded = "orchestration.definitions" in sys.modules
    mod = importlib.import_module("orchestration.definitions")
    if was_loaded:
        mod = importlib.reload(mod)
    defs = mod.defs
    job = defs.resolve_job_def("incremental")
    with dg.instance_for_test() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False)
    failures = [
        f"{e.step_key}: {e.event_specific_data.error.message[:500]}"
        for e in result.all_events
        if e.event_type == dg.DagsterEventType.STEP_FAILURE
    ]
    assert result.success, failures
    materialized = {
        e.asset_key
        for e in result.all_events
        if e.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION
    }
    assert dg.AssetKey(["landing", "crm", "Deals"]) in materialized
    assert dg.AssetKey(["landing", "bank", "statements"]) in materialized
    assert dg.AssetKey(["marts", "fct_contracts"]) in materialized
    assert dg.AssetKey("serving_publish") in materialized
    checks = [
        e.event_specific_data
        for e in result.all_events
        if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ]
    assert len(checks) > 500  # dbt's tests, as asset checks
    assert not [c for c in checks if not c.passed and c.severity == dg.AssetCheckSeverity.ERROR]
    con = duckdb.connect(str(serving.current_path(data)), read_only=True)
    try:
        assert con.execute("select count(*) from marts.fct_contracts").fetchone()[0] > 0
        assert con.execute("select count(*) from marts.dq_check_results").fetchone()[0] > 0
    finally:
        con.close()

    # the nightly compaction runs on that landing zone (one load per entity: nothing to merge)
    compact = defs.resolve_job_def("compact_landing")
    cfg = {"ops": {"compact_landing_files": {"config": {"keep_days": 0}}}}
    with dg.instance_for_test() as instance:
        done = compact.execute_in_process(run_config=cfg, instance=instance, raise_on_error=False)
    assert done.success
    assert (data / "landing" / "crm" / "Deals").is_dir()
