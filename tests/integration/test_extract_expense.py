"""The Huilianyi extractor against the in-process simulator: full and incremental extraction
equal the world, deletes by status become tombstones, planted bad records are quarantined,
and expiring tokens, hostile faults or a tenant that does not embed approval history change
nothing in the landing zone."""

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

from extractors.expense import ENTITIES
from extractors.expense.client import DETAIL, V2
from extractors.run import extract
from extractors.settings import ExtractSettings
from simulators.servers.http import json_response
from simulators.servers.sources import start_sources, stop_sources
from simulators.world.generate import advance

REPORTS, HISTORY = "expenseReport", "approvalHistory"
DELETED = 1010
CENT = Decimal("0.01")


# ---- helpers ----------------------------------------------------------------------------------


def settings(url: str, landing: Path, **env: str) -> ExtractSettings:
    base = ExtractSettings.from_env(ZHONGTAI_EXPENSE_BASE_URL=url, **env)
    return dataclasses.replace(base, landing=landing)


def run(s: ExtractSettings, **kw) -> dict:
    results, _run_id = extract(["expense"], settings=s, **kw)
    by_entity = {r.entity: r for r in results}
    assert all(r.error is None for r in results), by_entity
    return by_entity


def versions(landing: Path, entity: str) -> list[dict]:
    """Every landed row of ``entity``, oldest first (stable within a run)."""
    files = sorted((landing / "expense" / entity).glob("*.parquet"))
    t = ds.dataset(files, format="parquet").to_table()
    t = t.take(t["_extracted_at"].to_numpy().argsort(kind="stable"))
    return t.to_pylist()


def latest(rows: list[dict], key: str = "id") -> dict[str, dict]:
    out: dict[str, dict] = {}
    for r in rows:
        out[r[key]] = r
    return out


def _typed(value, typ: str):
    """A world value as the landing zone types it (None where it cannot be typed)."""
    if value is None:
        return None
    if typ == "decimal":
        return Decimal(str(value)).quantize(CENT)
    if typ == "timestamp":
        try:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return value


def world_rows(world: Path, entity: str) -> dict[str, dict]:
    spec = ENTITIES[entity]
    types = dict(spec.fields)
    t = pq.read_table(world / "expense" / f"{entity}.parquet")
    cols = [c for c in t.column_names if not c.startswith("_")]
    return {r["id"]: {c: _typed(r[c], types[c]) for c in cols} for r in t.select(cols).to_pylist()}


def planted(world: Path) -> set[tuple[str, str, str]]:
    out = set()
    for entity in ENTITIES:
        path = world / "_truth" / "malformed" / f"expense__{entity}.json"
        for m in json.loads(path.read_text(encoding="utf-8")) if path.exists() else []:
            out.add((m["entity"], m["key"], m["field"]))
    return out


def quarantined(landing: Path) -> set[tuple[str, str, str]]:
    files = sorted((landing / "_quarantine").glob("expense__*.parquet"))
    if not files:
        return set()
    t = ds.dataset(files, format="parquet").to_table(columns=["entity", "record_key", "field"])
    return {(r["entity"], r["record_key"], r["field"]) for r in t.to_pylist()}


def assert_matches_world(landing: Path, world: Path) -> None:
    """Latest version per key = the world: live reports minus quarantined ones, deleted
    (1010) reports as tombstones after their last upsert, all approval history."""
    bad = {key for _e, key, _f in planted(world)}
    want = world_rows(world, REPORTS)
    rows = versions(landing, REPORTS)
    last = latest(rows)
    upserts = latest([r for r in rows if r["_op"] == "upsert"])
    deleted = {k for k, w in want.items() if w["status"] == DELETED}
    assert deleted, "the world has deleted reports"
    assert {k for k, r in last.items() if r["_op"] == "delete"} == deleted
    assert {k for k, r in last.items() if r["_op"] == "upsert"} == set(want) - deleted - bad
    assert set(upserts) == set(want) - bad  # deleted ones landed their data too
    for k, got in upserts.items():
        assert {c: got[c] for c in want[k]} == want[k], k
    for k in deleted:
        tomb = last[k]
        assert tomb["status"] is None and tomb["_extracted_at"] > upserts[k]["_extracted_at"]
    want_h = world_rows(world, HISTORY)
    got_h = latest(versions(landing, HISTORY))
    assert set(got_h) == set(want_h)
    assert all(r["_op"] == "upsert" for r in got_h.values())
    for k, got in got_h.items():
        assert {c: got[c] for c in want_h[k]} == want_h[k], k


def own_server(world: Path, **kw) -> dict:
    return start_sources(world, ports={"expense": 0}, only=["expense"], log=False, **kw)


def count_requests(app) -> dict[str, int]:
    """Wrap the app's dispatch to count calls and 401 answers (test-side only)."""
    counts = {"token": 0, "v2": 0, "detail": 0, "401": 0}
    dispatch = app.dispatch

    def counting(req):
        kind = {"/oauth/token": "token", V2: "v2", DETAIL: "detail"}.get(req.path)
        if kind:
            counts[kind] += 1
        resp = dispatch(req)
        if resp.status == 401:
            counts["401"] += 1
        return resp

    app.dispatch = counting
    return counts


# ---- tests ------------------------------------------------------------------------------------


def test_full_extraction_equals_the_world(world, sources, tmp_path):
    landing = tmp_path / "landing"
    res = run(settings(sources["expense"], landing))
    assert_matches_world(landing, world)
    assert quarantined(landing) == planted(world)
    assert planted(world), "the world plants a bad lastModifiedDate"
    n = len(world_rows(world, REPORTS))
    n_deleted = sum(w["status"] == DELETED for w in world_rows(world, REPORTS).values())
    assert res[REPORTS].loaded == n - len(planted(world))
    assert res[REPORTS].deleted == n_deleted
    assert res[REPORTS].quarantined == len(planted(world))
    assert res[HISTORY].loaded == len(world_rows(world, HISTORY))
    # One typed table per page: money DECIMAL, times UTC.
    schema = pq.read_schema(next((landing / "expense" / REPORTS).glob("*.parquet")))
    assert str(schema.field("totalAmount").type) == "decimal128(18, 2)"
    assert str(schema.field("lastModifiedDate").type) == "timestamp[us, tz=UTC]"


def test_incremental_follows_the_world(world, tmp_path):
    copy = tmp_path / "w"
    shutil.copytree(world.parent, copy)
    meta_path = copy / "world" / "world.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["inbox"] = str(copy / "inbox")
    meta_path.write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    running = own_server(copy / "world")
    landing = tmp_path / "landing"
    try:
        s = settings(running["expense"].url, landing)
        first = run(s)
        assert_matches_world(landing, copy / "world")
        changes = advance(copy / "world", days=5, workers=1)["changes"]
        assert changes, "five days of business change the world"
        time.sleep(0.6)  # the simulator re-reads the world at most every 0.5 s
        second = run(s)
        assert_matches_world(landing, copy / "world")
        for entity in ENTITIES:
            assert 0 < second[entity].loaded < first[entity].loaded / 5, entity
        # A third run with nothing new reads only the overlap window.
        third = run(s)
        assert third[REPORTS].loaded <= second[REPORTS].loaded
        assert_matches_world(landing, copy / "world")
        # --full-refresh reads everything again and changes nothing that matters.
        full = run(s, full_refresh=True)
        now = copy / "world"
        assert full[REPORTS].loaded == len(world_rows(now, REPORTS)) - len(planted(now))
        assert_matches_world(landing, copy / "world")
    finally:
        stop_sources(running)


def test_tokens_expiring_mid_run(world, tmp_path):
    running = own_server(world)
    app = running["expense"].app
    app.token_ttl_s = 0.3
    counts = count_requests(app)
    dispatch = app.dispatch

    def revoke_every_7th_page(req):  # tokens also die between two pages, for certain
        if req.path == V2 and counts["v2"] % 7 == 6:
            app.on_expire()
        return dispatch(req)

    app.dispatch = revoke_every_7th_page
    landing = tmp_path / "landing"
    try:
        res = run(settings(running["expense"].url, landing))
    finally:
        stop_sources(running)
    assert_matches_world(landing, world)
    assert counts["401"] >= 2 and counts["token"] >= 3
    assert res[REPORTS].retries + res[HISTORY].retries >= counts["401"]


def test_hostile_faults_land_the_same_as_none(world, tmp_path):
    running = own_server(world, faults="hostile", fault_seed=3)
    landing = tmp_path / "landing"
    try:
        res = run(settings(running["expense"].url, landing, ZHONGTAI_HTTP_MAX_ATTEMPTS="30"))
        faults = dict(running["expense"].app.faults.counts)
    finally:
        stop_sources(running)
    assert_matches_world(landing, world)
    assert quarantined(landing) == planted(world)
    assert sum(faults.values()) >= 5, faults
    assert res[REPORTS].retries + res[HISTORY].retries > 0


def test_history_from_detail_when_the_list_does_not_embed_it(world, tmp_path):
    """A tenant whose v2 ignores ``withApprovalHistory``: the history of each report on the
    page comes from ``expenseReport/detail``."""
    running = own_server(world)
    app = running["expense"].app
    decorate = app._decorate

    def without_history(v, rows, body):
        decorate(v, rows, body)
        for r in rows:
            r.pop("approvalHistorys", None)

    app._decorate = without_history
    counts = count_requests(app)
    landing = tmp_path / "landing"
    try:
        res = run(settings(running["expense"].url, landing), entity=HISTORY)
    finally:
        stop_sources(running)
    assert set(res) == {HISTORY}
    assert counts["detail"] == len(world_rows(world, REPORTS))
    want = world_rows(world, HISTORY)
    got = latest(versions(landing, HISTORY))
    assert set(got) == set(want)
    for k, row in got.items():
        assert {c: row[c] for c in want[k]} == want[k], k


def test_bad_credentials_fail_the_entity_with_a_fix(sources, tmp_path):
    s = settings(sources["expense"], tmp_path / "landing", ZHONGTAI_EXPENSE_CLIENT_SECRET="wrong")
    results, _ = extract(["expense"], settings=s)
    assert {r.entity for r in results} == set(ENTITIES)
    for r in results:
        assert r.error and "ZHONGTAI_EXPENSE_CLIENT_SECRET" in r.error
        assert r.loaded == 0


@pytest.mark.parametrize("entity", list(ENTITIES))
def test_a_failed_run_does_not_move_the_cursor(world, tmp_path, entity):
    """A business error on page 2 fails the entity after page 1 was read; its cursor stays,
    so the next run reads everything again."""
    running = own_server(world)
    app = running["expense"].app
    dispatch = app.dispatch
    failed = []

    def fail_page_two_once(req):
        if req.path == V2 and not failed and (req.json() or {}).get("page") == 2:
            failed.append(req)
            return json_response({"message": "系统繁忙", "errorCode": "100500", "data": None})
        return dispatch(req)

    app.dispatch = fail_page_two_once
    landing = tmp_path / "landing"
    try:
        s = settings(running["expense"].url, landing)
        results, _ = extract(["expense"], settings=s, entity=entity)
        assert failed and "100500" in results[0].error
        again = run(s, entity=entity)
    finally:
        stop_sources(running)
    n = len(world_rows(world, entity)) - sum(e == entity for e, _k, _f in planted(world))
    assert again[entity].loaded == n
