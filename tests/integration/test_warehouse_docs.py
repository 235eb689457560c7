"""Every model and every column of the warehouse is documented (dbt persists the YAML
descriptions as DuckDB comments), and the build command reports bad set-ups clearly."""

from __future__ import annotations

import duckdb
import pytest

from zhongtai.warehouse import WarehouseError, build, landing_sources, missing_landing

pytestmark = pytest.mark.xdist_group("warehouse")

SCHEMAS = ("staging", "intermediate", "marts")


def test_every_relation_and_column_is_documented(warehouse):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        relations = con.execute(
            "select schema_name, table_name, comment from duckdb_tables() "
            "where schema_name in ? union all "
            "select schema_name, view_name, comment from duckdb_views() "
            "where schema_name in ? and not internal",
            [list(SCHEMAS), list(SCHEMAS)],
        ).fetchall()
        columns = con.execute(
            "select schema_name, table_name, column_name from duckdb_columns() "
            "where schema_name in ? and coalesce(comment, '') = ''",
            [list(SCHEMAS)],
        ).fetchall()
    finally:
        con.close()
    assert len(relations) > 60
    assert [r[:2] for r in relations if not r[2]] == []
    assert columns == []


def test_marts_hold_the_published_models(warehouse):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        names = {
            r[0]
            for r in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'marts'"
            ).fetchall()
        }
    finally:
        con.close()
    expected = {
        "dim_date", "dim_employees", "dim_customers", "dim_products", "dim_user_access",
        "fct_opportunities", "fct_opportunity_stage_history", "rpt_sales_funnel",
        "rpt_pipeline_daily", "rpt_stalled_customers", "fct_visits", "rpt_visit_performance",
        "rpt_quota_attainment", "rpt_sales_ranking", "rpt_customer_grades", "fct_leads",
        "rpt_campaign_performance", "fct_contracts", "fct_contract_changes", "fct_projects",
        "rpt_contract_status",
    }  # fmt: skip
    assert expected <= names


def test_build_without_landing_names_what_to_run(tmp_path):
    with pytest.raises(WarehouseError, match=r"zhongtai extract.*zhongtai import bank"):
        build(tmp_path)
    assert not (tmp_path / "warehouse.duckdb").exists()


def test_every_source_folder_is_checked(tmp_path):
    expected = sum(len(v) for v in landing_sources().values())
    assert expected > 40
    assert len(missing_landing(tmp_path / "landing")) == expected


def test_money_is_decimal(warehouse):
    """Every amount, target or balance column of the marts is DECIMAL, never a float."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(
            "select table_name, column_name, data_type from duckdb_columns() "
            "where schema_name = 'marts' and regexp_matches(column_name, "
            "'(amount|_target|balance|_cost|revenue)$') and column_name not like '%rate%' "
            "and data_type not in ('BOOLEAN') and data_type not like 'DECIMAL%'"
        ).fetchall()
    finally:
        con.close()
    assert rows == []
