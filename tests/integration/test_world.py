"""The synthetic world: determinism, invariants, scaling, time advance and ground truth.

One scale-0.01 world is generated per test session (a few seconds); tests only read it,
except the advance tests, which work on their own copy.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from simulators.world import schemas
from simulators.world.generate import WorldError, advance, summary
from tests.conftest import WORLD_AS_OF as AS_OF
from tests.conftest import make_world


def q(world: Path, sql: str) -> list[tuple]:
    """Run SQL where {crm.Deals}-style placeholders name the world's parquet files."""
    for e in schemas.ALL:
        sql = sql.replace(
            f"{{{e.system}.{e.name}}}",
            f"read_parquet('{world / e.system / (e.name + '.parquet')}')",
        )
    with duckdb.connect() as con:
        return con.execute(sql).fetchall()


def _digests(root: Path) -> dict[str, str]:
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.name != "world.json":
            out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def test_same_seed_gives_byte_identical_files(world, tmp_path):
    again = make_world(tmp_path, workers=2)  # a different process count must not matter either
    assert _digests(again.parent) == _digests(world.parent)
    a = json.loads((world / "world.json").read_text())
    b = json.loads((again / "world.json").read_text())
    a.pop("inbox"), b.pop("inbox")
    assert a == b


def test_summary_counts_every_entity_and_matches_files(world):
    s = summary(world)
    assert set(s) == {"crm", "erp", "oa", "expense", "bank"}
    for e in schemas.ALL:
        n = s[e.system][e.name]
        assert isinstance(n, int)
        rows = pq.read_metadata(world / e.system / f"{e.name}.parquet").num_rows
        assert n <= rows  # documents ≤ entry rows for Kingdee bills
    for system, entity in [
        ("crm", "Deals"),
        ("crm", "Accounts"),
        ("erp", "SAL_SaleOrder"),
        ("oa", "workflow_requests"),
        ("expense", "expenseReport"),
        ("bank", "statements"),
    ]:
        assert s[system][entity] > 0, (system, entity)


def test_stage_histories_and_workflow_logs_are_ordered_in_time(world):
    bad = q(
        world,
        """
        select count(*) from (
          select "Deal_Id", "Modified_Time",
                 lag("Modified_Time") over (partition by "Deal_Id" order by _created, _key) prev
          from {crm.Stage_History}) where prev > "Modified_Time" """,
    )
    assert bad == [(0,)]
    # the current stage of a deal is the last stage-history row's stage (unplanted deals)
    mismatch = q(
        world,
        """
        with last as (select "Deal_Id", arg_max("Stage", _created) stage
                      from {crm.Stage_History} group by 1)
        select count(*) from {crm.Deals} d join last on last."Deal_Id" = d.id
        where d."Stage" <> last.stage and d."Stage" <> 'Qualification'""",
    )
    assert mismatch == [(0,)]
    bad_logs = q(
        world,
        """
        select count(*) from (select "_when", lag("_when") over (partition by "requestId"
               order by _created, _key) prev from {oa.workflow_request_logs})
        where prev > "_when" """,
    )
    assert bad_logs == [(0,)]


def test_documents_reference_existing_contracts_and_customers(world):
    contracts = "select htbh from {oa.formtable_main_1101}"
    for form, col in [
        ("erp.SAL_SaleOrder", "F_ZT_ContractNo"),
        ("erp.IV_SALESIC", "F_ZT_ContractNo"),
        ("erp.IV_SALESOC", "F_ZT_ContractNo"),
        ("erp.AR_RECEIVEBILL", "F_ZT_ContractNo"),
    ]:
        orphans = q(world, f'select count(*) from {{{form}}} where "{col}" not in ({contracts})')
        assert orphans == [(0,)], form
    # every ERP receipt bill names a bank line that exists
    assert q(
        world,
        """select count(*) from {erp.AR_RECEIVEBILL}
           where "F_ZT_BankSerialNo" not in (select serial_no from {bank.statements})""",
    ) == [(0,)]
    # dangling customer references are exactly the planted ones
    planted = json.loads((world / "_truth/malformed/erp__SAL_SaleOrder.json").read_text())
    dangling = {r["key"] for r in planted if r["kind"] == "dangling_reference"}
    found = {
        r[0]
        for r in q(
            world,
            """select _key from {erp.SAL_SaleOrder} where "FCustId.FNumber"
                               not in (select "FNumber" from {erp.BD_Customer})""",
        )
    }
    assert found == dangling


def test_amounts_add_up(world):
    for form in ("SAL_SaleOrder",):
        assert q(
            world,
            f"""select count(*) from {{erp.{form}}}
                 where abs("FAmount" + "FTaxAmount" - "FAllAmount") > 0.011""",
        ) == [(0,)]
    for form in ("IV_SALESIC", "IV_SALESOC"):
        assert q(
            world,
            f"""select count(*) from {{erp.{form}}} where abs("FAMOUNTFOR"
                 + "FDETAILTAXAMOUNTFOR" - "FALLAMOUNTFOR") > 0.011""",
        ) == [(0,)]
    # red-letter invoices are negative and point at an existing blue invoice
    reds = q(
        world,
        """select count(*), count(*) filter (where "FALLAMOUNTFOR" >= 0)
                       from {erp.IV_SALESIC} where "FRedBlue" = '1'""",
    )
    assert reds[0][1] == 0


def test_quotas_sum_to_the_regional_target(world):
    rows = q(
        world,
        """
        with r as (select "Region", "Target_Year", "Business_Type", "Target_Type",
                          "Target_Amount" amt from {crm.Sales_Targets}
                   where "Target_Level" = 'region'),
             p as (select "Region", "Target_Year", "Business_Type", "Target_Type",
                          sum("Target_Amount") amt from {crm.Sales_Targets}
                   where "Target_Level" = 'person' group by all)
        select count(*), count(*) filter (where r.amt <> p.amt) from r join p using
        ("Region", "Target_Year", "Business_Type", "Target_Type")""",
    )
    assert rows[0][0] > 0 and rows[0][1] == 0


def test_planted_drift_is_where_the_truth_says(world):
    planted = world / "_truth" / "planted"

    def visible(kind):
        p = planted / f"{kind}.json"
        return [r for r in json.loads(p.read_text())] if p.exists() else []

    crm_so = {r[0] for r in q(world, 'select "SO_Number" from {crm.Sales_Orders}')}
    erp_so = {r[0] for r in q(world, 'select "FBillNo" from {erp.SAL_SaleOrder}')}
    missing = [r for r in visible("order_missing_in_crm") if r["visible"]]
    assert missing, "scale 0.01 should plant at least one order missing in the CRM"
    for r in missing:
        assert r["erp_bill_no"] not in crm_so
    for r in visible("order_deleted_in_erp_live_in_crm"):
        if r["visible"]:
            assert r["erp_bill_no"] not in erp_so and r["erp_bill_no"] in crm_so
    for r in visible("order_missing_in_erp"):
        if r["visible"]:
            assert r["crm_so_number"] in crm_so and r["crm_so_number"] not in erp_so
    applied = {
        r[0]
        for r in q(
            world,
            """select "F_ZT_OaApplyNo" from {erp.IV_SALESIC}
                                          union select "F_ZT_OaApplyNo" from {erp.IV_SALESOC}""",
        )
    }
    for r in visible("invoice_application_not_issued"):
        assert r["apply_no"] not in applied
    claimed = {r[0] for r in q(world, "select yhlsh from {oa.formtable_main_1122}")}
    lines = {r[0] for r in q(world, "select serial_no from {bank.statements}")}
    for r in visible("unclaimed_receipt"):
        if r["visible"]:
            assert r["serial_no"] in lines and r["serial_no"] not in claimed
    for path in (world / "_truth" / "malformed").glob("*.json"):
        for r in json.loads(path.read_text()):
            got = q(
                world,
                f"""select "{r["field"]}" from {{{r["system"]}.{r["entity"]}}}
                               where _key = '{r["key"]}'""",
            )
            assert got and got[0][0] == r["value"], r


def test_crm_keeps_a_deleted_records_log(world):
    deleted = {
        e: pq.read_table(world / "crm" / "_deleted" / f"{e}.parquet").num_rows
        for e in ("Leads", "Tasks")
    }
    assert all(n > 0 for n in deleted.values()), deleted
    live = {r[0] for r in q(world, "select id from {crm.Leads}")}
    gone = set(pq.read_table(world / "crm/_deleted/Leads.parquet")["id"].to_pylist())
    assert not live & gone
    dups = json.loads((world / "_truth/planted/duplicate_account.json").read_text())
    accounts_gone = set(pq.read_table(world / "crm/_deleted/Accounts.parquet")["id"].to_pylist())
    live_accounts = {r[0] for r in q(world, "select id from {crm.Accounts}")}
    assert dups
    for r in dups:
        merged = _visible(world, r["merged_t"])
        assert (r["crm_id"] in accounts_gone) == merged, r
        assert (r["crm_id"] in live_accounts) == (r["visible"] and not merged), r


def _visible(world, t: int) -> bool:
    as_of = dt.date.fromisoformat(json.loads((world / "world.json").read_text())["as_of"])
    return t < ((as_of - dt.date(1970, 1, 1)).days + 1) * 86400


def test_bank_statement_files_are_in_the_inbox(world):
    inbox = world.parent / "inbox" / "bank"
    files = sorted(inbox.iterdir())
    assert any(f.suffix == ".xlsx" for f in files) and any(f.suffix == ".csv" for f in files)
    mess = json.loads((world / "_truth/planted/bank_file_mess.json").read_text())
    kinds = {r["kind"] for r in mess}
    assert {"file", "duplicate_serial", "text_amount", "bad_date"} <= kinds


def test_counts_scale_linearly(world, tmp_path):
    double = make_world(tmp_path, scale=0.02)
    a, b = summary(world), summary(double)
    for system, entity in [
        ("crm", "Accounts"),
        ("crm", "Deals"),
        ("crm", "Leads"),
        ("oa", "formtable_main_1101"),
        ("erp", "SAL_SaleOrder"),
        ("bank", "statements"),
    ]:
        ratio = b[system][entity] / a[system][entity]
        assert 1.7 < ratio < 2.3, (entity, a[system][entity], b[system][entity])


def test_advance_creates_modifies_and_deletes(world, tmp_path):
    copy = tmp_path / "w"
    shutil.copytree(world.parent, copy)
    (copy / "world" / "world.json").write_text(
        (copy / "world" / "world.json")
        .read_text()
        .replace(str((world.parent / "inbox" / "bank").resolve()), str(copy / "inbox" / "bank"))
    )
    before_files = set((copy / "inbox" / "bank").iterdir())
    meta = advance(copy / "world", days=14, workers=1)
    assert meta["as_of"] == (AS_OF + dt.timedelta(days=14)).isoformat()
    ch = meta["changes"]
    assert ch["created"] > 0 and ch["modified"] > 0 and ch["deleted"] > 0
    w = copy / "world"
    # records modified in the new days carry a Modified_Time in the new days
    newest = q(w, 'select max("Modified_Time") from {crm.Deals}')[0][0]
    assert newest[:10] > AS_OF.isoformat()
    # OA requests changed status (archived) during the advance
    moved = q(
        w,
        f"""select count(*) from {{oa.workflow_requests}}
                     where "lastOperateTime" > '{AS_OF.isoformat()} 23:59:59' and archived""",
    )
    assert moved[0][0] > 0
    # new bank statement files appeared, old ones untouched
    after_files = set((copy / "inbox" / "bank").iterdir())
    assert len(after_files - before_files) >= 2
    # nothing that was live at the old date and is not deleted since disappeared
    assert summary(w)["crm"]["Accounts"] >= summary(world)["crm"]["Accounts"]


def test_advance_on_missing_world_is_a_clear_error(tmp_path):
    with pytest.raises(WorldError, match="no world"):
        advance(tmp_path / "nowhere", days=1)
    with pytest.raises(WorldError, match="at least 1"):
        advance(tmp_path, days=0)


def test_immutable_entities_have_one_version_per_record(world):
    for e in schemas.ALL:
        if not e.immutable:
            continue
        glob = world / "_timeline" / e.system / e.name / "part-*.parquet"
        with duckdb.connect() as con:
            n, ids, ops = con.execute(
                f"select count(*), count(distinct _id), count(*) filter (where _op <> 'U') "
                f"from read_parquet('{glob}')"
            ).fetchone()
        assert (n, ops) == (ids, 0), e.name
