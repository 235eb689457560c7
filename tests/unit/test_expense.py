"""Huilianyi expense reports: lifecycle, versions, approval history, volume, determinism."""

from __future__ import annotations

import itertools
import statistics
from collections import defaultdict
from datetime import date
from types import SimpleNamespace

import numpy as np
import pytest

from simulators.world import workcal as wc
from simulators.world.context import Ctx, WorldConfig
from simulators.world.expense import (
    OP_AUDIT,
    OP_PAY,
    OP_REJECT,
    OP_SUBMIT,
    OP_WITHDRAW,
    gen_expense_day,
)
from simulators.world.org import Org

START = wc.day_of_date(date(2024, 1, 1))
DAYS = 365
CUSTOMERS = [SimpleNamespace(name=f"客户{i}") for i in range(30)]

# Allowed status moves (from, to).
ALLOWED = {
    (1001, 1002),
    (1001, 1010),
    (1002, 1001),
    (1002, 1003),
    (1003, 1001),
    (1003, 1004),
    (1004, 1007),
    (1007, 1005),
}


def _generate(days: int = DAYS, customers: list | None = None):
    org = Org(seed=1, scale=0.01, start_day=START)
    cfg = WorldConfig(1, 0.01, START)
    ctx = Ctx(cfg=cfg, org=org, customers=list(customers or []))
    for d in range(START, START + days):
        ctx.day = d
        ctx.rng = np.random.default_rng([1, 15, d])
        ctx.counters = {}
        gen_expense_day(ctx)
    reports = ctx.tl("expense", "expenseReport").to_arrow().to_pylist()
    history = ctx.tl("expense", "approvalHistory").to_arrow().to_pylist()
    return org, reports, history


@pytest.fixture(scope="module")
def world():
    org, reports, history = _generate(customers=CUSTOMERS)
    versions = defaultdict(list)
    for r in reports:
        versions[r["_id"]].append(r)
    for v in versions.values():
        v.sort(key=lambda r: r["_seq"])
    by_oid = defaultdict(list)
    for h in history:
        by_oid[h["expenseReportOID"]].append(h)
    for v in by_oid.values():
        v.sort(key=lambda h: h["id"])
    return org, versions, by_oid


def _state(vs):
    """Materialize a report's versions: the latest non-NULL value per column."""
    out = {}
    for v in vs:
        out.update({k: x for k, x in v.items() if x is not None})
    return out


def test_first_version_is_full_and_versions_increase(world):
    _org, versions, _ = world
    assert len(versions) > 300
    for vs in versions.values():
        first = vs[0]
        assert first["version"] == 1
        assert first["status"] == 1001
        for col in (
            "expenseReportOID",
            "businessCode",
            "applicantOID",
            "departmentOID",
            "departmentPath",
            "formCode",
            "formName",
            "title",
            "totalAmount",
        ):
            assert first[col] is not None, col
        assert first["businessCode"].startswith("ER")
        assert first["businessCode"][2:].isdigit()
        assert first["companyCode"] == "ZT01"
        assert first["currencyCode"] == "CNY"
        assert first["createdDate"] == first["lastModifiedDate"] == first["_t"]
        assert [v["version"] for v in vs] == list(range(1, len(vs) + 1))
        times = [v["_t"] for v in vs]
        assert times == sorted(times)
        assert len(set(times)) == len(times)
        assert all(v["lastModifiedDate"] == v["_t"] for v in vs)
        assert all(v["status"] is not None for v in vs)


def test_status_moves_forward_and_ends_paid_or_deleted(world):
    _org, versions, _ = world
    finals = defaultdict(int)
    for vs in versions.values():
        statuses = [v["status"] for v in vs]
        for a, b in itertools.pairwise(statuses):
            assert (a, b) in ALLOWED, (a, b)
        finals[statuses[-1]] += 1
        if statuses[-1] == 1005:
            assert statuses[-3:] == [1004, 1007, 1005]
    assert set(finals) == {1005, 1010}
    share_deleted = finals[1010] / len(versions)
    assert 0.005 < share_deleted < 0.06


def test_deleted_reports(world):
    _org, versions, by_oid = world
    deleted = [vs for vs in versions.values() if vs[-1]["status"] == 1010]
    assert deleted
    for vs in deleted:
        st = _state(vs)
        assert st.get("realPaymentAmount") is None
        assert 1005 not in [v["status"] for v in vs]
        assert vs[-2]["status"] == 1001  # only drafts (never submitted, rejected, withdrawn)
        ops = [h["operation"] for h in by_oid[st["expenseReportOID"]]]
        assert OP_PAY not in ops
        assert OP_AUDIT not in ops


def test_submission_dates_and_payment(world):
    _org, versions, by_oid = world
    resubmitted = 0
    for vs in versions.values():
        st = _state(vs)
        subs = [v for v in vs if v["status"] == 1002]
        hist = by_oid.get(st["expenseReportOID"], [])
        assert len([h for h in hist if h["operation"] == OP_SUBMIT]) == len(subs)
        if not subs:
            continue
        assert sum(v["firstSubmittedDate"] is not None for v in vs) == 1
        assert st["firstSubmittedDate"] == subs[0]["_t"]
        assert st["lastSubmittedDate"] == subs[-1]["_t"]
        assert [v["lastSubmittedDate"] for v in subs] == [v["_t"] for v in subs]
        resubmitted += len(subs) > 1
        if st["status"] == 1005:
            assert 0 < st["realPaymentAmount"] <= st["totalAmount"]
            assert vs[-1]["realPaymentAmount"] is not None
    assert resubmitted > 10


def test_approval_history_ordered_and_consistent(world):
    org, versions, by_oid = world
    oid_of = {p.expense_oid: p for p in org.people}
    rejects = 0
    for vs in versions.values():
        st = _state(vs)
        hist = by_oid.get(st["expenseReportOID"], [])
        if not hist:
            assert st["status"] == 1010
            continue
        times = [h["createdDate"] for h in hist]
        assert times == sorted(times)
        assert all(h["_t"] == h["createdDate"] for h in hist)
        assert hist[0]["operation"] == OP_SUBMIT
        assert all(h["businessCode"] == st["businessCode"] for h in hist)
        for h in hist:
            person = oid_of[h["operatorOID"]]
            assert h["operatorName"] == person.name
            # Every action happens in office time on a working day (end of a block included).
            day, sec = divmod(h["createdDate"], wc.DAY)
            assert wc.is_workday(day)
            assert any(a <= sec <= b for a, b in wc.WORK_BLOCKS)
            if h["operation"] in (OP_SUBMIT, OP_WITHDRAW):
                assert h["operatorOID"] == st["applicantOID"]
            if h["operation"] in (OP_AUDIT, OP_PAY):
                assert person.role == "finance"
        # After a submission the first leader on that day acts (or the applicant withdraws).
        for a, b in itertools.pairwise(hist):
            if a["operation"] == OP_SUBMIT and b["operation"] != OP_WITHDRAW:
                assert b["approvalNodeName"] == "直属领导审批"
                pid = next(p.pid for p in org.people if p.expense_oid == st["applicantOID"])
                mgr = org.manager_of(pid, wc.day_of(a["createdDate"]))
                assert b["operatorOID"] == org.person(mgr).expense_oid
            if a["operation"] in (OP_REJECT, OP_WITHDRAW):
                rejects += a["operation"] == OP_REJECT
                assert b["operation"] == OP_SUBMIT
        if st["status"] == 1005:
            assert [h["operation"] for h in hist[-2:]] == [OP_AUDIT, OP_PAY]
            assert hist[-1]["createdDate"] == vs[-1]["_t"]
        # Each status patch coincides with the history action that caused it.
        action_times = {h["createdDate"] for h in hist}
        for v in vs[1:]:
            if v["status"] in (1002, 1003, 1004, 1005):
                assert v["_t"] in action_times
    assert rejects > 10


def test_volume_types_and_departments(world):
    org, versions, _ = world
    firsts = [vs[0] for vs in versions.values()]
    by_pid = {p.expense_oid: p for p in org.people}
    sales = [r for r in firsts if by_pid[r["applicantOID"]].role == "sales"]
    per_person_month = len(sales) / len(org.sales) / 12
    assert 1.4 < per_person_month < 2.6
    roles = {by_pid[r["applicantOID"]].role for r in firsts}
    assert {"sales", "manager", "assistant", "marketing", "pm"} <= roles
    assert {r["type"] for r in firsts} == {1001, 1002, 1003}
    assert {r["expenseTypeCode"] for r in firsts} == {
        "TRAVEL",
        "MEALS",
        "VISIT",
        "MARKETING",
        "TRANSPORT",
    }
    for r in firsts:
        assert r["totalAmount"] > 0
        assert round(r["totalAmount"], 2) == r["totalAmount"]
        p = by_pid[r["applicantOID"]]
        dept = org.dept_at(p.pid, wc.day_of(r["createdDate"]))
        assert r["departmentName"] == dept.name
        assert r["departmentPath"].split("|")[0] == "中台生物"
        assert r["departmentPath"].split("|")[-1] == dept.name
        if p.role == "sales":
            assert r["departmentPath"].split("|")[1] == "销售中心"
        if r["type"] == 1002:
            assert r["expenseTypeCode"] == "TRAVEL"
            assert r["formName"] == "差旅报销单"
    travel = [r["totalAmount"] for r in firsts if r["expenseTypeCode"] == "TRAVEL"]
    assert 1000 < statistics.median(travel) < 5000
    names = {c.name for c in CUSTOMERS}
    with_customer = [r for r in firsts if r["customerName"] is not None]
    assert with_customer
    assert all(r["customerName"] in names for r in with_customer)
    assert all(
        r["customerName"]
        for r in firsts
        if r["expenseTypeCode"] == "VISIT"
        and by_pid[r["applicantOID"]].role in ("sales", "manager", "director")
    )


def test_no_customers_means_no_customer_names():
    _org, reports, _ = _generate(days=60)
    assert reports
    assert all(r["customerName"] is None for r in reports)


def test_slow_approver_is_slower(world):
    org, _versions, by_oid = world
    waits: dict[bool, list[int]] = {True: [], False: []}
    for hist in by_oid.values():
        for a, b in itertools.pairwise(hist):
            if a["operation"] == OP_SUBMIT and b["approvalNodeName"] == "直属领导审批":
                who = next(p for p in org.people if p.expense_oid == b["operatorOID"])
                waits[who.slow].append(
                    wc.working_seconds_between(a["createdDate"], b["createdDate"])
                )
    assert len(waits[True]) >= 5
    assert len(waits[False]) >= 50
    assert statistics.median(waits[True]) > 2.5 * statistics.median(waits[False])


def test_deterministic():
    a = _generate(days=40, customers=CUSTOMERS)
    b = _generate(days=40, customers=CUSTOMERS)
    assert a[1] == b[1]
    assert a[2] == b[2]
