"""Data for the data-quality page (数据质量): check results, freshness, the Data Docs and the
publish log.

Check results come from ``<data>/quality/check_results.parquet`` (every recent run, written
by ``zhongtai.quality``), read with pandas — never through the hardened DuckDB connection,
which has file access off. Without that file the page falls back to
``marts.dq_check_results`` (the run the current publish passed). Neither holds any
salesperson's records; the page is for the roles ``access.can_see_page`` allows.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pandas as pd

from dashboards.lib import db
from zhongtai.quality import RESULT_SCHEMA

RESULT_COLUMNS = RESULT_SCHEMA.names  # what zhongtai.quality writes


def quality_dir() -> Path:
    return db.data_dir() / "quality"


def results_file() -> Path:
    return quality_dir() / "check_results.parquet"


def docs_index() -> Path:
    return quality_dir() / "docs" / "index.html"


def file_stamp(path: Path) -> float:
    """Modification time (0 when missing): part of the cache key of file-backed loaders."""
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _normalise(df: pd.DataFrame) -> pd.DataFrame:
    for col in RESULT_COLUMNS:
        if col not in df.columns:
            df[col] = None
    df = df[RESULT_COLUMNS].copy()
    df["run_at"] = pd.to_datetime(df["run_at"], utc=True, errors="coerce")
    df["passed"] = df["passed"].astype("boolean")
    return df


def check_results() -> tuple[pd.DataFrame, str]:
    """(every stored check result, where they came from: 'file' | 'publish' | 'none')."""
    path = results_file()
    if path.exists():
        try:
            return _normalise(pd.read_parquet(path)), "file"
        except (OSError, ValueError):
            pass  # unreadable (being written?): fall back to the publish
    has_table = db.scalar(
        "select count(*) from duckdb_tables() where schema_name = 'marts' "
        "and table_name = 'dq_check_results'"
    )
    if has_table:
        return _normalise(db.query("select * from marts.dq_check_results")), "publish"
    return pd.DataFrame(columns=RESULT_COLUMNS), "none"


def publish_info() -> pd.DataFrame:
    return db.query("select published_at, table_count, row_count from marts._publish")


FRESHNESS_SQL = """
select 'crm' as source, 'fct_opportunities' as mart,
    greatest(max(created_at), max(current_stage_entered_at)) as newest
from marts.fct_opportunities
union all
select 'crm', 'fct_visits', max(created_at) from marts.fct_visits
union all
select 'erp', 'fct_sales_orders', max(modified_at) from marts.fct_sales_orders
union all
select 'erp', 'fct_invoices', max(modified_at) from marts.fct_invoices
union all
select 'erp', 'fct_erp_receipts', max(modified_at) from marts.fct_erp_receipts
union all
select 'oa', 'fct_workflow_node_visits', max(acted_at)
from marts.fct_workflow_node_visits where source_system = 'oa'
union all
select 'expense', 'fct_workflow_node_visits', max(acted_at)
from marts.fct_workflow_node_visits where source_system = 'expense'
union all
select 'bank', 'fct_bank_receipts', max(received_at) from marts.fct_bank_receipts
union all
select 'extraction', 'rpt_reconciliation_issues', max(evidence_extracted_at)
from marts.rpt_reconciliation_issues
"""


def freshness() -> pd.DataFrame:
    """Newest record time per source system in the marts, and the newest landing time the
    marts expose (rpt_reconciliation_issues.evidence_extracted_at)."""
    return db.query(FRESHNESS_SQL)


def as_of() -> object:
    return db.scalar("select max(as_of_date) from marts.fct_contracts")


def docs_zip(folder: Path) -> bytes:
    """The Data Docs folder as a zip (open index.html after unpacking)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(folder.parent).as_posix())
    return buf.getvalue()
