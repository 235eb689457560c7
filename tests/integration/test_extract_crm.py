"""The ZOHO CRM extractor against the CRM simulator: a full extraction lands the world (typed,
bad records quarantined), an incremental run after ``world advance`` lands just the changes
and the deletions as tombstones, hostile faults change nothing, and page-token caps are
paged around by re-windowing.

HTTP backoff is kept short here: the simulator's 429s ask for ``Retry-After: 1``, which
``ZHONGTAI_HTTP_MAX_DELAY_S`` caps at 0.02 s.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
import time
from decimal import Decimal
from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

import extractors.crm.paging as paging
from extractors.crm import ENTITIES, _landed_history_of
from extractors.crm.specs import STAGE_HISTORY
from extractors.landing import ExtractContext
from extractors.records import tombstones
from extractors.run import extract
from extractors.settings import ExtractSettings
from simulators.servers.sources import start_sources, stop_sources
from simulators.world.generate import advance

EXTRACTOR_KINDS = {"bad_date", "negative_amount", "unknown_stage_code"}


def settings(url: str, landing: Path, **extra: str) -> ExtractSettings:
    s = ExtractSettings.from_env(
        ZHONGTAI_CRM_BASE_URL=url,
        ZHONGTAI_CRM_ACCOUNTS_URL="",
        ZHONGTAI_HTTP_MAX_ATTEMPTS="30",
        ZHONGTAI_HTTP_BASE_DELAY_S="0.01",
        ZHONGTAI_HTTP_MAX_DELAY_S="0.02",
        **extra,
    )
    return dataclasses.replace(s, landing=landing)


def run_extract(url: str, landing: Path, entity: str | None = None, **extra: str) -> list:
    results, _run_id = extract(["crm"], entity=entity, settings=settings(url, landing, **extra))
    failed = {r.entity: r.error for r in results if r.error}
    assert not failed, failed
    return results


def latest(landing: Path, entity: str) -> dict[str, dict]:
    """What staging will see: the latest landed version per id, deleted ids left out."""
    files = sorted((landing / "crm" / entity).glob("*.parquet"))
    assert files, f"nothing landed for {entity}"
    t = ds.dataset(files, format="parquet").to_table()
    last: dict[str, dict] = {}
    for r in t.sort_by([("_extracted_at", "ascending")]).to_pylist():
        last[r["id"]] = r
    return {k: r for k, r in last.items() if r["_op"] != "delete"}


def latest_ops(landing: Path, entity: str) -> dict[str, str]:
    files = sorted((landing / "crm" / entity).glob("*.parquet"))
    t = ds.dataset(files, format="parquet").to_table(columns=["id", "_op", "_extracted_at"])
    t = t.sort_by([("_extracted_at", "ascending")])
    return dict(zip(t["id"].to_pylist(), t["_op"].to_pylist(), strict=True))


def planted(world: Path) -> dict[str, dict[str, set[str]]]:
    """Entity → live record key → fields the extractor must quarantine it for."""
    out: dict[str, dict[str, set[str]]] = {}
    for path in sorted((world / "_truth" / "malformed").glob("crm__*.json")):
        for m in json.loads(path.read_text(encoding="utf-8")):
            if m["kind"] in EXTRACTOR_KINDS:
                out.setdefault(m["entity"], {}).setdefault(m["key"], set()).add(m["field"])
    for entity, keys in out.items():
        live = set(
            pq.read_table(world / "crm" / f"{entity}.parquet", columns=["id"])["id"].to_pylist()
        )
        out[entity] = {k: f for k, f in keys.items() if k in live}
    return out


def expected(value, typ: str):
    """A world value as the landing types it."""
    if value is None:
        return None
    if typ == "decimal":
        return Decimal(str(value)).quantize(Decimal("0.01"))
    if typ == "timestamp":
        return dt.datetime.fromisoformat(value)
    if typ == "date":
        return dt.date.fromisoformat(value)
    return value


def assert_landing_equals_world(landing: Path, world: Path) -> None:
    bad = planted(world)
    for name, spec in ENTITIES.items():
        table = pq.read_table(world / "crm" / f"{name}.parquet")
        want = {r["id"]: r for r in table.to_pylist() if r["id"] not in bad.get(name, {})}
        got = latest(landing, name)
        assert set(got) == set(want), (name, len(set(got) ^ set(want)))
        checked = [(f, t) for f, t in spec.fields if f in table.column_names]
        assert len(checked) == len(spec.fields), (name, set(spec.names) - set(table.column_names))
        for rid, w in want.items():
            g = got[rid]
            for f, t in checked:
                assert g[f] == expected(w[f], t), (name, rid, f, g[f], w[f])


@pytest.fixture(scope="module")
def clean(sources, world, tmp_path_factory) -> tuple[Path, list]:
    """One full extraction from the fault-free simulator."""
    landing = tmp_path_factory.mktemp("crm_clean") / "landing"
    return landing, run_extract(sources["crm"], landing)


def test_full_extraction_lands_the_world_and_quarantines_the_planted(clean, world):
    landing, results = clean
    assert {r.entity for r in results} == set(ENTITIES)
    assert_landing_equals_world(landing, world)

    deals = latest(landing, "Deals")
    typed = next(r for r in deals.values() if r["Amount"] is not None)
    assert isinstance(typed["Amount"], Decimal) and isinstance(typed["Probability"], int)
    assert typed["Modified_Time"].tzinfo is not None
    leads = latest(landing, "Leads")
    assert any(r["Converted__s"] for r in leads.values()), "converted leads missing"

    bad = planted(world)
    q = ds.dataset(landing / "_quarantine", format="parquet").to_table().to_pylist()
    got: dict[str, set[str]] = {}
    for r in q:
        assert r["system"] == "crm" and r["reason"] and r["record"], r
        assert r["field"] in bad[r["entity"]][r["record_key"]], r
        got.setdefault(r["entity"], set()).add(r["record_key"])
    assert got == {e: set(keys) for e, keys in bad.items() if keys}
    by_entity = {r.entity: r for r in results}
    assert by_entity["Deals"].quarantined == len(bad["Deals"])


def _deleted_ids(world: Path) -> dict[str, set[str]]:
    out = {}
    for name in ENTITIES:
        path = world / "crm" / "_deleted" / f"{name}.parquet"
        out[name] = set(pq.read_table(path, columns=["id"])["id"].to_pylist())
    return out


def test_incremental_after_world_advance(world, tmp_path):
    copy = tmp_path / "w"
    shutil.copytree(world.parent, copy)
    meta_path = copy / "world" / "world.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["inbox"] = str(copy / "inbox" / "bank")
    meta_path.write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    landing = tmp_path / "landing"
    running = start_sources(copy / "world", ports={"crm": 0}, only=["crm"], log=False)
    try:
        url = running["crm"].url
        first = run_extract(url, landing)
        dead_before = _deleted_ids(copy / "world")
        # 8 days, not 5: the scale-0.01 world's first CRM deletion after 2025-06-30 is a
        # visit-plan task deleted on 2025-07-07
        advance(copy / "world", days=8, workers=1)
        time.sleep(0.6)  # the simulator notices the new world.json within 0.5 s
        second = run_extract(url, landing)
    finally:
        stop_sources(running)

    assert_landing_equals_world(landing, copy / "world")
    newly_dead = {e: ids - dead_before[e] for e, ids in _deleted_ids(copy / "world").items() if ids}
    assert sum(map(len, newly_dead.values())) > 0
    for entity, ids in newly_dead.items():
        ops = latest_ops(landing, entity)
        assert all(ops.get(k) == "delete" for k in ids), (entity, ids)
    rows = [sum(r.loaded + r.deleted for r in run) for run in (first, second)]
    assert 0 < rows[1] < rows[0] / 5, rows


def test_hostile_faults_land_the_same(clean, world, tmp_path):
    landing = tmp_path / "landing"
    running = start_sources(
        world, ports={"crm": 0}, only=["crm"], log=False, faults="hostile", fault_seed=3
    )
    try:
        results = run_extract(running["crm"].url, landing)
        faults = dict(running["crm"].app.faults.counts)
    finally:
        stop_sources(running)
    assert faults.get("expire") and faults.get("truncate") and faults.get("reset"), faults
    assert sum(r.retries for r in results) > 0
    for name in ENTITIES:
        assert content(latest(landing, name)) == content(latest(clean[0], name)), name


def content(rows: dict[str, dict]) -> dict[str, dict]:
    """Landed rows without the load metadata that differs between runs."""
    meta = {"_extracted_at", "_dlt_load_id", "_dlt_id"}
    return {k: {f: v for f, v in r.items() if f not in meta} for k, r in rows.items()}


@pytest.mark.parametrize(("server_cap", "client_cap"), [(500, None), (None, 700)])
def test_page_token_cap_is_paged_around(
    clean, world, tmp_path, monkeypatch, server_cap, client_cap
):
    """ZOHO stops page tokens after 100,000 records: the extractor restarts the module with
    If-Modified-Since = last Modified_Time − 1 s, on the error (server cap) or before it
    (client cap), and lands each record once."""
    if client_cap:
        monkeypatch.setattr(paging, "TOKEN_LIMIT", client_cap)
    landing = tmp_path / "landing"
    running = start_sources(world, ports={"crm": 0}, only=["crm"], log=False)
    try:
        running["crm"].app.token_record_limit = server_cap
        (result,) = run_extract(running["crm"].url, landing, entity="Events")
    finally:
        stop_sources(running)
    assert content(latest(landing, "Events")) == content(latest(clean[0], "Events"))
    files = sorted((landing / "crm" / "Events").glob("*.parquet"))
    ids = ds.dataset(files, format="parquet").to_table(columns=["id"])["id"].to_pylist()
    assert len(ids) == len(set(ids)) == result.loaded  # boundary records not landed twice


def test_history_of_deleted_deals_becomes_tombstones(clean):
    """A deleted deal takes its stage history along: its landed rows get tombstones."""
    landing = clean[0]
    history = latest(landing, "Stage_History")
    deal = next(iter(history.values()))["Deal_Id"]
    rows = {k for k, r in history.items() if r["Deal_Id"] == deal}
    ctx = ExtractContext("crm", settings("http://127.0.0.1:9", landing), "test")
    keys = _landed_history_of(ctx, {deal, "4150040000000000000"})
    assert set(keys) == rows
    t = tombstones(STAGE_HISTORY, keys)
    assert t.num_rows == len(rows) and set(t["_op"].to_pylist()) == {"delete"}


class FakeZoho:
    """A module with 120 fields and 450 records, served by the get-records rules."""

    def __init__(self) -> None:
        self.calls: list[dict] = []
        self.fields = [f"F{i:03d}" for i in range(119)]

    def record(self, i: int, fields: list[str]) -> dict:
        mt = f"2025-06-{1 + i // 100:02d}T10:00:00+08:00"
        return {
            "id": str(1000 + i),
            **{f: (mt if f == "Modified_Time" else f"{f}:{i}") for f in fields},
        }

    def get(self, path: str, params: dict, *, since: str | None = None):
        self.calls.append(params)
        fields = params["fields"].split(",")
        assert len(fields) <= paging.MAX_FIELDS
        if "ids" in params:
            ids = params["ids"].split(",")
            assert len(ids) <= paging.IDS_PER_CALL
            return {"data": [self.record(int(k) - 1000, fields) for k in ids if k != "1007"]}
        page = int(params["page"])
        rows = range((page - 1) * 200, min(450, page * 200))
        return {
            "data": [self.record(i, fields) for i in rows],
            "info": {"more_records": page * 200 < 450},
        }


def test_more_than_50_fields_are_fetched_in_batches_and_merged_by_id():
    fake = FakeZoho()
    all_fields = ["Modified_Time", *fake.fields]
    pages = list(paging.list_records(fake, "Big", all_fields))  # type: ignore[arg-type]
    records = [r for p in pages for r in p]
    assert len(records) == 449  # 1007 vanished between the calls: left out, not half-filled
    for r in records:
        i = int(r["id"]) - 1000
        assert r == fake.record(i, all_fields)
    assert max(len(c["fields"].split(",")) for c in fake.calls) == 50
