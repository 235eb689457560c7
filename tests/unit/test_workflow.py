"""OA workflow engine: log order, endings, countersign, returns, working hours, determinism."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from datetime import date

import numpy as np
import pytest

from simulators.world import workcal as wc
from simulators.world import workflow as wf
from simulators.world.context import Ctx, WorldConfig
from simulators.world.org import Org
from simulators.world.schemas import FORM_TABLE, WORKFLOWS

START = wc.day_of_date(date(2024, 1, 1))
DAYS = 200
PER_DAY = 10  # per workflow type and day -> 2,000 instances per type
CREATOR_ROLE = {
    "contract_approval": "sales",
    "contract_change": "sales",
    "contract_termination": "sales",
    "visit_plan": "sales",
    "contract_mailing": "assistant",
    "project_start": "assistant",
    "invoice_application": "assistant",
    "payment_claim": "assistant",
    "prepayment_transfer": "assistant",
    "project_delivery": "pm",
    "campaign": "marketing",
    "notice": "marketing",
}
OFFICE = ((9 * 3600, 12 * 3600), (13 * 3600, 18 * 3600))


def _form(wf_type: str, rng: np.random.Generator, amount: float) -> dict:
    if wf_type == "contract_approval":
        return {
            "htbh": "HT-HD-202401-0001",
            "htlx": ["标准", "非标", "预付款"][int(rng.integers(3))],
            "htje": amount,
        }
    if wf_type == "campaign":
        return {"hdmc": "活动", "ys": amount / 5}
    if wf_type == "invoice_application":
        return {"sqbh": "KP1", "kpje": amount / 3}
    return {}


def _build(seed: int = 7, days: int = DAYS):
    org = Org(seed=1, scale=0.01, start_day=START)
    ctx = Ctx(cfg=WorldConfig(1, 0.01, START), org=org)
    runs = []
    for day in range(START, START + days):
        ctx.day = day
        ctx.counters = {}
        ctx.rng = np.random.default_rng([seed, day])
        drv = np.random.default_rng([seed, day, 1])  # the "caller's" own draws
        for wf_type in WORKFLOWS:
            pool = org.by_role[CREATOR_ROLE[wf_type]]
            for _ in range(PER_DAY):
                creator = pool[int(drv.integers(len(pool)))]
                t = day * wc.DAY + 9 * 3600 + int(drv.integers(0, 9 * 3600))
                amount = float(np.round(drv.uniform(1e4, 1.2e6), -2))
                form = _form(wf_type, drv, amount)
                run = wf.run_workflow(
                    ctx,
                    wf_type,
                    creator,
                    t,
                    form,
                    request_name=f"{wf_type}-{day}",
                    amount=amount,
                    region=org.region_at(creator, day),
                )
                runs.append((wf_type, creator, t, form, run))
    return org, ctx, runs


@pytest.fixture(scope="module")
def world():
    org, ctx, runs = _build()
    logs = defaultdict(list)
    for _rid, _t, _seq, _op, v in ctx.tl("oa", "workflow_request_logs").rows:
        logs[v["requestId"]].append(v)
    state: dict[str, dict] = {}
    for rid, _t, _seq, _op, v in ctx.tl("oa", "workflow_requests").rows:
        st = state.setdefault(rid, {})
        st.update({k: x for k, x in v.items() if x is not None})
    return org, ctx, runs, logs, state


def _in_office(t: int) -> bool:
    day, sec = divmod(t, wc.DAY)
    return wc.is_workday(day) and any(a <= sec <= b for a, b in OFFICE)


def _after_hours(t: int) -> bool:
    day, sec = divmod(t, wc.DAY)
    return (not wc.is_workday(day)) or 19 * 3600 <= sec <= 23 * 3600 + 1800


def _archive_id(wf_type: str) -> str:
    return wf.NODES[wf_type][-1][0]


def test_ids_unique_and_requests_complete(world):
    _org, ctx, runs, _logs, _state = world
    log_ids = [v["id"] for *_x, v in ctx.tl("oa", "workflow_request_logs").rows]
    assert len(log_ids) == len(set(log_ids))
    op_puts = [
        r[0]
        for r in ctx.tl("oa", "workflow_request_operators").rows
        if r[3] == "U" and "requestId" in r[4]
    ]
    assert len(op_puts) == len(set(op_puts))
    assert len({r.request_id for *_x, r in runs}) == len(runs)
    first = {}
    for rid, t, _seq, _op, v in ctx.tl("oa", "workflow_requests").rows:
        first.setdefault(rid, (t, v))
    for wf_type, creator, t, _form, run in runs[:500]:
        t0, v = first[run.request_id]
        assert t0 == t
        assert v["createTime"] == t
        assert v["requestLevel"] == "0"
        assert v["workflowId"] == str(WORKFLOWS[wf_type][0])
        assert v["formId"] == str(-WORKFLOWS[wf_type][2])
        assert v["tableDBName"] == FORM_TABLE[wf_type]
        assert v["creatorId"] == world[0].person(creator).oa_id
        assert set(v) == set(ctx.tl("oa", "workflow_requests").entity.names)


def test_logs_ordered_in_time(world):
    _org, _ctx, runs, logs, _state = world
    for *_x, run in runs:
        rows = logs[run.request_id]
        whens = [r["_when"] for r in rows]
        assert whens == sorted(whens), run.request_id
        assert [int(r["id"]) for r in rows] == sorted(int(r["id"]) for r in rows)
        assert rows[0]["logtype"] == wf.LT_SAVE
        for r in rows:
            d, sec = divmod(r["_when"], wc.DAY)
            assert r["operatedate"] == wc.date_of_day(d).isoformat()
            assert r["operatetime"] == f"{sec // 3600:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}"


def test_endings(world):
    _org, _ctx, runs, logs, state = world
    for wf_type, _c, _t, _f, run in runs:
        rows = logs[run.request_id]
        st = state[run.request_id]
        if run.outcome == "approved":
            to_archive = [
                r
                for r in rows
                if r["destnodeid"] == _archive_id(wf_type) and r["logtype"] != wf.LT_CC
            ]
            assert to_archive
            assert to_archive[-1]["_when"] == run.finished_t
            assert to_archive[-1]["logtype"] == wf.LT_APPROVE
            assert st["archived"] is True
            assert st["status"] == "归档"
            assert st["currentNodeType"] == "3"
            assert st["lastOperateTime"] == run.finished_t
        elif run.outcome == "rejected":
            last = [r for r in rows if r["logtype"] != wf.LT_CC][-1]
            assert last["logtype"] == wf.LT_RETURN
            assert last["remarkHtml"] == wf.REJECT_REMARK
            assert last["_when"] == run.finished_t
            assert st["status"] == "已否决"
            assert st["archived"] is False
        elif run.outcome == "withdrawn":
            assert rows[-1]["logtype"] == wf.LT_WITHDRAW
            assert rows[-1]["_when"] == run.finished_t
            assert st["status"] == "已撤回"
        else:
            assert run.outcome == "draft"
            assert wf_type == "contract_approval"
            assert len(rows) == 1
            assert run.submitted_t is None
            assert run.finished_t is None
            assert st["status"] == "创建"
        if run.submitted_t is not None:
            submits = [r for r in rows if r["logtype"] == wf.LT_SUBMIT]
            assert submits[0]["_when"] == run.submitted_t


def test_outcome_shares(world):
    _org, _ctx, runs, _logs, _state = world
    by_type: dict[str, Counter] = defaultdict(Counter)
    for wf_type, *_x, run in runs:
        by_type[wf_type][run.outcome] += 1
    c = by_type["contract_approval"]
    n = sum(c.values())
    assert abs(c["approved"] / n - 0.93) < 0.025
    assert abs(c["rejected"] / n - 0.03) < 0.012
    assert abs(c["withdrawn"] / n - 0.02) < 0.01
    assert abs(c["draft"] / n - 0.02) < 0.01
    for wf_type, c in by_type.items():
        if wf_type != "contract_approval":
            assert c["draft"] == 0
            assert abs(c["approved"] / sum(c.values()) - 0.95) < 0.025


def test_forced_outcome_and_submit_delay():
    org = Org(seed=1, scale=0.01, start_day=START)
    ctx = Ctx(cfg=WorldConfig(1, 0.01, START), org=org, day=START, rng=np.random.default_rng(3))
    t = START * wc.DAY + 10 * 3600 + 2 * wc.DAY  # Wednesday 2024-01-03 10:00
    for _ in range(200):
        run = wf.run_workflow(
            ctx,
            "invoice_application",
            org.by_role["assistant"][0],
            t,
            {"kpje": 1000.0},
            request_name="x",
            outcome="approved",
            submit_delay_s=3600,
        )
        assert run.outcome == "approved"
        assert run.submitted_t == t + 3600
        assert run.finished_t > run.submitted_t
    run = wf.run_workflow(ctx, "visit_plan", org.sales[0], t, {}, request_name="x", outcome="draft")
    assert run.outcome == "approved"  # drafts only exist for contract approvals
    run = wf.run_workflow(
        ctx,
        "contract_approval",
        org.sales[0],
        t,
        {"htlx": "标准"},
        request_name="x",
        outcome="draft",
    )
    assert run == wf.WorkflowRun(run.request_id, None, None, "draft")


def test_node_chains(world):
    org, _ctx, runs, logs, _state = world
    legal, fin = set(org.by_role["legal"]), set(org.by_role["finance"])
    oa = {p.oa_id: p.pid for p in org.people}
    seen_cs = 0
    for wf_type, creator, _t, form, run in runs:
        rows = logs[run.request_id]
        ids = {n for n, _name, _ty in wf.NODES[wf_type]}
        assert all(r["nodeid"] in ids and r["destnodeid"] in ids for r in rows)
        names = {r["nodename"] for r in rows}
        if wf_type == "contract_approval":
            assert ("法务财务会签" in names) <= (form["htlx"] == "非标")
            if run.outcome == "approved":
                assert "大区总监审批" in names
                assert "财务审核" in names
                assert ("总经理审批" in names) == (form["htje"] > 500000)
        if wf_type == "contract_approval" and form["htlx"] == "非标" and run.outcome == "approved":
            last_submit = max(i for i, r in enumerate(rows) if r["logtype"] == wf.LT_SUBMIT)
            cs = [r for r in rows[last_submit:] if r["nodename"] == "法务财务会签"]
            assert len(cs) == 2
            assert all(r["isbranche"] == "1" for r in cs)
            assert all(r["logtype"] == wf.LT_APPROVE for r in cs)
            who = {oa[r["operator"]] for r in cs}
            assert len(who & legal) == 1
            assert len(who & fin) == 1
            assert cs[0]["destnodeid"] == cs[0]["nodeid"]
            assert cs[1]["destnodeid"] != cs[1]["nodeid"]
            seen_cs += 1
        if wf_type == "visit_plan" and run.outcome == "approved":
            appr = [r for r in rows if r["logtype"] == wf.LT_APPROVE]
            assert {r["nodename"] for r in appr} == {"直属上级审批"}
        if wf_type == "contract_mailing" and run.outcome == "approved":
            a = org.assistant_of(creator, _t // wc.DAY)
            conf = [r for r in rows if r["nodename"] == "收到确认"]
            assert conf
            assert oa[conf[0]["operator"]] == a
        if wf_type in wf.CC_TYPES and run.outcome == "approved":
            cc = [r for r in rows if r["logtype"] == wf.LT_CC]
            a = org.assistant_of(creator, run.finished_t // wc.DAY)
            assert len(cc) == (a != creator)
            assert all(r["_when"] == run.finished_t for r in cc)
    assert seen_cs > 300


def test_returns_followed_by_resubmit(world):
    _org, _ctx, runs, logs, _state = world
    n_ret = 0
    for *_x, run in runs:
        rows = logs[run.request_id]
        creator = rows[0]["operator"]
        returned = False
        for i, r in enumerate(rows):
            if r["logtype"] == wf.LT_RETURN and r["remarkHtml"] != wf.REJECT_REMARK:
                returned = True
                nxt = rows[i + 1]
                assert nxt["logtype"] == wf.LT_SUBMIT
                assert nxt["operator"] == creator
                assert nxt["_when"] > r["_when"]
                assert r["receivedPersonids"] == creator
            if r["logtype"] == wf.LT_WITHDRAW and i + 1 < len(rows):
                assert rows[i + 1]["logtype"] == wf.LT_SUBMIT
        n_ret += returned
    share = n_ret / len(runs)
    assert 0.05 < share < 0.10


def test_special_actions(world):
    org, _ctx, runs, logs, _state = world
    oa = {p.oa_id: p for p in org.people}
    kinds = Counter()
    for *_x, run in runs:
        rows = logs[run.request_id]
        for i, r in enumerate(rows):
            lt = r["logtype"]
            if lt == wf.LT_TRANSFER:
                kinds["h"] += 1
                nxt = next(x for x in rows[i + 1 :] if x["nodeid"] == r["nodeid"])
                assert nxt["operator"] == r["receivedPersonids"] != r["operator"]
                assert oa[nxt["operator"]].role == oa[r["operator"]].role
            elif lt == wf.LT_CONSULT:
                kinds["a"] += 1
                reply = rows[i + 1]
                assert reply["logtype"] == wf.LT_CONSULT_REPLY
                assert reply["operator"] == r["receivedPersonids"]
                assert rows[i + 2]["operator"] == r["operator"]  # then the approver decides
            elif lt == wf.LT_APPROVE and r["remarkHtml"] == wf.AUTO_REMARK:
                kinds["auto"] += 1
                prev = rows[i - 1]
                assert prev["_when"] == r["_when"]
                assert prev["destnodeid"] == r["nodeid"]
                # the same person approved the node before (alone, or inside a countersign)
                before = [
                    x["operator"]
                    for x in rows[:i]
                    if x["nodeid"] == prev["nodeid"] and x["logtype"] == wf.LT_APPROVE
                ]
                assert r["operator"] in before
                kinds["auto_after_group"] += prev["isbranche"] == "1"
    n = len(runs)
    assert 0.01 < kinds["h"] / n < 0.03
    assert 0.01 < kinds["a"] / n < 0.03
    assert kinds["auto"] > 0
    assert kinds["auto_after_group"] > 0


def test_working_hours(world):
    _org, _ctx, runs, logs, _state = world
    human = outside = 0
    for *_x, run in runs:
        rows = logs[run.request_id]
        for prev, r in itertools.pairwise(rows):
            t = r["_when"]
            if t == prev["_when"] or r["logtype"] == wf.LT_CC:
                continue  # system actions (auto-approval, cc) follow the action before
            human += 1
            if not _in_office(t):
                outside += 1
                assert _after_hours(t), (run.request_id, r)
    assert 0.04 < outside / human < 0.10


def test_waits_slow_node_and_person(world):
    org, _ctx, runs, logs, _state = world
    slow = {org.person(p).oa_id for p in range(len(org.people)) if org.person(p).slow}
    waits = defaultdict(list)
    for *_x, run in runs:
        rows = logs[run.request_id]
        for prev, r in itertools.pairwise(rows):
            if r["logtype"] != wf.LT_APPROVE or r["remarkHtml"] == wf.AUTO_REMARK:
                continue
            if (
                prev["logtype"] not in (wf.LT_APPROVE, wf.LT_SUBMIT)
                or prev["destnodeid"] != r["nodeid"]
            ):
                continue
            w = wc.working_seconds_between(prev["_when"], r["_when"])
            key = "slow" if r["operator"] in slow else r["nodename"]
            waits[key].append(w)
    med = {k: float(np.median(v)) for k, v in waits.items() if len(v) > 50}
    assert 1.5 * 3600 < med["直属上级审批"] < 5 * 3600
    assert med["财务审核"] > 2 * med["直属上级审批"]
    assert med["slow"] > 3 * med["直属上级审批"]


def test_operators(world):
    _org, ctx, runs, _logs, _state = world
    rows = ctx.tl("oa", "workflow_request_operators").rows
    put, done, deleted = {}, set(), set()
    for oid, t, _seq, op, v in rows:
        if op == "D":
            deleted.add(oid)
        elif "requestId" in v:
            put[oid] = (t, v)
        else:
            assert v["isremark"] == "2"
            assert t >= put[oid][0]
            done.add(oid)
    drafts = {r.request_id for *_x, r in runs if r.outcome == "draft"}
    for oid, (_t, v) in put.items():
        if v["isremark"] == "8":  # cc
            continue
        assert (oid in done) != (oid in deleted) or v["requestId"] in drafts, v
    groups = defaultdict(set)
    for _t, v in put.values():
        groups[v["requestId"]].add(int(v["groupid"]))
    assert all(min(g) == 1 for g in groups.values())


def test_deterministic():
    def rows(seed):
        _org, ctx, _runs = _build(seed, days=40)
        return {k: [(r[0], r[1], r[3], r[4]) for r in tl.rows] for k, tl in ctx.timelines.items()}

    a, b = rows(11), rows(11)
    assert a == b
    assert rows(12) != a


def test_fast_working_time_matches_workcal():
    rng = np.random.default_rng(0)
    for _ in range(3000):
        t = int(rng.integers(START * wc.DAY, (START + 700) * wc.DAY))
        s = int(rng.choice([0, int(rng.integers(0, 3600)), int(rng.integers(0, 40 * 28800))]))
        got = wf._add_ws(t, s)
        ref = wc.add_working_seconds(t, s)
        assert wc.to_working_moment(got) == wc.to_working_moment(ref)
        assert wc.working_seconds_between(t, got) == s
        assert _in_office(got)


def test_independent_of_chunking():
    """A fresh ctx per day gives the same rows as one ctx reused across days."""
    org = Org(seed=1, scale=0.01, start_day=START)
    cfg = WorldConfig(1, 0.01, START)
    shared = Ctx(cfg=cfg, org=org)
    fresh_rows: dict = defaultdict(list)
    for day in range(START, START + 10):
        fresh = Ctx(cfg=cfg, org=org)
        for c in (shared, fresh):
            c.day, c.counters, c.rng = day, {}, np.random.default_rng([5, day])
            for k, wf_type in enumerate(WORKFLOWS):
                t = day * wc.DAY + 10 * 3600 + k * 60
                wf.run_workflow(c, wf_type, org.sales[k], t, {"htlx": "非标"}, request_name="x")
        for key, tl in fresh.timelines.items():
            fresh_rows[key].extend((r[0], r[1], r[3], r[4]) for r in tl.rows)
    for key, tl in shared.timelines.items():
        assert [(r[0], r[1], r[3], r[4]) for r in tl.rows] == fresh_rows[key]
