"""The Dagster definitions load and wire every stage (no materialization here)."""

import importlib
import os
import sys
from pathlib import Path

import dagster as dg
import pytest

from zhongtai.warehouse import landing_sources

POOL = "duckdb_warehouse"


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """``orchestration.definitions`` imported with a fresh data dir (dbt parse runs once)."""
    data = tmp_path_factory.mktemp("data")
    home = tmp_path_factory.mktemp("dagster_home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ZHONGTAI_DATA_DIR", str(data))
        mp.setenv("DAGSTER_HOME", str(home))
        mp.delenv("ZHONGTAI_DAGSTER_AUTOMATION", raising=False)
        was_loaded = "orchestration.definitions" in sys.modules
        mod = importlib.import_module("orchestration.definitions")
        if was_loaded:
            mod = importlib.reload(mod)  # built under this data dir
        dg.Definitions.validate_loadable(mod.defs)
        yield mod, data


@pytest.fixture(scope="module")
def repo(loaded):
    return loaded[0].defs.get_repository_def()


def _dbt_def(repo) -> dg.AssetsDefinition:
    return next(a for a in repo.assets_defs_by_key.values() if a.op.name == "dbt_warehouse")


def test_manifest_prepared_under_data_dir(loaded):
    _, data = loaded
    assert (Path(data) / "dbt" / "target" / "manifest.json").exists()


def test_ingest_assets_cover_every_dbt_source(repo):
    keys = repo.asset_graph.get_all_asset_keys()
    for system, tables in landing_sources().items():
        for table in tables:
            assert dg.AssetKey(["landing", system, table]) in keys, (system, table)
    spec = repo.asset_graph.get(dg.AssetKey(["landing", "crm", "Deals"]))
    assert spec.group_name == "ingest"
    ingest = repo.assets_defs_by_key[dg.AssetKey(["landing", "crm", "Deals"])]
    assert ingest.op.retry_policy is not None
    assert ingest.op.retry_policy.backoff == dg.Backoff.EXPONENTIAL


def test_dbt_assets_depend_on_ingest_and_group_by_folder(repo):
    dbt = _dbt_def(repo)
    graph = repo.asset_graph
    stg = dg.AssetKey(["staging", "stg_crm__accounts"])
    assert stg in dbt.keys
    assert dg.AssetKey(["landing", "crm", "Accounts"]) in graph.get(stg).parent_keys
    upstream = {k for key in dbt.keys for k in graph.get(key).parent_keys} - set(dbt.keys)
    for system, tables in landing_sources().items():
        for table in tables:
            assert dg.AssetKey(["landing", system, table]) in upstream, (system, table)
    groups = {graph.get(k).group_name for k in dbt.keys}
    assert {"staging_crm", "staging_oa"} <= groups
    assert any(g.startswith("marts_") for g in groups)
    assert any(g.startswith("intermediate") for g in groups)


def test_dbt_tests_are_asset_checks(repo):
    dbt = _dbt_def(repo)
    checks = list(dbt.check_specs)
    assert len(checks) > 10
    assert any(c.name.startswith(("not_null", "unique")) for c in checks)


def test_publish_depends_on_dbt(repo):
    node = repo.asset_graph.get(dg.AssetKey("serving_publish"))
    assert dg.AssetKey(["staging", "stg_crm__accounts"]) in node.parent_keys


def test_warehouse_assets_use_the_pool(repo):
    dbt = _dbt_def(repo)
    publish = repo.assets_defs_by_key[dg.AssetKey("serving_publish")]
    for a in (dbt, publish):
        assert a.op.pool == POOL
    root = Path(__file__).resolve().parents[2]
    template = (root / "orchestration" / "dagster.yaml").read_text(encoding="utf-8")
    assert "default_limit: 1" in template and POOL in template


def test_schedules(repo):
    by_name = {s.name: s for s in repo.schedule_defs}
    inc = by_name["incremental_working_hours"]
    nightly = by_name["nightly_full_build"]
    for s in (inc, nightly):
        assert s.execution_timezone == "Asia/Shanghai"
        assert s.default_status == dg.DefaultScheduleStatus.STOPPED
    assert inc.cron_schedule == "*/15 9-18 * * 1-5"
    assert nightly.cron_schedule == "0 2 * * *"
    inc_job = repo.get_job(inc.job_name)
    keys = inc_job.asset_layer.executable_asset_keys
    assert dg.AssetKey(["landing", "erp", "BD_Customer"]) in keys
    assert any(k.path[0] == "marts" for k in keys)
    assert dg.AssetKey("serving_publish") in keys
    nightly_job = repo.get_job(nightly.job_name)
    cfg = {"ops": {"dbt_warehouse": {"config": {"full_refresh": True}}}}
    assert dg.validate_run_config(nightly_job, cfg)


def test_nightly_compaction_runs_before_the_full_build_in_the_pool(repo):
    by_name = {s.name: s for s in repo.schedule_defs}
    compact = by_name["nightly_landing_compaction"]
    assert compact.execution_timezone == "Asia/Shanghai"
    assert compact.default_status == dg.DefaultScheduleStatus.STOPPED
    assert compact.cron_schedule == "30 1 * * *"  # the full build starts at 02:00
    job = repo.get_job(compact.job_name)
    (op,) = job.graph.node_defs
    assert op.pool == POOL


def test_bank_sensor_and_run_config(repo):
    from orchestration.defs.imports import bank_run_config

    sensor = repo.get_sensor_def("bank_inbox_sensor")
    job = repo.get_job(sensor.job_name)
    assert dg.AssetKey(["landing", "bank", "statements"]) in job.asset_layer.executable_asset_keys
    assert dg.validate_run_config(job, bank_run_config(Path("x.csv")))


def test_bank_sensor_requests_each_new_file_once(tmp_path, monkeypatch):
    from orchestration.defs.imports import bank_inbox_sensor

    monkeypatch.setenv("ZHONGTAI_DATA_DIR", str(tmp_path))
    inbox = tmp_path / "inbox" / "bank"
    ctx = dg.build_sensor_context()
    assert all(isinstance(r, dg.SkipReason) for r in bank_inbox_sensor(ctx))  # no inbox yet
    inbox.mkdir(parents=True)
    (inbox / "a.csv").write_text("x\n", encoding="utf-8")
    (inbox / "notes.md").write_text("not a statement\n", encoding="utf-8")

    def requests(cursor):
        ctx = dg.build_sensor_context(cursor=cursor)
        out = [r for r in bank_inbox_sensor(ctx) if isinstance(r, dg.RunRequest)]
        return out, ctx.cursor

    first, cursor = requests(None)
    assert len(first) == 1 and first[0].run_key.startswith("a.csv:")
    cfg = first[0].run_config["ops"]["landing__bank__statements"]["config"]
    assert cfg["paths"] == [str((inbox / "a.csv").resolve())]
    again, cursor = requests(cursor)
    assert again == []
    # a second file: only it; the same name rewritten (new mtime/size): again
    (inbox / "b.xlsx").write_bytes(b"b")
    second, cursor = requests(cursor)
    assert [r.run_key.split(":")[0] for r in second] == ["b.xlsx"]
    st = (inbox / "a.csv").stat()
    (inbox / "a.csv").write_text("x,y\n", encoding="utf-8")
    os.utime(inbox / "a.csv", ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    third, cursor = requests(cursor)
    assert [r.run_key.split(":")[0] for r in third] == ["a.csv"]
    assert requests(cursor)[0] == []


def test_failure_message_names_entity_and_fix():
    from extractors.landing import EntityResult
    from orchestration.defs.ingest import failure_message

    msg = failure_message("crm", [EntityResult("crm", "Deals", error="HTTP 503")])
    assert "landing/crm/Deals failed: HTTP 503" in msg
    assert "What to do" in msg and "zhongtai extract --system crm --entity Deals" in msg


def test_quality_checks_on_every_landing_entity_and_key_mart(repo):
    from zhongtai import quality

    graph = repo.asset_graph
    keys = [dg.AssetKey(["landing", s, e]) for s, e in quality.landing_entities()]
    keys += [dg.AssetKey(["marts", m]) for m in quality.KEY_MARTS]
    for key in keys:
        for name, blocking in (("gx_blocking", True), ("gx_warn", False)):
            check = dg.AssetCheckKey(key, name)
            assert check in graph.asset_check_keys, check
            assert graph.get_check_spec(check).blocking is blocking, check
    for asset in quality.CROSS_ASSETS:
        check = dg.AssetCheckKey(dg.AssetKey(asset.split("/")), "gx_cross_system")
        assert graph.get_check_spec(check).blocking is True, check


def test_quality_checks_reading_the_warehouse_use_the_pool(repo):
    by_op = {c.node_def.name: c for c in set(repo.asset_checks_defs_by_key.values())}
    assert by_op["quality_marts"].op.pool == POOL
    assert {"quality_landing_crm", "quality_landing_bank"} <= set(by_op)
    assert by_op["quality_landing_crm"].op.pool is None  # Parquet only
    inc = repo.get_job("incremental")
    selected = inc.asset_layer.asset_graph.asset_check_keys
    deals = dg.AssetCheckKey(dg.AssetKey(["landing", "crm", "Deals"]), "gx_blocking")
    contracts = dg.AssetCheckKey(dg.AssetKey(["marts", "fct_contracts"]), "gx_blocking")
    assert {deals, contracts} <= set(selected)
