"""Headline numbers of the warehouse equal the same numbers computed independently from the
world's own files (the generator's ground truth), on the session's scale-0.01 world.

The truth side never reads the landing zone or the warehouse: it reads the materialised
world (``world/<system>/<entity>.parquet``, the sources' state on the as-of date), the
generator's organisation model (who was in which region on which day) and the list of
records planted as malformed (which the extractors rightly quarantine).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from simulators.world.org import Org
from simulators.world.workcal import day_of_date

pytestmark = pytest.mark.xdist_group("warehouse")


def _world_meta(world: Path) -> dict:
    return json.loads((world / "world.json").read_text(encoding="utf-8"))


def _malformed(world: Path, system: str, entity: str) -> set[str]:
    path = world / "_truth" / "malformed" / f"{system}__{entity}.json"
    if not path.exists():
        return set()
    return {str(m["key"]) for m in json.loads(path.read_text(encoding="utf-8"))}


def _org(world: Path) -> Org:
    meta = _world_meta(world)
    start = dt.date.fromisoformat(meta["start_date"])
    return Org(meta["seed"], meta["scale"], day_of_date(start))


def _read(world: Path, system: str, entity: str) -> list[dict]:
    con = duckdb.connect()
    try:
        rel = con.execute(f"select * from read_parquet('{world / system / entity}.parquet')")
        cols = [d[0] for d in rel.description]
        return [dict(zip(cols, row, strict=True)) for row in rel.fetchall()]
    finally:
        con.close()


def _quarter_before(day: dt.date) -> tuple[dt.date, dt.date]:
    q_start = dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    prev_end = q_start - dt.timedelta(days=1)
    return dt.date(prev_end.year, 3 * ((prev_end.month - 1) // 3) + 1, 1), prev_end


def _query(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_signed_amount_per_region_last_quarter(world, warehouse):
    """Formal contracts signed in the quarter before the as-of date, at their latest approved
    amount, credited to the region the salesperson was in on the signing day."""
    as_of = dt.date.fromisoformat(_world_meta(world)["as_of"])
    q_start, q_end = _quarter_before(as_of)
    status = {
        r["requestId"]: r["status"]
        for r in _read(world, "oa", "workflow_requests")
        if r["requestId"] not in _malformed(world, "oa", "workflow_requests")
    }
    bad_contracts = _malformed(world, "oa", "formtable_main_1101")
    bad_changes = _malformed(world, "oa", "formtable_main_1102")
    latest_change: dict[str, tuple[int, float]] = {}
    for ch in _read(world, "oa", "formtable_main_1102"):
        if ch["requestId"] in bad_changes or status.get(ch["requestId"]) != "归档":
            continue
        prev = latest_change.get(ch["htbh"])
        if prev is None or ch["_created"] > prev[0]:
            latest_change[ch["htbh"]] = (ch["_created"], ch["bghje"])
    org = _org(world)
    pid_by_name = {p.name: p.pid for p in org.people}
    truth: dict[str, Decimal] = defaultdict(Decimal)
    for c in _read(world, "oa", "formtable_main_1101"):
        if c["requestId"] in bad_contracts or status.get(c["requestId"]) != "归档":
            continue
        if c["htlx"] == "预付款" or not c["qdrq"]:
            continue
        signed = dt.date.fromisoformat(c["qdrq"])
        if not q_start <= signed <= q_end:
            continue
        amount = latest_change.get(c["htbh"], (0, c["htje"]))[1]
        region = org.region_at(pid_by_name[c["xsry"]], day_of_date(signed))
        truth[region] += Decimal(str(amount)).quantize(Decimal("0.01"))
    assert truth, "the world signed nothing in the quarter: the test would prove nothing"
    got = dict(
        _query(
            warehouse,
            "select entity_key, signed_amount from marts.rpt_sales_ranking "
            "where level = 'region' and period_type = 'quarter' and period_start = ? "
            "and signed_amount <> 0",
            [q_start],
        )
    )
    assert got == dict(truth)
