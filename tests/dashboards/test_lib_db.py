"""The portal's read-only connection: hardening, timings, and reconnecting after a publish."""

from __future__ import annotations

import duckdb
import pytest

from dashboards.lib import db
from zhongtai.serving import ServingError, publish

pytestmark = pytest.mark.xdist_group("portal")


def test_query_materialises_and_times(portal_data):
    db.reset_timings()
    a = db.query("select count(*) as n from marts.dim_employees")
    b = db.query("select ? + 1 as x", [41])
    assert a["n"].iloc[0] > 0
    assert b["x"].iloc[0] == 42
    t = db.timings()
    assert len(t) == 2
    assert "dim_employees" in t[0][0]
    assert all(s >= 0 for _, s in t)
    db.reset_timings()
    assert db.timings() == []


def test_connection_is_read_only_and_locked(portal_data, tmp_path):
    with pytest.raises(duckdb.Error):
        db.query("create table marts.x as select 1")
    with pytest.raises(duckdb.Error):
        db.query(f"copy (select 1) to '{tmp_path / 'x.csv'}'")
    with pytest.raises(duckdb.Error):
        db.query("select * from read_csv('/etc/hostname')")
    with pytest.raises(duckdb.Error):
        db.query("set enable_external_access = true")


def test_bound_parameters_are_literals(portal_data):
    df = db.query(
        "select count(*) as n from marts.dim_employees where employee_name = ?",
        ["x' or 1=1 --"],
    )
    assert df["n"].iloc[0] == 0


def test_reconnects_after_a_new_publish(warehouse, tmp_path, monkeypatch):
    monkeypatch.setenv("ZHONGTAI_DATA_DIR", str(tmp_path))
    with pytest.raises(ServingError, match="nothing is published"):
        db.publish_id()
    first = publish(warehouse, tmp_path)
    assert db.publish_id() == first.path.name
    at_first = db.scalar("select published_at from marts._publish")
    second = publish(warehouse, tmp_path)
    assert second.path.name != first.path.name
    assert db.publish_id() == second.path.name
    at_second = db.scalar("select published_at from marts._publish")
    assert at_second > at_first
    # a third publish with keep=1 deletes the first two files; the reader follows
    third = publish(warehouse, tmp_path, keep=1)
    assert not first.path.exists()
    assert db.scalar("select published_at from marts._publish") > at_second
    assert db.publish_id() == third.path.name
    db.close()
