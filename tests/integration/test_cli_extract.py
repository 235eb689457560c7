"""`zhongtai extract` and `zhongtai import …` as a user runs them."""

from __future__ import annotations

import re
import shutil
import socket

import pyarrow.dataset as ds
from typer.testing import CliRunner

from zhongtai.cli import app

runner = CliRunner()


def _plain(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_extract_lands_and_prints_the_summary(sources, tmp_path, monkeypatch):
    monkeypatch.setenv("ZHONGTAI_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ZHONGTAI_EXPENSE_BASE_URL", sources["expense"])
    result = runner.invoke(app, ["extract", "--system", "expense"])
    out = _plain(result.output)
    assert result.exit_code == 0, out
    assert "expenseReport" in out and "approvalHistory" in out
    assert (tmp_path / "landing" / "_runs").is_dir()
    files = list((tmp_path / "landing" / "expense" / "expenseReport").glob("*.parquet"))
    assert ds.dataset(files).count_rows() > 0


def test_a_failing_system_exits_non_zero_and_names_it(tmp_path, monkeypatch):
    monkeypatch.setenv("ZHONGTAI_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ZHONGTAI_ERP_BASE_URL", f"http://127.0.0.1:{_closed_port()}/K3Cloud/")
    monkeypatch.setenv("ZHONGTAI_HTTP_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("ZHONGTAI_HTTP_BASE_DELAY_S", "0.01")
    result = runner.invoke(app, ["extract", "--system", "erp", "--entity", "BD_MATERIAL"])
    out = _plain(result.output)
    assert result.exit_code == 1, out
    assert "erp/BD_MATERIAL" in out and "FAILED" in out


def test_bad_system_or_entity_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.setenv("ZHONGTAI_DATA_DIR", str(tmp_path))
    r = runner.invoke(app, ["extract", "--system", "sap"])
    assert r.exit_code == 2 and "--system must be one of" in _plain(r.output)
    r = runner.invoke(app, ["extract", "--system", "crm", "--entity", "Nope"])
    assert r.exit_code == 2 and "crm has no entity 'Nope'" in _plain(r.output)


def test_import_bank_from_the_inbox(world, tmp_path, monkeypatch):
    monkeypatch.setenv("ZHONGTAI_DATA_DIR", str(tmp_path))
    inbox = tmp_path / "inbox" / "bank"
    shutil.copytree(world.parent / "inbox" / "bank", inbox)
    result = runner.invoke(app, ["import", "bank"])
    out = _plain(result.output)
    assert result.exit_code == 0, out
    assert "quarantined:" in out  # the planted text amounts and bad dates are named
    assert not list(inbox.glob("*.xlsx"))  # moved to processed/
    again = runner.invoke(app, ["import", "bank", str(inbox / "processed")])
    assert again.exit_code == 0, _plain(again.output)


def test_import_eventlog_csv(tmp_path, monkeypatch):
    monkeypatch.setenv("ZHONGTAI_DATA_DIR", str(tmp_path))
    log = tmp_path / "log.csv"
    log.write_text(
        "case:concept:name,concept:name,time:timestamp,org:resource\n"
        "c1,提交,2025-06-30 09:00:00,张三\nc1,审批,2025-06-30 11:30:00,李四\n"
        "c2,提交,2025-06-30 10:00:00,张三\nc2,审批,not-a-time,李四\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["import", "eventlog", str(log), "--name", "demo"])
    out = _plain(result.output)
    assert result.exit_code == 0, out
    assert "2 cases" in out and "1 rows quarantined" in out
    bad = runner.invoke(app, ["import", "eventlog", str(tmp_path / "none.csv"), "--name", "x"])
    assert bad.exit_code == 2
