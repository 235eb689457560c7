"""The Kingdee K/3 Cloud extractor against the ERP simulator.

Covers: the forms' FieldKeys against the world; a full extraction whose latest version per
key equals the world (typed) minus the quarantined rows, and a quarantine holding exactly the
planted bad dates and negative quantities; incremental runs after ``world advance`` with
documents deleted inside and outside the sweep window (tombstones, the window's blind spot,
``--full-refresh``); a server that caps rows per call below our Limit; Kingdee's wrapped
errors; session loss (idle timeout) mid-run; the hostile fault profile.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import shutil
import time
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from extractors.erp import ENTITIES
from extractors.erp.client import KingdeeClient, KingdeeError
from extractors.run import extract
from extractors.settings import ExtractSettings
from simulators.servers.sources import start_sources, stop_sources
from simulators.world.generate import advance

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
PLANTED_KINDS = {"bad_date", "negative_amount"}  # the extractor's job; the others are dbt's


# -- helpers --------------------------------------------------------------------------------


def _settings(base: str, landing: Path, **kw: str) -> ExtractSettings:
    s = ExtractSettings.from_env(ZHONGTAI_ERP_BASE_URL=base.rstrip("/") + "/K3Cloud/", **kw)
    return dataclasses.replace(s, landing=landing)


def _run(settings: ExtractSettings, **kw) -> dict:
    results, _run_id = extract(["erp"], settings=settings, **kw)
    errors = {r.entity: r.error for r in results if r.error}
    assert not errors, errors
    return {r.entity: r for r in results}


def _landed_versions(landing: Path, entity: str) -> list[dict]:
    folder = landing / "erp" / entity
    files = sorted(folder.glob("*.parquet")) if folder.exists() else []
    if not files:
        return []
    return ds.dataset(files, format="parquet").to_table().to_pylist()


def _latest(landing: Path, entity: str) -> dict[int, dict]:
    key = ENTITIES[entity].key
    out: dict[int, dict] = {}
    for r in sorted(_landed_versions(landing, entity), key=lambda r: r["_extracted_at"]):
        out[r[key]] = r
    return out


def _quarantined(landing: Path) -> set[tuple[str, str, str]]:
    folder = landing / "_quarantine"
    if not folder.exists():
        return set()
    t = ds.dataset(sorted(folder.glob("erp__*.parquet")), format="parquet").to_table()
    return {(r["entity"], r["record_key"], r["field"]) for r in t.to_pylist()}


def _planted(world: Path) -> set[tuple[str, str, str]]:
    out = set()
    for f in (world / "_truth" / "malformed").glob("erp__*.json"):
        for m in json.loads(f.read_text(encoding="utf-8")):
            if m["kind"] in PLANTED_KINDS:
                out.add((m["entity"], str(m["key"]), m["field"]))
    return out


def _expected_value(typ: str, v):
    if v is None:
        return None
    if typ == "date":
        return dt.date.fromisoformat(v[:10])
    if typ == "timestamp":
        return dt.datetime.fromisoformat(v[:19]).replace(tzinfo=SHANGHAI)
    return v


def _same(typ: str, landed, expected) -> bool:
    if typ in ("decimal", "decimal6") and landed is not None and expected is not None:
        return abs(landed - Decimal(repr(expected))) <= Decimal("0.005")
    return landed == expected


def _assert_landing_equals_world(
    landing: Path, world: Path, stale: dict[str, set] | None = None
) -> None:
    """Latest upsert per key == the world's live rows, minus quarantined keys; nothing else
    is live in the landing zone but the ``stale`` keys (deleted in the world, still live)."""
    bad = {(e, k) for e, k, _f in _quarantined(landing)}
    for name, spec in ENTITIES.items():
        rows = pq.read_table(world / "erp" / f"{name}.parquet").to_pylist()
        expected = {r[spec.key]: r for r in rows if (name, str(r[spec.key])) not in bad}
        live = {k: r for k, r in _latest(landing, name).items() if r["_op"] == "upsert"}
        keep = (stale or {}).get(name, set())
        assert keep <= set(live), name
        live = {k: r for k, r in live.items() if k not in keep}
        assert set(live) == set(expected), (
            name,
            sorted(set(live) - set(expected))[:5],
            sorted(set(expected) - set(live))[:5],
        )
        for k, want in expected.items():
            got = live[k]
            for field, typ in spec.fields:
                exp = _expected_value(typ, want[field])
                assert _same(typ, got[field], exp), (name, k, field, got[field], want[field])


# -- the forms ------------------------------------------------------------------------------


def test_every_world_column_is_asked_for(world):
    for name, spec in ENTITIES.items():
        t = pq.read_table(world / "erp" / f"{name}.parquet")
        served = [c for c in t.column_names if not c.startswith("_")]
        assert set(spec.names) == set(served), name
        assert t["_key"].to_pylist() == [str(k) for k in t[spec.key].to_pylist()], name


# -- full extraction ------------------------------------------------------------------------


def test_full_extraction_equals_world_and_quarantines_the_planted(world, sources, tmp_path):
    settings = _settings(sources["erp"], tmp_path, ZHONGTAI_ERP_PAGE_SIZE="400")
    results = _run(settings)
    _assert_landing_equals_world(tmp_path, world)
    assert _quarantined(tmp_path) == _planted(world)
    assert any(e == "IV_SALESOC" for e, _k, _f in _planted(world))  # both kinds are planted
    assert any(e == "SAL_SaleOrder" for e, _k, _f in _planted(world))
    counts = json.loads((world / "world.json").read_text())["counts"]["erp"]
    assert sum(r.loaded for r in results.values()) > sum(counts.values())  # entries > bills
    assert all(r.deleted == 0 for r in results.values())
    # typed columns, source names kept
    t = pq.read_table(next((tmp_path / "erp" / "SAL_SaleOrder").glob("*.parquet")))
    assert t.schema.field("FAllAmount").type == pa.decimal128(18, 2)
    assert t.schema.field("FDate").type == pa.date32()
    assert t.schema.field("FModifyDate").type == pa.timestamp("us", tz="UTC")
    assert "FCustId.FNumber" in t.schema.names


def test_a_server_capping_rows_below_our_limit_is_paged_to_the_end(
    world, sources, tmp_path, monkeypatch
):
    import simulators.servers.erp as erp_sim

    monkeypatch.setattr(erp_sim, "MAX_LIMIT", 250)  # a deployment configured lower than 2000
    settings = _settings(sources["erp"], tmp_path)
    results = _run(settings, entity="SAL_SaleOrder")
    n = pq.read_metadata(world / "erp" / "SAL_SaleOrder.parquet").num_rows
    bad = sum(1 for e, _k, _f in _planted(world) if e == "SAL_SaleOrder")
    assert n > 250 * 3
    assert results["SAL_SaleOrder"].loaded == n - bad
    assert len(_latest(tmp_path, "SAL_SaleOrder")) == n - bad


def test_wrapped_errors_are_raised_with_their_message(sources):
    c = KingdeeClient(_settings(sources["erp"], Path(".")))
    try:
        with pytest.raises(KingdeeError, match="业务对象不存在"):
            c.execute_bill_query("NO_SUCH_FORM", ["FID"])
        with pytest.raises(KingdeeError, match="FNoSuchField"):
            c.execute_bill_query("SAL_SaleOrder", ["FID", "FNoSuchField"])
        assert c.execute_bill_query("SAL_SaleOrder", ["FID"], limit=3) != []
    finally:
        c.close()


# -- incremental and deletes ----------------------------------------------------------------


def _copy_world(world: Path, dest: Path) -> Path:
    shutil.copytree(world.parent, dest)
    copy = dest / world.name
    meta = json.loads((copy / "world.json").read_text(encoding="utf-8"))
    meta["inbox"] = str(dest / "inbox" / "bank")
    (copy / "world.json").write_text(
        json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return copy


def _delete_rows(world: Path, form: str, keys: set[int]) -> None:
    """Delete rows from the served world (what a user deleting in K/3 Cloud does)."""
    path = world / "erp" / f"{form}.parquet"
    t = pq.read_table(path)
    key = ENTITIES[form].key
    keep = pc.invert(pc.is_in(t[key], pa.array(sorted(keys), pa.int64())))
    pq.write_table(t.filter(keep), path)


def _documents(world: Path, form: str) -> dict[int, list[dict]]:
    docs: dict[int, list[dict]] = {}
    for r in pq.read_table(world / "erp" / f"{form}.parquet").to_pylist():
        docs.setdefault(r["FID"], []).append(r)
    return docs


def test_incremental_runs_follow_the_world_and_tombstone_deleted_documents(world, tmp_path):
    copy = _copy_world(world, tmp_path / "w")
    landing = tmp_path / "landing"
    running = start_sources(copy, ports={"erp": 0}, only=["erp"], log=False)
    try:
        settings = _settings(running["erp"].url, landing)
        first = _run(settings)
        before = {name: set(_latest(landing, name)) for name in ENTITIES}
        planted = {(e, k) for e, k, _f in _planted(copy)}

        advance(copy, days=30, workers=1)
        as_of = dt.date.fromisoformat(json.loads((copy / "world.json").read_text())["as_of"])

        # K/3 Cloud deletes are rare in the world: delete documents ourselves, all landed
        # in the first run — a recent order entirely, one entry of another recent order,
        # a recent receipt, and an order created long before the sweep window.
        def landed_doc(form, entries, recent):
            created = dt.date.fromisoformat(entries[0]["FCreateDate"][:10])
            key = ENTITIES[form].key
            return (
                ((as_of - created).days < 60) == recent
                and ((as_of - created).days < 60 or (as_of - created).days > 400)
                and all(e[key] in before[form] for e in entries)
                and not any((form, str(e[key])) in planted for e in entries)
            )

        orders = [es for es in _documents(copy, "SAL_SaleOrder").values() if len(es) >= 2]
        recent = [es for es in orders if landed_doc("SAL_SaleOrder", es, True)]
        old = [es for es in orders if landed_doc("SAL_SaleOrder", es, False)]
        receipts = [
            es
            for es in _documents(copy, "AR_RECEIVEBILL").values()
            if landed_doc("AR_RECEIVEBILL", es, True)
        ]
        assert len(recent) >= 2 and old and receipts
        key = ENTITIES["SAL_SaleOrder"].key
        gone_recent = {e[key] for e in recent[0]} | {recent[1][-1][key]}
        gone_old = {e[key] for e in old[0]}
        gone_receipt = {receipts[0][0]["FID"]}
        _delete_rows(copy, "SAL_SaleOrder", gone_recent | gone_old)
        _delete_rows(copy, "AR_RECEIVEBILL", gone_receipt)
        now = time.time_ns()
        os.utime(copy / "world.json", ns=(now, now))  # the store reloads on a new stamp
        time.sleep(0.6)

        second = _run(settings)
        assert sum(r.loaded for r in second.values()) < sum(r.loaded for r in first.values())
        assert second["SAL_SaleOrder"].deleted == len(gone_recent)
        assert second["AR_RECEIVEBILL"].deleted == 1
        latest = _latest(landing, "SAL_SaleOrder")
        assert all(latest[k]["_op"] == "delete" for k in gone_recent)
        assert all(latest[k]["FBillNo"] is None for k in gone_recent)  # bare tombstones
        assert _latest(landing, "AR_RECEIVEBILL")[receipts[0][0]["FID"]]["_op"] == "delete"
        # created before the sweep window: not seen by an incremental run (the blind spot)
        assert all(latest[k]["_op"] == "upsert" for k in gone_old)
        _assert_landing_equals_world(landing, copy, stale={"SAL_SaleOrder": gone_old})

        third = _run(settings)  # nothing changed: nothing more is deleted
        assert sum(r.deleted for r in third.values()) == 0

        full = _run(settings, full_refresh=True)  # sees every key: the old order goes too
        assert full["SAL_SaleOrder"].deleted == len(gone_old)
        assert sum(r.deleted for r in full.values()) == len(gone_old)
        _assert_landing_equals_world(landing, copy)
        # the quarantine holds the planted records (new ones of the advanced days included)
        assert {(e, k) for e, k, _f in _quarantined(landing)} <= planted | {
            (e, k) for e, k, _f in _planted(copy)
        }
        assert {(e, k) for e, k, _f in _planted(copy)} <= {
            (e, k) for e, k, _f in _quarantined(landing)
        }
    finally:
        stop_sources(running)


# -- session loss and faults ----------------------------------------------------------------


def test_a_lost_session_is_logged_in_again(world, tmp_path):
    running = start_sources(world, ports={"erp": 0}, only=["erp"], log=False)
    try:
        running["erp"].app.session_idle_s = 0.05
        settings = _settings(running["erp"].url, tmp_path, ZHONGTAI_ERP_PAGE_SIZE="300")
        c = KingdeeClient(settings)
        try:
            assert c.execute_bill_query("BD_MATERIAL", ["FMATERIALID"], limit=1)
            time.sleep(0.2)  # idle past the timeout: "会话信息已丢失" inside HTTP 200
            assert c.execute_bill_query("BD_MATERIAL", ["FMATERIALID"], limit=1)
            assert c.logins == 2
        finally:
            c.close()
        _run(settings)
        _assert_landing_equals_world(tmp_path, world)
    finally:
        stop_sources(running)


def test_hostile_faults_give_the_same_landing(world, tmp_path):
    running = start_sources(
        world, ports={"erp": 0}, only=["erp"], log=False, faults="hostile", fault_seed=3
    )
    try:
        settings = _settings(
            running["erp"].url,
            tmp_path,
            ZHONGTAI_HTTP_MAX_ATTEMPTS="30",
            ZHONGTAI_ERP_PAGE_SIZE="1000",
        )
        first = _run(settings)
        # incremental + delete sweep under faults too (one form: every 429 burst costs 4 s)
        second = _run(settings, entity="SAL_SaleOrder")
        assert sum(r.retries for r in first.values()) > 0
        assert second["SAL_SaleOrder"].deleted == 0
        _assert_landing_equals_world(tmp_path, world)
        assert _quarantined(tmp_path) == _planted(world)
    finally:
        stop_sources(running)
