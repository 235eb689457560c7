"""The Weaver e-cology (OA) extractor against the in-process simulator, scale 0.01.

Full extraction equals the world (minus the planted malformed records, which are
quarantined); an incremental run after ``world advance`` (plus a request deleted on the OA)
equals the advanced world and makes far fewer per-request calls; tokens expiring mid-run and
the hostile fault profile change nothing in what lands; a sweep that would delete most
requests (a user without monitor rights) is refused.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from extractors.landing import ExtractContext, land
from extractors.oa import ENTITIES, resources
from extractors.run import extract
from extractors.settings import ExtractSettings
from simulators.servers.sources import start_sources, stop_sources
from simulators.world.generate import advance

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
PER_REQUEST = ("getRequestLog", "getRequestOperatorInfo", "getWorkflowRequest")
# world columns that are not (or not the same) on the wire
RENAMED = {
    "workflow_requests": {
        "workflowBaseInfo.workflowId": "workflowId",
        "workflowBaseInfo.workflowName": "workflowName",
        "workflowBaseInfo.workflowTypeId": "workflowTypeId",
        "workflowBaseInfo.workflowTypeName": "workflowTypeName",
        "workflowBaseInfo.formId": "formId",
    },
}
NOT_IN_WORLD = {
    "workflow_requests": {"receiveTime", "sysName"},
    "workflow_request_operators": {"agenttype", "agentorbyagentid"},
    "HrmResource": {"departmentname", "subcompanyid1"},
}
SMALL_WORKFLOWS = "103,132,141"  # 合同终止, 市场活动, 公告发布: a few hundred requests
SMALL_ENTITIES = [
    "workflow_requests",
    "workflow_request_logs",
    "workflow_request_operators",
    "formtable_main_1103",
    "formtable_main_1132",
    "formtable_main_1141",
    "HrmResource",
    "HrmDepartment",
]


# -- helpers --------------------------------------------------------------------------------
def _settings(url: str, landing: Path, **over: str) -> ExtractSettings:
    s = ExtractSettings.from_env(ZHONGTAI_OA_BASE_URL=url, **over)
    return dataclasses.replace(s, landing=landing)


def _extract(settings: ExtractSettings, names: list[str] | None = None) -> dict:
    """One OA run (all entities, or ``names``); the per-entity results by name."""
    if names is None:
        results, _run = extract(["oa"], settings=settings)
        out = {r.entity: r for r in results}
    else:
        ctx = ExtractContext(system="oa", settings=settings, run_id=f"t{time.time_ns()}")
        land("oa", settings, resources(ctx, names))
        out = {n: ctx.result(n) for n in names}
    failed = {n: r.error for n, r in out.items() if r.error}
    assert not failed, failed
    return out


def _canon(v):
    """One comparable text per value: NULL and "" alike, times in Asia/Shanghai, numbers with
    two decimals."""
    if v is None or v == "":
        return None
    if isinstance(v, dt.datetime):
        return v.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, float | Decimal):
        return f"{float(v):.2f}"
    return str(v)


def _landed(landing: Path, entity: str) -> dict[str, dict]:
    """Latest version per key of what landed, deleted keys left out."""
    files = sorted((landing / "oa" / entity).glob("*.parquet"))
    if not files:
        return {}
    t = ds.dataset(files, format="parquet").to_table()
    key = ENTITIES[entity].key
    t = t.take(pc.sort_indices(t, [("_extracted_at", "ascending")]))
    latest: dict[str, dict] = {}
    for r in t.to_pylist():
        latest[str(r[key])] = r
    return {k: r for k, r in latest.items() if r["_op"] != "delete"}


def _expected(world: Path, entity: str, keys: set[str] | None = None) -> dict[str, dict]:
    t = pq.read_table(world / "oa" / f"{entity}.parquet")
    key = ENTITIES[entity].key
    rows = {str(r[key]): r for r in t.to_pylist()}
    return rows if keys is None else {k: r for k, r in rows.items() if k in keys}


def _planted(world: Path) -> set[tuple[str, str, str]]:
    out = set()
    for p in (world / "_truth" / "malformed").glob("oa__*.json"):
        out |= {(d["entity"], d["key"], d["field"]) for d in json.loads(p.read_text())}
    return out


def _quarantined(landing: Path) -> list[tuple[str, str, str]]:
    files = sorted((landing / "_quarantine").glob("oa__*.parquet"))
    if not files:
        return []
    t = ds.dataset(files, format="parquet").to_table(columns=["entity", "record_key", "field"])
    return list(zip(*(t[c].to_pylist() for c in t.column_names), strict=True))


def _assert_matches(landing: Path, world: Path, entities, *, skip=frozenset(), only=None):
    """Landed (latest, live) == world for each entity, field by field; ``skip`` holds
    (entity, key) pairs left out (quarantined); ``only`` maps entity -> keys to compare."""
    for entity in entities:
        got = _landed(landing, entity)
        want = _expected(world, entity, None if only is None else only.get(entity))
        want = {k: r for k, r in want.items() if (entity, k) not in skip}
        if only is not None and entity in only:
            got = {k: r for k, r in got.items() if k in only[entity]}
        assert set(got) == set(want), (
            f"{entity}: {len(set(want) - set(got))} missing, {len(set(got) - set(want))} extra"
        )
        fields = [n for n in ENTITIES[entity].names if n not in NOT_IN_WORLD.get(entity, ())]
        ren = RENAMED.get(entity, {})
        diffs = [
            (k, f, got[k][f], want[k][ren.get(f, f)])
            for k in want
            for f in fields
            if _canon(got[k][f]) != _canon(want[k][ren.get(f, f)])
        ]
        assert not diffs, f"{entity}: {len(diffs)} differing values, e.g. {diffs[:5]}"


class _Calls:
    """Counts the OA calls a simulator answers, by endpoint name."""

    def __init__(self, app):
        self.counts: Counter = Counter()
        inner = app.dispatch

        def counting(req):
            self.counts[req.path.rsplit("/", 1)[-1]] += 1
            return inner(req)

        app.dispatch = counting

    def per_request(self) -> int:
        return sum(self.counts[p] for p in PER_REQUEST)

    def reset(self) -> None:
        self.counts.clear()


def _serve(world: Path, **kw):
    running = start_sources(world, ports={"oa": 0}, only=["oa"], log=False, **kw)
    return running, _Calls(running["oa"].app)


def _small_keys(world: Path) -> dict[str, set[str]]:
    """Keys of the entities of SMALL_WORKFLOWS' requests (and all HRM)."""
    req = pq.read_table(world / "oa" / "workflow_requests.parquet")
    wanted = pa.array(SMALL_WORKFLOWS.split(","))
    rids = set(req.filter(pc.is_in(req["workflowId"], wanted))["requestId"].to_pylist())
    out = {"workflow_requests": rids}
    for e in ("workflow_request_logs", "workflow_request_operators"):
        t = pq.read_table(world / "oa" / f"{e}.parquet", columns=["id", "requestId"])
        pairs = zip(t["id"].to_pylist(), t["requestId"].to_pylist(), strict=True)
        out[e] = {i for i, r in pairs if r in rids}
    return out


# -- fixtures -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def full(world, tmp_path_factory):
    """A full extraction of the world into a landing zone: (landing, results, calls)."""
    landing = tmp_path_factory.mktemp("oa_full") / "landing"
    running, calls = _serve(world)
    try:
        results = _extract(_settings(running["oa"].url, landing))
    finally:
        stop_sources(running)
    return landing, results, calls.counts


# -- tests ----------------------------------------------------------------------------------
def test_full_extraction_equals_the_world_minus_quarantine(world, full):
    landing, results, calls = full
    planted = _planted(world)
    assert planted, "the world plants negative contract amounts"
    quarantined = _quarantined(landing)
    assert sorted(quarantined) == sorted(planted)
    _assert_matches(landing, world, ENTITIES, skip={(e, k) for e, k, _f in planted})
    # one call per request and endpoint, no more
    n = pq.read_metadata(world / "oa" / "workflow_requests.parquet").num_rows
    assert calls["getRequestOperatorInfo"] == n
    assert calls["getWorkflowRequest"] == n
    assert calls["getRequestLog"] == n
    assert results["workflow_requests"].loaded == n
    assert results["formtable_main_1101"].quarantined == len(planted)


def test_incremental_after_advance_and_a_deleted_request(world, full, tmp_path):
    full_landing, _results, full_calls = full
    copy = tmp_path / "w"
    shutil.copytree(world.parent, copy)
    meta = copy / "world" / "world.json"
    meta.write_text(
        meta.read_text().replace(
            str((world.parent / "inbox" / "bank").resolve()), str(copy / "inbox" / "bank")
        )
    )
    landing = tmp_path / "landing"
    shutil.copytree(full_landing, landing)  # the first run on the copy is the full one
    running, calls = _serve(copy / "world")
    try:
        settings = _settings(running["oa"].url, landing)
        quiet = _extract(settings)  # nothing changed: only the overlap day comes again
        assert quiet["workflow_requests"].deleted == 0
        assert calls.per_request() < 0.2 * sum(full_calls[p] for p in PER_REQUEST)

        advance(copy / "world", days=3, workers=1)
        gone = _delete_a_request(copy / "world")
        time.sleep(0.6)
        calls.reset()
        res = _extract(settings)
    finally:
        stop_sources(running)
    planted = _planted(copy / "world")
    _assert_matches(landing, copy / "world", ENTITIES, skip={(e, k) for e, k, _f in planted})
    assert res["workflow_requests"].deleted == 1
    assert res["workflow_request_logs"].deleted == gone["logs"]
    assert res["workflow_request_operators"].deleted >= gone["operators"]
    assert res[gone["form"]].deleted == 1
    full_per_request = sum(full_calls[p] for p in PER_REQUEST)
    assert 0 < calls.per_request() < 0.2 * full_per_request, (calls.counts, full_per_request)


def _delete_a_request(world: Path) -> dict:
    """Delete one request created in the sweep window with its logs, operators and form row,
    the way E9's deleteRequest does; the world's files are the expected state afterwards."""
    folder = world / "oa"
    req = pq.read_table(folder / "workflow_requests.parquet")
    as_of = json.loads((world / "world.json").read_text())["as_of"]
    recent = (dt.date.fromisoformat(as_of) - dt.timedelta(days=30)).isoformat()
    old_enough = pc.less(req["createTime"], recent[:10] + " 00:00:00")
    in_window = pc.greater(req["createTime"], "2025-03-15 00:00:00")
    pick = req.filter(pc.and_(old_enough, in_window)).slice(0, 1).to_pylist()[0]
    rid, form = pick["requestId"], pick["tableDBName"]
    counts = {"form": form}
    for name, label in (
        ("workflow_requests", None),
        ("workflow_request_logs", "logs"),
        ("workflow_request_operators", "operators"),
        (form, None),
    ):
        t = pq.read_table(folder / f"{name}.parquet")
        keep = pc.not_equal(t["requestId"], rid)
        if label:
            counts[label] = t.num_rows - pc.sum(keep).as_py()
        pq.write_table(t.filter(keep), folder / f"{name}.parquet")
    meta = world / "world.json"
    meta.write_text(meta.read_text())  # a new mtime: the simulator reloads
    return counts


def test_tokens_expiring_mid_run_change_nothing(world, full, tmp_path):
    full_landing = full[0]
    running, calls = _serve(world)
    running["oa"].app.token_ttl_s = 0.1
    try:
        settings = _settings(
            running["oa"].url, tmp_path / "landing", ZHONGTAI_OA_WORKFLOW_IDS=SMALL_WORKFLOWS
        )
        _extract(settings, SMALL_ENTITIES)
    finally:
        stop_sources(running)
    assert calls.counts["applytoken"] >= 3, calls.counts
    _assert_same(full_landing, tmp_path / "landing", world)


def test_hostile_faults_give_the_same_landing(world, full, tmp_path, monkeypatch):
    full_landing = full[0]
    monkeypatch.setenv("ZHONGTAI_HTTP_MAX_ATTEMPTS", "30")
    running, _calls = _serve(world, faults="hostile", fault_seed=3)
    try:
        settings = _settings(
            running["oa"].url,
            tmp_path / "landing",
            ZHONGTAI_OA_WORKFLOW_IDS=SMALL_WORKFLOWS,
            ZHONGTAI_EXTRACT_CONCURRENCY="32",
        )
        assert settings.max_attempts == 30
        _extract(settings, SMALL_ENTITIES)
        faults = dict(running["oa"].app.faults.counts)
    finally:
        stop_sources(running)
    assert {"error", "rate_limit", "reset", "truncate", "expire"} <= set(faults), faults
    _assert_same(full_landing, tmp_path / "landing", world)


def _assert_same(full_landing: Path, landing: Path, world: Path) -> None:
    """``landing`` holds exactly SMALL_WORKFLOWS' part of the full landing."""
    keys = _small_keys(world)
    for entity in SMALL_ENTITIES:
        got = _landed(landing, entity)
        want = _landed(full_landing, entity)
        if entity in keys:
            want = {k: r for k, r in want.items() if k in keys[entity]}
        assert set(got) == set(want), entity
        fields = ENTITIES[entity].names
        diffs = [(k, f) for k in want for f in fields if _canon(got[k][f]) != _canon(want[k][f])]
        assert not diffs, f"{entity}: {diffs[:5]}"
    _assert_matches(landing, world, SMALL_ENTITIES, only=keys)


def test_a_sweep_that_would_delete_most_requests_is_refused(world, full, tmp_path):
    """A user without monitor rights sees only their own requests: a full listing must not
    turn everything else into tombstones."""
    landing = tmp_path / "landing"
    shutil.copytree(full[0], landing)
    hrm = pq.read_table(world / "oa" / "HrmResource.parquet", columns=["id"])
    running, _calls = _serve(world)
    try:
        settings = _settings(running["oa"].url, landing, ZHONGTAI_OA_USER_ID=hrm["id"][0].as_py())
        ctx = ExtractContext(
            system="oa", settings=settings, run_id="guard", full_refresh={"workflow_requests"}
        )
        land("oa", settings, resources(ctx, ["workflow_requests"]))
    finally:
        stop_sources(running)
    res = ctx.result("workflow_requests")
    assert res.deleted == 0
    assert "refusing to delete" in (res.error or ""), res.error
    assert len(_landed(landing, "workflow_requests")) == len(_landed(full[0], "workflow_requests"))
