"""Typing and quarantine of source records before they land."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from extractors.records import EntitySpec, flatten, to_landing, tombstones

SPEC = EntitySpec(
    "crm",
    "Deals",
    "id",
    (
        ("id", "string"),
        ("Amount", "decimal"),
        ("Closing_Date", "date"),
        ("Modified_Time", "timestamp"),
        ("Stage", "string"),
        ("Probability", "int"),
        ("Owner.id", "string"),
    ),
    accepted={"Stage": frozenset({"潜在", "成交"})},
    non_negative=frozenset({"Amount"}),
)


def _row(**kw):
    base = {
        "id": "1",
        "Amount": 10,
        "Closing_Date": "2025-02-28",
        "Modified_Time": "2025-06-30T10:11:12+08:00",
        "Stage": "潜在",
    }
    return {**base, **kw}


def test_good_rows_are_typed():
    t, q = to_landing(SPEC, [flatten({**_row(Amount=1234.5), "Owner": {"id": "9"}})])
    assert q == []
    r = t.to_pylist()[0]
    assert r["Amount"] == Decimal("1234.50")
    assert r["Closing_Date"] == dt.date(2025, 2, 28)
    assert r["Modified_Time"] == dt.datetime(2025, 6, 30, 2, 11, 12, tzinfo=dt.UTC)
    assert r["Owner.id"] == "9"
    assert r["_op"] == "upsert"


def test_time_formats_of_every_source():
    rows = [
        _row(id=str(i), Modified_Time=v)
        for i, v in enumerate(
            [
                "2025-06-30T10:11:12+08:00",
                "2025-06-30T02:11:12Z",
                "2025-06-30 10:11:12",
                "2025-06-30T10:11:12",
                "2025-06-30T10:11:12.123+08:00",
            ]
        )
    ]
    t, q = to_landing(SPEC, rows)
    assert q == []
    assert set(t["Modified_Time"].to_pylist()) == {
        dt.datetime(2025, 6, 30, 2, 11, 12, tzinfo=dt.UTC)
    }


def test_each_kind_of_bad_record_is_quarantined_and_the_rest_loads():
    rows = [
        _row(id="ok"),
        _row(id="neg", Amount=-5),
        _row(id="day", Closing_Date="2025-02-30"),  # Arrow would roll it to March 2
        _row(id="code", Stage="Qualification"),
        _row(id=None),
        _row(id="num", Amount="abc"),
        _row(id="ts", Modified_Time="not-a-date"),
        _row(id="int", Probability="ten"),
    ]
    t, q = to_landing(SPEC, rows)
    assert t["id"].to_pylist() == ["ok"]
    got = {(r["record_key"], r["field"]) for r in q}
    assert got == {
        ("neg", "Amount"),
        ("day", "Closing_Date"),
        ("code", "Stage"),
        (None, "id"),
        ("num", "Amount"),
        ("ts", "Modified_Time"),
        ("int", "Probability"),
    }
    reasons = {r["record_key"]: r["reason"] for r in q}
    assert reasons["neg"].startswith("negative amount")
    assert reasons["code"].startswith("unknown code")
    assert all(r["system"] == "crm" and r["entity"] == "Deals" for r in q)


def test_tombstones_carry_only_the_key():
    t = tombstones(SPEC, ["7", "8"])
    assert t["id"].to_pylist() == ["7", "8"]
    assert set(t["_op"].to_pylist()) == {"delete"}
    assert t["Amount"].null_count == 2
