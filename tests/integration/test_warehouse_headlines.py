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


OPEN_STAGES = ("潜在", "意向", "选型", "谈判")
STAGE_ORDER = {"潜在": 1, "意向": 2, "选型": 3, "谈判": 4, "成交": 5}


def _date(value: str | None) -> dt.date | None:
    """World timestamps are ISO strings with +08:00 (or naive Shanghai time); dates as is."""
    if not value:
        return None
    return dt.date.fromisoformat(value[:10])


def test_funnel_reached_counts_per_stage(world, warehouse):
    """Reached(S) = opportunities whose highest stage ever is S or later (skips count)."""
    bad_deals = _malformed(world, "crm", "Deals")
    bad_history = _malformed(world, "crm", "Stage_History")
    highest: dict[str, int] = {}
    for d in _read(world, "crm", "Deals"):
        if d["id"] not in bad_deals:
            highest[d["id"]] = STAGE_ORDER.get(d["Stage"], 0)
    for h in _read(world, "crm", "Stage_History"):
        if h["id"] in bad_history or h["Deal_Id"] not in highest:
            continue
        highest[h["Deal_Id"]] = max(highest[h["Deal_Id"]], STAGE_ORDER.get(h["Stage"], 0))
    truth = {s: sum(1 for v in highest.values() if v >= o) for s, o in STAGE_ORDER.items()}
    assert truth["潜在"] > truth["成交"] > 0
    got = dict(
        _query(
            warehouse,
            "select stage, sum(reached_count) from marts.rpt_sales_funnel group by stage",
        )
    )
    assert got == truth


def test_stalled_customers(world, warehouse):
    """Customers with an open opportunity and no visit, stage change, contract (submitted,
    signed, changed) or ERP order for 30 days or more as of the world's as-of date."""
    as_of = dt.date.fromisoformat(_world_meta(world)["as_of"])
    (warehouse_as_of,) = _query(warehouse, "select as_of_date from intermediate.int_build_as_of")[0]
    assert warehouse_as_of == as_of
    bad = {
        e: _malformed(world, s, e)
        for s, e in (
            ("crm", "Deals"),
            ("crm", "Stage_History"),
            ("crm", "Events"),
            ("crm", "Accounts"),
        )
    }
    deal_account = {
        d["id"]: d["Account_Name.id"]
        for d in _read(world, "crm", "Deals")
        if d["id"] not in bad["Deals"]
    }
    open_accounts = {
        d["Account_Name.id"]
        for d in _read(world, "crm", "Deals")
        if d["id"] not in bad["Deals"] and d["Stage"] in OPEN_STAGES and d["Account_Name.id"]
    }
    last: dict[str, dt.date] = {}

    def act(account: str | None, day: dt.date | None) -> None:
        if account and day and day <= as_of:
            last[account] = max(last.get(account, day), day)

    for h in _read(world, "crm", "Stage_History"):
        if h["id"] not in bad["Stage_History"]:
            act(deal_account.get(h["Deal_Id"]), _date(h["Modified_Time"]))
    for e in _read(world, "crm", "Events"):
        if e["id"] in bad["Events"]:
            continue
        account = e["Account.id"] or (e["What_Id.id"] if e["$se_module"] == "Accounts" else None)
        if not account and e["$se_module"] == "Deals":
            account = deal_account.get(e["What_Id.id"])
        act(account, _date(e["Start_DateTime"]))
    requests = {r["requestId"]: r for r in _read(world, "oa", "workflow_requests")}
    bad_forms = _malformed(world, "oa", "formtable_main_1101")
    contract_account: dict[str, str] = {}
    for c in _read(world, "oa", "formtable_main_1101"):
        if c["requestId"] in bad_forms:
            continue
        account = c["khid"] or deal_account.get(c["sjid"])
        contract_account[c["htbh"]] = account
        act(account, _date(requests[c["requestId"]]["createTime"]))
        act(account, _date(c["qdrq"]))
    bad_changes = _malformed(world, "oa", "formtable_main_1102")
    for ch in _read(world, "oa", "formtable_main_1102"):
        if ch["requestId"] not in bad_changes:
            act(contract_account.get(ch["htbh"]), _date(ch["bgrq"]))
    code_account = {
        a["ERP_Customer_Code"]: a["id"]
        for a in _read(world, "crm", "Accounts")
        if a["ERP_Customer_Code"] and a["id"] not in bad["Accounts"]
    }
    bad_orders = _malformed(world, "erp", "SAL_SaleOrder")
    for o in _read(world, "erp", "SAL_SaleOrder"):
        if str(o["FSaleOrderEntry_FEntryId"]) in bad_orders:
            continue
        account = deal_account.get(o["F_ZT_CrmDealId"]) or code_account.get(o["FCustId.FNumber"])
        act(account, _date(o["FDate"]))
    truth = {a for a in open_accounts if a not in last or (as_of - last[a]).days >= 30}
    assert truth, "no stalled customer in the world: the test would prove nothing"
    assert len(truth) < len(open_accounts), "everything stalled: the as-of date is wrong"
    got = {
        r[0] for r in _query(warehouse, "select crm_account_id from marts.rpt_stalled_customers")
    }
    assert got == truth
