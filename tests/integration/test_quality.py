"""The quality checks on the session warehouse (scale 0.01): the clean build passes every
blocking check, planted bad rows fail the right ones, Data Docs are rendered and
``zhongtai check`` exits 1 exactly when a blocking check fails.

The shared fixture folder is never written: each test works in a data folder of its own whose
``landing`` and ``dbt`` link to the fixture's, with the warehouse linked (read-only checks) or
copied (planted rows)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from zhongtai import quality
from zhongtai.cli import app

pytestmark = pytest.mark.xdist_group("warehouse")


def data_folder(warehouse: Path, root: Path, *, copy_warehouse: bool) -> Path:
    src = warehouse.parent
    data = root / "data"
    data.mkdir()
    (data / "landing").symlink_to(src / "landing", target_is_directory=True)
    (data / "dbt").symlink_to(src / "dbt", target_is_directory=True)
    if copy_warehouse:
        shutil.copy2(warehouse, data / "warehouse.duckdb")
    else:
        (data / "warehouse.duckdb").symlink_to(warehouse)
    return data


def zhongtai_check(data: Path, *args: str):
    return CliRunner().invoke(app, ["check", *args], env={"ZHONGTAI_DATA_DIR": str(data)})


@pytest.fixture(scope="module")
def clean(warehouse, tmp_path_factory):
    """`zhongtai check --json` on the untouched warehouse: (data folder, exit code, payload)."""
    data = data_folder(warehouse, tmp_path_factory.mktemp("q_clean"), copy_warehouse=False)
    res = zhongtai_check(data, "--json")
    return data, res.exit_code, json.loads(res.stdout)


@pytest.fixture(scope="module")
def planted(warehouse, tmp_path_factory) -> Path:
    """A copy of the warehouse with a garbage contract status and one bank receipt gone."""
    data = data_folder(warehouse, tmp_path_factory.mktemp("q_bad"), copy_warehouse=True)
    con = duckdb.connect(str(data / "warehouse.duckdb"))
    try:
        con.execute(
            "update marts.fct_contracts set status = 'garbage' "
            "where contract_no = (select min(contract_no) from marts.fct_contracts)"
        )
        con.execute(
            "delete from marts.fct_bank_receipts "
            "where bank_txn_id = (select min(bank_txn_id) from marts.fct_bank_receipts)"
        )
    finally:
        con.close()
    return data


def test_clean_warehouse_passes_every_blocking_check(clean):
    _, code, payload = clean
    failed = [r for r in payload["results"] if not r["passed"] and r["severity"] == "blocking"]
    assert failed == [], failed
    assert code == 0 and payload["ok"] and payload["blocking_failures"] == 0
    gx = [r for r in payload["results"] if r["source"] == "gx"]
    assets = {r["asset"] for r in gx}
    assert {f"landing/{s}/{e}" for s, e in quality.landing_entities()} <= assets
    assert {f"marts/{m}" for m in quality.KEY_MARTS} <= assets
    cross = [r for r in gx if r["suite"] == "cross_system"]
    assert len(cross) == len(quality.CROSS_CHECKS) and all(r["passed"] for r in cross)
    assert any(r["source"] == "dbt" for r in payload["results"])  # the build's dbt tests


def test_results_and_data_docs_are_saved(clean):
    data, _, payload = clean
    index = data / "quality" / "docs" / "index.html"
    assert payload["docs_index"] == str(index) and index.exists()
    html = index.read_text(encoding="utf-8")
    assert "landing__crm__Deals" in html and "marts__fct_contracts" in html
    stored = quality.load_results(data)
    assert set(stored["run_id"]) == {payload["run_id"]}
    assert len(stored) == payload["checks"]
    assert (data / "quality" / "gx" / "great_expectations.yml").exists()


def test_planted_bad_status_fails_the_status_check(planted):
    results = quality.check_mart(planted, "fct_contracts")
    failed = [r.check_name for r in results if not r.passed and r.severity == "blocking"]
    assert failed == ["accepted_values:status"]
    r = next(r for r in results if r.check_name == "accepted_values:status")
    assert r.observed_value.startswith("1 of ") and "'garbage'" in r.observed_value
    assert "zhongtai build" in r.details


def test_planted_missing_receipt_fails_the_cross_system_totals(planted):
    results = quality.check_cross_system(planted, docs=False)
    failed = sorted(r.check_name for r in results if not r.passed)
    assert failed == [
        "bank_statements_vs_fct_bank_receipts:amount",
        "bank_statements_vs_fct_bank_receipts:count",
    ]
    count = next(r for r in results if r.check_name.endswith(":count"))
    assert count.asset == "marts/fct_bank_receipts" and "(difference 1)" in count.observed_value


def test_check_cli_exits_1_on_a_blocking_failure(planted):
    res = zhongtai_check(planted, "--asset", "marts/fct_contracts", "--no-docs")
    assert res.exit_code == 1, res.output
    assert "accepted_values:status" in res.output
    assert "blocking check(s) failed" in res.output
    ok = zhongtai_check(planted, "--asset", "marts/fct_invoices", "--no-docs")
    assert ok.exit_code == 0, ok.output
    assert "dbt tests left out" in ok.output


def test_dagster_checks_evaluate_and_save_results(clean, monkeypatch):
    import dagster as dg

    from orchestration.defs.quality import landing_checks, mart_checks

    data, _, _ = clean
    monkeypatch.setenv("ZHONGTAI_DATA_DIR", str(data))
    deals = dg.AssetKey(["landing", "crm", "Deals"])
    invoices = dg.AssetKey(["marts", "fct_invoices"])
    checks = [landing_checks("crm", ["Deals"]), mart_checks(["fct_invoices"])]
    job = dg.define_asset_job("quality_only", selection=dg.AssetSelection.checks(*checks))
    defs = dg.Definitions(
        assets=[dg.AssetSpec(deals), dg.AssetSpec(invoices)], asset_checks=checks, jobs=[job]
    )
    with dg.DagsterInstance.ephemeral() as instance:
        res = defs.resolve_job_def("quality_only").execute_in_process(instance=instance)
    evaluations = {(e.asset_key, e.check_name): e for e in res.get_asset_check_evaluations()}
    assert set(evaluations) == {
        (deals, "gx_blocking"),
        (deals, "gx_warn"),
        (invoices, "gx_blocking"),
        (invoices, "gx_warn"),
        (invoices, "gx_cross_system"),
    }
    assert all(e.passed for e in evaluations.values())
    blocking = evaluations[(invoices, "gx_blocking")]
    assert blocking.severity == dg.AssetCheckSeverity.ERROR
    assert blocking.metadata["failed"].value == 0
    stored = quality.load_results(data, latest_only=False)
    mine = stored[stored["run_id"] == res.run_id]
    assert {"landing/crm/Deals", "marts/fct_invoices"} <= set(mine["asset"])
