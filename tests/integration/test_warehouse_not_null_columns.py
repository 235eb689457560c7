"""dbt runs the `not_null_columns` generic test: on a copy of the session warehouse with
NULLs planted, the combined test fails once per offending column and names them, while a
column's own warn-severity `not_null` still warns on its own."""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest

from zhongtai.warehouse import run_dbt

pytestmark = pytest.mark.xdist_group("warehouse")


def test_planted_nulls_fail_the_combined_test_by_column(warehouse, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    db = data / "warehouse.duckdb"
    shutil.copy(warehouse, db)
    con = duckdb.connect(str(db))
    try:
        (txn,) = con.execute("select min(bank_txn_id) from staging.stg_bank__statements").fetchone()
        assert txn is not None
        # two plain not-null columns and `amount`, whose not_null is warn-severity
        con.execute(
            "update staging.stg_bank__statements set account_no = null, received_at = null, "
            "amount = null where bank_txn_id = ?",
            [txn],
        )
    finally:
        con.close()
    lines: list[str] = []
    rc = run_dbt(
        [
            "test",
            "--select",
            "not_null_columns_stg_bank__statements not_null_stg_bank__statements_amount",
            "--store-failures",
        ],
        data,
        on_line=lines.append,
        extra_env={"ZHONGTAI_WAREHOUSE": str(db)},
    )
    tail = "\n".join(lines[-40:])
    assert rc == 1, tail
    results = json.loads((data / "dbt" / "target" / "run_results.json").read_text())["results"]
    by_name = {r["unique_id"].split(".")[2]: r for r in results}
    combined = by_name["not_null_columns_stg_bank__statements"]
    assert (combined["status"], combined["failures"]) == ("fail", 2), tail
    amount = by_name["not_null_stg_bank__statements_amount"]
    assert (amount["status"], amount["failures"]) == ("warn", 1), tail
    con = duckdb.connect(str(db), read_only=True)
    try:
        stored = con.execute(
            "select column_name, null_rows "
            "from dbt_test__audit.not_null_columns_stg_bank__statements order by column_name"
        ).fetchall()
    finally:
        con.close()
    assert stored == [("account_no", 1), ("received_at", 1)]
