"""Finance headline numbers of the warehouse equal the same numbers computed independently
from the world's own files, on the session's scale-0.01 world: open AR by due-date bucket as
of two dates (the world's as-of date and the month-end a year earlier), and invoiced-not-
collected per region.

The truth side reads only the materialised world (``world/<system>/<entity>.parquet``, each
source's state on the as-of date), the generator's organisation model and the list of records
planted as malformed (which the extractors rightly quarantine). It re-implements the
definitions of docs/decisions.md in plain Python, sequentially:

- an invoice counts when audited and dated on or before the as-of date; a red-letter invoice
  nets against the blue invoice it names; an AR item is a blue invoice (or a red one whose
  original is unknown); due = the ERP receivable's due date, else invoice date + the
  contract's payment terms, else the invoice date;
- credits are archived payment claims (on the claim date) and archived prepayment transfers
  (into the formal contract, on the transfer date);
- allocation: a claim naming an invoice pays it first (claims in date order); what is left
  pays the named order's, then the contract's, oldest open invoices (FIFO), the credits of a
  pool taken oldest first; an allocation counts from the later of the credit and invoice date.
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

CENT = Decimal("0.01")
# due-date buckets of seeds/ar_aging_buckets.csv, restated here: (code, min, max) days past due
DUE_BUCKETS = [
    ("not_due", None, 0),
    ("d001_030", 1, 30),
    ("d031_060", 31, 60),
    ("d061_090", 61, 90),
    ("d091_180", 91, 180),
    ("d181_365", 181, 365),
    ("d366_plus", 366, None),
]


def _meta(world: Path) -> dict:
    return json.loads((world / "world.json").read_text(encoding="utf-8"))


def _malformed(world: Path, system: str, entity: str) -> set[str]:
    path = world / "_truth" / "malformed" / f"{system}__{entity}.json"
    if not path.exists():
        return set()
    return {str(m["key"]) for m in json.loads(path.read_text(encoding="utf-8"))}


def _read(world: Path, system: str, entity: str) -> list[dict]:
    """Rows of a world entity, without the records the extractors quarantine."""
    bad = _malformed(world, system, entity)
    con = duckdb.connect()
    try:
        rel = con.execute(f"select * from read_parquet('{world / system / entity}.parquet')")
        cols = [d[0] for d in rel.description]
        rows = [dict(zip(cols, row, strict=True)) for row in rel.fetchall()]
    finally:
        con.close()
    return [r for r in rows if str(r["_key"]) not in bad]


def _money(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


def _day(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value[:10]) if value else None


def _month_end_a_year_before(day: dt.date) -> dt.date:
    first = dt.date(day.year - 1, day.month, 1)
    nxt = dt.date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def _bucket(days_past_due: int) -> str:
    for code, lo, hi in DUE_BUCKETS:
        if (lo is None or days_past_due >= lo) and (hi is None or days_past_due <= hi):
            return code
    raise AssertionError(days_past_due)


class FinanceTruth:
    """AR items, credits and allocations of the world, computed from its files."""

    def __init__(self, world: Path):
        self.world = world
        self.as_of = dt.date.fromisoformat(_meta(world)["as_of"])
        self.archived = {
            r["requestId"]
            for r in _read(world, "oa", "workflow_requests")
            if r["status"] == "归档" and _day(r["lastOperateTime"]) <= self.as_of
        }
        self.contracts = {
            c["htbh"]: c
            for c in _read(world, "oa", "formtable_main_1101")
            if c["requestId"] in self.archived
        }
        self._invoices()
        self._credits()
        self._allocate()

    # -- invoices ---------------------------------------------------------------------------
    def _invoices(self) -> None:
        lines = _read(self.world, "erp", "IV_SALESIC") + _read(self.world, "erp", "IV_SALESOC")
        inv: dict[str, dict] = {}
        for ln in lines:
            i = inv.setdefault(
                ln["FIVNUMBER"],
                {
                    "number": ln["FIVNUMBER"],
                    "date": _day(ln["FDate"]),
                    "red": ln["FRedBlue"] == "1",
                    "original": ln["FSrcInvoiceNo"] or None,
                    "contract": ln["F_ZT_ContractNo"],
                    "order": ln["FSRCBILLNO"],
                    "audited": ln["FDocumentStatus"] == "C",
                    "amount": Decimal(0),
                },
            )
            i["amount"] += _money(ln["FALLAMOUNTFOR"])
        effective = {n: i for n, i in inv.items() if i["audited"] and i["date"] <= self.as_of}
        due = {}
        for r in _read(self.world, "erp", "AR_receivable"):
            if r["FCancelStatus"] != "B":
                due[r["F_ZT_InvoiceNo"]] = _day(r["FENDDATE_H"])
        self.items: dict[str, dict] = {}
        self.reds: list[dict] = []  # red invoices netted into an item
        self.ar_of: dict[str, str] = {}  # effective invoice number -> AR item
        for n, i in effective.items():
            blue_original = (
                i["red"] and i["original"] in effective and not effective[i["original"]]["red"]
            )
            if blue_original:
                self.reds.append(i)
                self.ar_of[n] = i["original"]
            else:
                self.items[n] = dict(i, net=i["amount"])
                self.ar_of[n] = n
        for r in self.reds:
            self.items[r["original"]]["net"] += r["amount"]
        for n, it in self.items.items():
            terms = (self.contracts.get(it["contract"]) or {}).get("fkts")
            if n in due:
                it["due"] = due[n]
            elif terms is not None:
                it["due"] = it["date"] + dt.timedelta(days=int(terms))
            else:
                it["due"] = it["date"]

    # -- credits ----------------------------------------------------------------------------
    def _credits(self) -> None:
        order_contract = {}
        for o in _read(self.world, "erp", "SAL_SaleOrder"):
            order_contract.setdefault(o["FBillNo"], o["F_ZT_ContractNo"])
        invoice_contract = {n: it["contract"] for n, it in self.items.items()}
        for r in self.reds:
            invoice_contract[r["number"]] = r["contract"]
        self.credits: list[dict] = []
        for c in _read(self.world, "oa", "formtable_main_1122"):
            date = _day(c["rlrq"])
            if c["requestId"] not in self.archived or date > self.as_of:
                continue
            contract = c["htbh"] or order_contract.get(c["ddbh"]) or invoice_contract.get(c["fphm"])
            self.credits.append(
                {
                    "id": f"claim:{c['requestId']}",
                    "kind": "claim",
                    "date": date,
                    "amount": _money(c["rlje"]),
                    "invoice": c["fphm"] or None,
                    "order": c["ddbh"] or None,
                    "contract": contract,
                }
            )
        for t in _read(self.world, "oa", "formtable_main_1123"):
            date = _day(t["zzrq"])
            if t["requestId"] not in self.archived or date > self.as_of:
                continue
            self.credits.append(
                {
                    "id": f"transfer_in:{t['requestId']}",
                    "kind": "transfer_in",
                    "date": date,
                    "amount": _money(t["zzje"]),
                    "invoice": None,
                    "order": None,
                    "contract": t["zshtbh"],
                }
            )

    # -- allocation -------------------------------------------------------------------------
    def _allocate(self) -> None:
        self.allocations: list[tuple[str, dt.date, Decimal]] = []  # (item, date, amount)
        open_ = {n: max(it["net"], Decimal(0)) for n, it in self.items.items()}
        left = {c["id"]: c["amount"] for c in self.credits}

        def apply(credit: dict, item: str) -> None:
            amount = min(left[credit["id"]], open_[item])
            if amount > 0:
                left[credit["id"]] -= amount
                open_[item] -= amount
                date = max(credit["date"], self.items[item]["date"])
                self.allocations.append((item, date, amount))

        by_time = sorted(self.credits, key=lambda c: (c["date"], c["id"]))
        for c in by_time:  # 1. explicit, in claim order per invoice
            item = self.ar_of.get(c["invoice"]) if c["invoice"] else None
            if item is not None:
                apply(c, item)
        for key in ("order", "contract"):  # 2., 3. FIFO per pool
            pools: dict[str, list[str]] = defaultdict(list)
            for n, it in sorted(self.items.items(), key=lambda kv: (kv[1]["date"], kv[0])):
                if it[key] is not None:
                    pools[it[key]].append(n)
            for c in by_time:
                for n in pools.get(c[key], []) if c[key] else []:
                    if left[c["id"]] <= 0:
                        break
                    apply(c, n)

    # -- headlines --------------------------------------------------------------------------
    def open_ar_by_bucket(self, day: dt.date) -> dict[str, Decimal]:
        balance: dict[str, Decimal] = defaultdict(Decimal)
        for n, it in self.items.items():
            if it["date"] <= day:
                balance[n] += it["amount"]
        for r in self.reds:
            if r["date"] <= day:
                balance[r["original"]] += r["amount"]
        for item, date, amount in self.allocations:
            if date <= day:
                balance[item] -= amount
        out: dict[str, Decimal] = defaultdict(Decimal)
        for n, b in balance.items():
            if b != 0:
                out[_bucket((day - self.items[n]["due"]).days)] += b
        return dict(out)

    def invoiced_not_collected_by_region(self) -> dict[str | None, Decimal]:
        invoiced: dict[str, Decimal] = defaultdict(Decimal)
        for it in self.items.values():
            invoiced[it["contract"]] += it["net"]
        received: dict[str, Decimal] = defaultdict(Decimal)
        for c in self.credits:
            received[c["contract"]] += c["amount"]
        meta = _meta(self.world)
        org = Org(
            meta["seed"], meta["scale"], day_of_date(dt.date.fromisoformat(meta["start_date"]))
        )
        pid_by_name = {p.name: p.pid for p in org.people}
        out: dict[str | None, Decimal] = defaultdict(Decimal)
        for contract, amount in invoiced.items():
            gap = max(amount - received[contract], Decimal(0))
            if gap == 0:
                continue
            form = self.contracts.get(contract)
            region = None
            if form is not None and form["qdrq"] and form["xsry"] in pid_by_name:
                region = org.region_at(pid_by_name[form["xsry"]], day_of_date(_day(form["qdrq"])))
            out[region] += gap
        return dict(out)


@pytest.fixture(scope="module")
def truth(world) -> FinanceTruth:
    return FinanceTruth(world)


def _query(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_open_ar_by_bucket_on_two_dates(truth, warehouse):
    """Open AR per due-date bucket on the as-of date and on the month-end a year before."""
    for day in (truth.as_of, _month_end_a_year_before(truth.as_of)):
        expected = truth.open_ar_by_bucket(day)
        assert sum(expected.values()) > 0, f"no open AR on {day}: the test would prove nothing"
        got = dict(
            _query(
                warehouse,
                "select due_bucket_code, sum(open_amount) from marts.rpt_ar_aging "
                "where snapshot_date = ? group by all",
                [day],
            )
        )
        assert got == expected, day


def test_invoiced_not_collected_per_region(truth, warehouse):
    """max(invoiced net of red letters − (claims + prepayment transfers in), 0) per contract,
    summed per contract owner's region on the signing day."""
    expected = truth.invoiced_not_collected_by_region()
    assert sum(expected.values()) > 0
    got = dict(
        _query(
            warehouse,
            "select owner_region, sum(invoiced_not_collected_incl_tax) "
            "from marts.rpt_contract_billing_status group by all "
            "having sum(invoiced_not_collected_incl_tax) <> 0",
        )
    )
    assert got == expected
