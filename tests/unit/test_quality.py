"""zhongtai.quality on small synthetic landing files and marts: every suite catches a planted
problem and passes clean data; the results table round-trips and is written atomically."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from zhongtai import quality
from zhongtai.quality import BLOCKING, WARN, CheckResult, QualityReport

T0 = dt.datetime(2025, 6, 1, 8, 0, tzinfo=dt.UTC)


def _spec(system: str, entity: str):
    return next(s for s in quality._entity_specs() if (s.system, s.name) == (system, entity))


def write_landing(
    data: Path, system: str, entity: str, rows: list[dict], *, drop: tuple[str, ...] = ()
) -> Path:
    """One Parquet file in <data>/landing/<system>/<entity>/ with the extractor's schema."""
    spec = _spec(system, entity)
    schema = spec.schema().append(pa.field("_dlt_load_id", pa.string()))
    full = [
        {"_op": "upsert", "_extracted_at": T0, "_dlt_load_id": "1748764800.1", **r} for r in rows
    ]
    table = pa.Table.from_pylist(full, schema=schema)
    table = table.drop_columns(list(drop))
    folder = data / "landing" / system / entity
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.parquet"):
        old.unlink()
    path = folder / "1748764800.1.parquet"
    pq.write_table(table, path)
    return path


def deals(n: int = 40, amount: float = 1000.0) -> list[dict]:
    return [
        {
            "id": f"D{i:04d}",
            "Deal_Name": f"deal {i}",
            "Stage": "意向",
            "Amount": Decimal(f"{amount + i:.2f}"),
            "Probability": 30,
            "Type": "小鼠类",
        }
        for i in range(n)
    ]


def by_check(results: list[CheckResult]) -> dict[str, CheckResult]:
    return {r.check_name: r for r in results}


def blocking_failed(results: list[CheckResult]) -> list[str]:
    return [r.check_name for r in results if not r.passed and r.severity == BLOCKING]


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    """One data folder for the module: the GX project is set up once (a few seconds)."""
    return tmp_path_factory.mktemp("quality_data")


@pytest.fixture
def fresh_profiles(data):
    (data / "quality" / "profiles.parquet").unlink(missing_ok=True)


# --------------------------------------------------------------------------------------------
# landing suites


def test_clean_landing_passes_and_first_run_has_no_baseline(data, fresh_profiles):
    write_landing(data, "crm", "Deals", deals())
    results = quality.check_landing(data, "crm", "Deals")
    assert blocking_failed(results) == []
    assert all(r.passed for r in results)
    checks = by_check(results)
    assert {"schema", "not_null:id", "accepted_values:Stage", "non_negative:Amount"} <= set(checks)
    assert checks["volume"].severity == WARN and checks["volume"].observed_value == "no baseline"
    assert all(r.source == "gx" and r.asset == "landing/crm/Deals" for r in results)
    assert (data / "quality" / "docs" / "index.html").exists()  # the Checkpoint's docs action


def test_missing_column_fails_the_schema_check(data):
    write_landing(data, "crm", "Deals", deals(), drop=("Deal_Name",))
    checks = by_check(quality.check_landing(data, "crm", "Deals", docs=False))
    assert not checks["schema"].passed and checks["schema"].severity == BLOCKING
    assert checks["schema"].observed_value == "missing: Deal_Name"
    assert "What to do" in checks["schema"].details


def test_null_key_fails(data):
    rows = deals()
    rows[3]["id"] = None
    write_landing(data, "crm", "Deals", rows)
    results = quality.check_landing(data, "crm", "Deals", docs=False)
    assert blocking_failed(results) == ["not_null:id"]
    assert by_check(results)["not_null:id"].observed_value.startswith("1 of 40 rows")


def test_bad_status_and_negative_amount_fail(data):
    rows = deals()
    rows[0]["Stage"] = "garbage"
    rows[1]["Amount"] = Decimal("-5.00")
    write_landing(data, "crm", "Deals", rows)
    results = quality.check_landing(data, "crm", "Deals", docs=False)
    assert sorted(blocking_failed(results)) == ["accepted_values:Stage", "non_negative:Amount"]
    checks = by_check(results)
    assert "'garbage'" in checks["accepted_values:Stage"].observed_value
    assert "-5" in checks["non_negative:Amount"].observed_value


def test_tombstones_do_not_break_required_fields(data):
    spec = _spec("oa", "workflow_request_logs")
    assert "requestId" in spec.required
    rows = [
        {
            "id": "L1",
            "requestId": "R1",
            "operatedate": dt.date(2025, 5, 1),
            "operatetime": "09:00:00",
        },
        {"id": "L2", "_op": "delete"},  # a tombstone carries only its key
    ]
    write_landing(data, "oa", "workflow_request_logs", rows)
    assert blocking_failed(quality.check_landing(data, "oa", "workflow_request_logs")) == []
    rows.append({"id": "L3", "operatedate": dt.date(2025, 5, 1), "operatetime": "09:00:00"})
    write_landing(data, "oa", "workflow_request_logs", rows)
    results = quality.check_landing(data, "oa", "workflow_request_logs", docs=False)
    assert blocking_failed(results) == ["not_null:requestId"]


def test_volume_and_distribution_drift_against_the_previous_load(data, fresh_profiles):
    write_landing(data, "crm", "Deals", deals(100, amount=1000))
    first = by_check(quality.check_landing(data, "crm", "Deals", docs=False))
    assert first["volume"].passed and first["volume"].observed_value == "no baseline"
    again = by_check(quality.check_landing(data, "crm", "Deals", docs=False))
    assert again["volume"].observed_value == "no baseline"  # same load: nothing to compare
    write_landing(data, "crm", "Deals", deals(50, amount=5000))  # rows lost, amounts jumped
    results = quality.check_landing(data, "crm", "Deals", docs=False)
    checks = by_check(results)
    assert not checks["volume"].passed and checks["volume"].severity == WARN
    assert checks["volume"].observed_value == "50 rows (previous 100)"
    assert (
        not checks["mean:Amount"].passed
        and "previous 1,049.50" in checks["mean:Amount"].observed_value
    )
    assert blocking_failed(results) == []  # drift warns, it does not block
    write_landing(data, "crm", "Deals", deals(60, amount=5000))  # grew a little since
    checks = by_check(quality.check_landing(data, "crm", "Deals", docs=False))
    assert checks["volume"].passed and checks["mean:Amount"].passed


def test_missing_landing_folder_is_a_clear_blocking_failure(data):
    results = quality.check_landing(data, "erp", "STK_Inventory")
    assert len(results) == 1
    r = results[0]
    assert (r.check_name, r.severity, r.passed) == ("landing_present", BLOCKING, False)
    assert "landing/erp/STK_Inventory" in r.expectation and "zhongtai extract" in r.details
    bank = quality.check_landing(data, "bank", "statements")[0]
    assert "zhongtai import bank" in bank.details


def test_unknown_entity_is_an_error(data):
    with pytest.raises(quality.QualityError, match="no landed entity crm/Nope"):
        quality.check_landing(data, "crm", "Nope")
    with pytest.raises(quality.QualityError, match="unknown asset"):
        quality.run_checks(data, assets=["marts/nope"])


# --------------------------------------------------------------------------------------------
# mart and cross-system suites


def contracts_frame(n: int = 10) -> pd.DataFrame:
    cols = quality.MART_SUITES["fct_contracts"].rules[0].opt("column_set")
    rows = []
    for i in range(n):
        row = dict.fromkeys(cols)
        row.update(
            contract_no=f"HT-HD-202501-{i:04d}",
            contract_type="标准",
            is_prepayment=False,
            owner_region="华东",
            original_amount=1000.0 + i,
            amount=1000.0 + i,
            status="履行中",
            is_signed=True,
            signed_date=dt.date(2025, 1, 5),
            start_date=dt.date(2025, 1, 5),
            end_date=dt.date(2025, 12, 31),
            as_of_date=dt.date(2025, 6, 30),
        )
        rows.append(row)
    return pd.DataFrame(rows)


def write_marts(data: Path, **tables: pd.DataFrame) -> None:
    path = data / "warehouse.duckdb"
    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema marts")
        for name, frame in tables.items():
            con.register("frame", frame)
            con.execute(f"create table marts.{name} as select * from frame")
            con.unregister("frame")
    finally:
        con.close()


def test_mart_suite_passes_clean_and_catches_status_and_sign(data):
    write_marts(data, fct_contracts=contracts_frame())
    clean = quality.check_mart(data, "fct_contracts", docs=False)
    assert blocking_failed(clean) == [], [r for r in clean if not r.passed]
    bad = contracts_frame()
    bad.loc[2, "status"] = "garbage"
    bad.loc[3, "amount"] = -1.0
    bad.loc[4, "signed_date"] = None  # signed without a signing date
    write_marts(data, fct_contracts=bad)
    results = quality.check_mart(data, "fct_contracts", docs=False)
    assert sorted(blocking_failed(results)) == [
        "accepted_values:status",
        "non_negative:amount",
        "not_null:signed_date",
    ]
    assert "'garbage'" in by_check(results)["accepted_values:status"].observed_value


def test_mart_without_a_checked_column(data):
    write_marts(data, fct_contracts=contracts_frame().drop(columns=["status"]))
    checks = by_check(quality.check_mart(data, "fct_contracts", docs=False))
    assert checks["schema"].observed_value == "missing: status"
    assert checks["accepted_values:status"].observed_value == "column missing: status"
    assert not checks["accepted_values:status"].passed


def test_missing_mart_or_warehouse_is_reported_not_raised(data):
    write_marts(data, fct_contracts=contracts_frame())
    (r,) = quality.check_mart(data, "fct_invoices", docs=False)
    assert (r.check_name, r.passed, r.severity) == ("table_present", False, BLOCKING)
    empty = data / "no_warehouse_here"
    empty.mkdir(exist_ok=True)
    (r,) = quality.check_mart(empty, "fct_contracts", docs=False)
    assert r.check_name == "warehouse_present" and "zhongtai build" in r.details


def test_cross_system_bank_totals(data):
    lines = [
        {"serial_no": f"S{i}", "account_no": "6222", "txn_time": T0, "amount": Decimal("100.10")}
        for i in range(5)
    ]
    write_landing(data, "bank", "statements", lines)
    receipts = pd.DataFrame(
        {"bank_txn_id": [f"6222:S{i}" for i in range(5)], "amount": [100.10] * 5}
    )
    receipts["amount"] = receipts["amount"].astype("float64")
    con_sql = "alter table marts.fct_bank_receipts alter amount type decimal(18, 2)"
    write_marts(data, fct_bank_receipts=receipts)
    with duckdb.connect(str(data / "warehouse.duckdb")) as con:
        con.execute(con_sql)
    checks = by_check(quality.check_cross_system(data, docs=False))
    for name in ("count", "amount"):
        r = checks[f"bank_statements_vs_fct_bank_receipts:{name}"]
        assert r.passed and r.asset == "marts/fct_bank_receipts", r
    assert (
        "500.50 vs marts.fct_bank_receipts 500.50"
        in checks["bank_statements_vs_fct_bank_receipts:amount"].observed_value
    )
    other = checks["crm_deals_vs_fct_opportunities:count"]
    assert not other.passed and other.observed_value == "not computed"
    with duckdb.connect(str(data / "warehouse.duckdb")) as con:
        con.execute("delete from marts.fct_bank_receipts where bank_txn_id = '6222:S0'")
    checks = by_check(quality.check_cross_system(data, docs=False))
    r = checks["bank_statements_vs_fct_bank_receipts:count"]
    assert not r.passed and r.severity == BLOCKING and "(difference 1)" in r.observed_value


# --------------------------------------------------------------------------------------------
# the report, the results table, dbt results


def result(
    name: str, passed: bool, severity: str = BLOCKING, asset: str = "marts/x"
) -> CheckResult:
    return CheckResult(
        name, asset, "s", "gx", severity, passed, "o", "e", None if passed else "fix"
    )


def test_report_ok_and_summary():
    rep = QualityReport("r1", T0, [result("a", True), result("b", False, WARN)])
    assert rep.ok and rep.blocking_failures == []
    rep.results.append(result("c", False))
    assert not rep.ok and [r.check_name for r in rep.blocking_failures] == ["c"]
    lines = rep.summary().splitlines()
    assert lines[0].startswith("[blocking] marts/x c: observed o; expected e. fix")
    assert lines[1].startswith("[warn] marts/x b")


def test_results_round_trip_and_keep_last_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(quality, "KEEP_RUNS", 2)
    for i in range(3):
        rep = QualityReport(
            f"run{i}", T0 + dt.timedelta(hours=i), [result("a", i != 1), result("b", True)]
        )
        quality.save_results(rep, tmp_path)
    path = tmp_path / "quality" / "check_results.parquet"
    schema = pq.read_schema(path)
    assert schema.field("run_at").type == pa.timestamp("us", tz="UTC")
    assert schema.field("passed").type == pa.bool_()
    every = quality.load_results(tmp_path, latest_only=False)
    assert sorted(every["run_id"].unique()) == ["run1", "run2"]  # run0 dropped
    latest = quality.load_results(tmp_path)
    assert len(latest) == 2 and set(latest["run_id"]) == {"run2"}
    assert latest["run_at"].dt.tz is not None
    # a result of the same run and check replaces the earlier one (a retried Dagster check)
    quality.save_results(
        QualityReport("run2", T0 + dt.timedelta(hours=2), [result("a", False)]), tmp_path
    )
    every = quality.load_results(tmp_path, latest_only=False)
    run2 = every[every["run_id"] == "run2"].set_index("check_name")
    assert len(run2) == 2 and not run2.loc["a", "passed"]
    assert (
        quality.load_results(tmp_path / "nothing").columns.tolist() == quality.RESULT_SCHEMA.names
    )


def test_results_are_written_atomically(tmp_path, monkeypatch):
    quality.save_results(QualityReport("run0", T0, [result("a", True)]), tmp_path)
    path = tmp_path / "quality" / "check_results.parquet"
    before = path.read_bytes()

    def broken_write(table, where, *args, **kwargs):
        Path(where).write_bytes(b"half a parquet file")
        raise OSError("disk full")

    monkeypatch.setattr(quality.pq, "write_table", broken_write)
    with pytest.raises(OSError, match="disk full"):
        quality.save_results(QualityReport("run1", T0, [result("a", False)]), tmp_path)
    assert path.read_bytes() == before  # readers still see the previous file
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_dbt_results(tmp_path):
    target = tmp_path / "target"
    target.mkdir()
    results = [
        {"unique_id": "test.zt.not_null_fct_x_id.1", "status": "pass", "failures": 0},
        {
            "unique_id": "test.zt.rel_fct_x_y.2",
            "status": "warn",
            "failures": 3,
            "message": "Got 3 results, configured to warn if != 0",
        },
        {
            "unique_id": "test.zt.assert_totals.3",
            "status": "fail",
            "failures": 2,
            "message": "Got 2",
        },
        {"unique_id": "test.zt.unique_fct_x_id.4", "status": "skipped", "failures": None},
        {"unique_id": "test.zt.not_null_columns_fct_x.5", "status": "fail", "failures": 2},
        {"unique_id": "model.zt.fct_x", "status": "success"},
        {"unique_id": "unit_test.zt.fct_x.u", "status": "pass"},
    ]
    nodes = {
        "model.zt.fct_x": {"schema": "marts"},
        "test.zt.not_null_fct_x_id.1": {
            "name": "not_null_fct_x_id",
            "config": {"severity": "ERROR"},
            "attached_node": "model.zt.fct_x",
            "column_name": "id",
            "test_metadata": {"name": "not_null"},
        },
        "test.zt.rel_fct_x_y.2": {
            "name": "rel_fct_x_y",
            "config": {"severity": "warn"},
            "attached_node": "model.zt.fct_x",
        },
        "test.zt.assert_totals.3": {
            "name": "assert_totals",
            "config": {"severity": "error"},
            "depends_on": {"nodes": ["model.zt.fct_x"]},
        },
        "test.zt.unique_fct_x_id.4": {
            "name": "unique_fct_x_id",
            "config": {"severity": "error"},
            "attached_node": "model.zt.fct_x",
        },
        "test.zt.not_null_columns_fct_x.5": {
            "name": "not_null_columns_fct_x",
            "config": {"severity": "error"},
            "attached_node": "model.zt.fct_x",
            "test_metadata": {
                "name": "not_null_columns",
                "kwargs": {"columns": ["a", "b", "c"]},
            },
        },
    }
    (target / "run_results.json").write_text(json.dumps({"results": results}))
    (target / "manifest.json").write_text(json.dumps({"nodes": nodes}))
    out = {r.check_name: r for r in quality.dbt_results(target / "run_results.json")}
    assert set(out) == {
        "not_null_fct_x_id",
        "rel_fct_x_y",
        "assert_totals",
        "unique_fct_x_id",
        "not_null_columns_fct_x",
    }
    assert all(r.source == "dbt" and r.asset == "marts/fct_x" for r in out.values())
    assert out["not_null_fct_x_id"].passed and out["not_null_fct_x_id"].severity == BLOCKING
    assert out["not_null_fct_x_id"].expectation == "dbt not_null on id returns no rows"
    warn = out["rel_fct_x_y"]
    assert (warn.passed, warn.severity, warn.observed_value) == (False, WARN, "3 failing rows")
    fail = out["assert_totals"]
    assert (fail.passed, fail.severity) == (
        False,
        BLOCKING,
    ) and "--select assert_totals" in fail.details
    assert out["unique_fct_x_id"].observed_value.startswith("not run")
    nn = out["not_null_columns_fct_x"]
    assert nn.expectation == "dbt not_null_columns: no NULLs in a, b, c"
    assert (nn.passed, nn.severity, nn.observed_value) == (
        False,
        BLOCKING,
        "2 of 3 columns have NULLs",
    )
    with pytest.raises(quality.QualityError, match="zhongtai build"):
        quality.dbt_results(tmp_path / "missing" / "run_results.json")


def test_suites_are_well_formed():
    suites = quality.all_suites()
    names = [s.name for s in suites]
    assert len(names) == len(set(names))
    assert {a.split("/")[0] for a in quality.asset_names()} == {"landing", "marts", "cross_system"}
    for s in suites:
        checks = [r.check for r in s.rules]
        assert len(checks) == len(set(checks)), s.name
        for r in s.rules:
            assert r.severity in (BLOCKING, WARN)
            # drift warns; schema, keys, codes, ranges and cross-system totals block
            assert (r.severity == WARN) == (r.kind in ("rows", "mean", "filled")) or (
                r.check == "non_negative:open_amount"
            ), (s.name, r.check)
    landing = {s.asset for s in suites if s.asset.startswith("landing/")}
    assert landing == {f"landing/{s}/{e}" for s, e in quality.landing_entities()}
