"""`import_eventlog`: CSV, XES and XES.gz logs land in the OA workflow tables.

Expected values are computed by hand from the small logs written here (PM4Py will become the
oracle for the marts built on these tables): case start/end, every activity instance's start
and completion, start/complete pairing, Asia/Shanghai times, quarantine, idempotent re-import,
and that the XES reader streams.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import tracemalloc
from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from extractors.eventlog import (
    EventLogError,
    import_eventlog,
    pipeline_name,
    synthetic_log,
    write_csv,
    write_xes,
)
from extractors.eventlog.read import detect, read_batches
from extractors.settings import ExtractSettings

UTC = dt.UTC
CST = dt.timezone(dt.timedelta(hours=8))
ENTITIES = ("workflow_requests", "workflow_request_logs", "workflow_request_operators")
XES_COLUMNS = {
    "case": "case:concept:name",
    "activity": "concept:name",
    "timestamp": "time:timestamp",
    "resource": "org:resource",
    "group": "org:group",
    "lifecycle": "lifecycle:transition",
    "start": "start_timestamp",
}


@pytest.fixture
def settings(tmp_path) -> ExtractSettings:
    return dataclasses.replace(ExtractSettings(), landing=tmp_path / "landing")


def landed(settings: ExtractSettings, entity: str) -> list[dict]:
    folder = settings.landing / "oa" / entity
    return ds.dataset(sorted(folder.glob("*.parquet")), format="parquet").to_table().to_pylist()


def latest(settings: ExtractSettings, entity: str) -> dict[str, dict]:
    """Staging's view: the latest version per key, load metadata dropped."""
    out: dict[str, dict] = {}
    key = "requestId" if entity == "workflow_requests" else "id"
    for r in sorted(landed(settings, entity), key=lambda r: r["_extracted_at"]):
        out[r[key]] = {k: v for k, v in r.items() if k not in ("_extracted_at", "_dlt_load_id")}
    return out


def quarantined(settings: ExtractSettings) -> list[dict]:
    files = sorted((settings.landing / "_quarantine").glob("*.parquet"))
    return [r for f in files for r in pq.read_table(f).to_pylist()]


def ops_by_id(settings) -> dict[str, tuple[str, str, str, str]]:
    """id → (receive date+time, operate date+time) as Asia/Shanghai strings."""
    return {
        k: (f"{r['receivedate']} {r['receivetime']}", f"{r['operatedate']} {r['operatetime']}")
        for k, r in latest(settings, "workflow_request_operators").items()
    }


# -- CSV with the XES column names -----------------------------------------------------------
CSV_LOG = """\
case:concept:name,concept:name,time:timestamp,org:resource,org:group,lifecycle:transition
R1,提交,2024-03-01 09:00:00,张伟,销售部,complete
R1,审批,2024-03-01 09:30:00,王芳,,schedule
R1,审批,2024-03-01 11:15:30,王芳,财务部,complete
R1,归档,2024-03-04 10:00:00,李娜,总经办,
R2,提交,2024-03-02T01:00:00Z,刘洋,销售部,complete
,审批,2024-03-02 10:00:00,王芳,财务部,complete
R2,,2024-03-02 10:00:00,王芳,财务部,complete
R2,审批,yesterday,王芳,财务部,complete
R2,审批,,王芳,财务部,complete
R2,审批,2024-03-02 12:00:00+08:00,王芳,财务部,complete
"""


def test_csv_with_xes_names(tmp_path, settings):
    path = tmp_path / "log.csv"
    path.write_text(CSV_LOG, encoding="utf-8")
    report = import_eventlog(path, "采购审批", settings)

    assert (report.format, report.encoding, report.delimiter) == ("csv", "utf-8", ",")
    assert report.events == 10
    assert report.cases == 2
    assert report.activity_instances == 5
    assert report.ignored == {"schedule": 1}
    assert report.quarantined == 4
    assert report.landed == {
        "workflow_requests": 2,
        "workflow_request_logs": 5,
        "workflow_request_operators": 5,
    }

    req = latest(settings, "workflow_requests")
    r1 = req["el:采购审批:R1"]
    assert r1["requestName"] == "R1"
    assert r1["sysName"] == "eventlog:采购审批"
    assert r1["workflowBaseInfo.workflowName"] == "采购审批"
    assert r1["workflowBaseInfo.workflowId"] == "eventlog:采购审批"
    assert r1["status"] == "归档"
    assert (r1["creatorId"], r1["creatorName"]) == ("张伟", "张伟")
    assert (r1["lastOperatorId"], r1["currentNodeName"]) == ("李娜", "归档")
    # naive times are Asia/Shanghai: 09:00 CST = 01:00 UTC
    assert r1["createTime"] == dt.datetime(2024, 3, 1, 1, 0, tzinfo=UTC)
    assert r1["lastOperateTime"] == dt.datetime(2024, 3, 4, 2, 0, tzinfo=UTC)
    r2 = req["el:采购审批:R2"]
    assert r2["createTime"] == dt.datetime(2024, 3, 2, 1, 0, tzinfo=UTC)
    assert r2["lastOperateTime"] == dt.datetime(2024, 3, 2, 4, 0, tzinfo=UTC)

    logs = latest(settings, "workflow_request_logs")
    assert sorted(logs) == [
        "el:采购审批:R1:1",
        "el:采购审批:R1:2",
        "el:采购审批:R1:3",
        "el:采购审批:R2:1",
        "el:采购审批:R2:2",
    ]
    log = logs["el:采购审批:R1:2"]
    assert (log["requestId"], log["nodename"], log["nodeid"]) == (
        "el:采购审批:R1",
        "审批",
        "el:采购审批:审批",
    )
    assert (log["operator"], log["operatorName"], log["operatorDept"]) == ("王芳", "王芳", "财务部")
    assert (log["operatedate"], log["operatetime"], log["logtype"]) == (
        dt.date(2024, 3, 1),
        "11:15:30",
        "0",
    )
    assert logs["el:采购审批:R1:3"]["operatorDept"] == "总经办"  # empty lifecycle = complete
    # 01:00Z is 09:00 in Shanghai
    assert (logs["el:采购审批:R2:1"]["operatedate"], logs["el:采购审批:R2:1"]["operatetime"]) == (
        dt.date(2024, 3, 2),
        "09:00:00",
    )

    # no starts: received at the case's previous completion, the first at its own
    assert ops_by_id(settings) == {
        "el:采购审批:R1:1": ("2024-03-01 09:00:00", "2024-03-01 09:00:00"),
        "el:采购审批:R1:2": ("2024-03-01 09:00:00", "2024-03-01 11:15:30"),
        "el:采购审批:R1:3": ("2024-03-01 11:15:30", "2024-03-04 10:00:00"),
        "el:采购审批:R2:1": ("2024-03-02 09:00:00", "2024-03-02 09:00:00"),
        "el:采购审批:R2:2": ("2024-03-02 09:00:00", "2024-03-02 12:00:00"),
    }
    op = latest(settings, "workflow_request_operators")["el:采购审批:R1:2"]
    assert (op["isremark"], op["groupid"], op["userid"]) == ("2", "2", "王芳")

    bad = {r["record_key"]: r for r in quarantined(settings)}
    assert {k: (r["field"], r["reason"].split(" (")[0]) for k, r in bad.items()} == {
        "log.csv#7": ("case:concept:name", "missing case id"),
        "log.csv#8": ("concept:name", "missing activity"),
        "log.csv#9": ("time:timestamp", "unparseable timestamp"),
        "log.csv#10": ("time:timestamp", "missing timestamp"),
    }
    assert all(r["system"] == "eventlog:采购审批" and r["entity"] == "events" for r in bad.values())
    assert "log.csv, row 9" in bad["log.csv#9"]["reason"]
    assert bad["log.csv#9"]["value"] == "yesterday"
    assert '"row": 9' in bad["log.csv#9"]["record"]


# -- XES with start/complete pairs -----------------------------------------------------------
XES_LOG = """\
<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1849-2016" xmlns="http://www.xes-standard.org/">
  <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
  <global scope="event"><string key="concept:name" value="__INVALID__"/></global>
  <string key="concept:name" value="the log's own name"/>
  <trace>
    <string key="concept:name" value="c1"/>
    <event><string key="concept:name" value="A"/><string key="org:resource" value="ann"/>
      <string key="lifecycle:transition" value="start"/>
      <date key="time:timestamp" value="2024-03-01T08:00:00.000+01:00"/></event>
    <event><string key="concept:name" value="A"/><string key="org:resource" value="ann"/>
      <string key="org:group" value="sales"/>
      <string key="lifecycle:transition" value="complete"/>
      <date key="time:timestamp" value="2024-03-01T08:30:00.000+01:00"/></event>
    <event><string key="concept:name" value="B"/>
      <string key="lifecycle:transition" value="schedule"/>
      <date key="time:timestamp" value="2024-03-01T08:31:00.000+01:00"/></event>
    <event><string key="concept:name" value="B"/><string key="lifecycle:transition" value="start"/>
      <date key="time:timestamp" value="2024-03-01T09:00:00.000+01:00"/></event>
    <event><string key="concept:name" value="B"/><string key="lifecycle:transition" value="start"/>
      <date key="time:timestamp" value="2024-03-01T09:10:00.000+01:00"/></event>
    <event><string key="concept:name" value="B"/><string key="org:resource" value="bob"/>
      <string key="lifecycle:transition" value="complete"/>
      <date key="time:timestamp" value="2024-03-01T09:20:00.000+01:00"/></event>
    <event><string key="concept:name" value="B"/><string key="org:resource" value="cat"/>
      <string key="lifecycle:transition" value="COMPLETE"/>
      <date key="time:timestamp" value="2024-03-01T09:40:00.000+01:00"/></event>
    <event><string key="concept:name" value="C"/><string key="org:resource" value="dan"/>
      <string key="lifecycle:transition" value="complete"/>
      <date key="time:timestamp" value="2024-03-01T10:00:00.000+01:00"/>
      <int key="cost" value="12"/><boolean key="urgent" value="true"/></event>
    <event><string key="concept:name" value="D"/><string key="lifecycle:transition" value="start"/>
      <date key="time:timestamp" value="2024-03-01T10:30:00.000+01:00"/></event>
  </trace>
  <trace>
    <string key="concept:name" value="c2"/>
    <event><string key="concept:name" value="A"/><string key="org:resource" value="ann"/>
      <date key="time:timestamp" value="2024-03-01T23:30:00Z"/></event>
    <event><string key="concept:name" value="B"/><string key="lifecycle:transition" value="start"/>
      <date key="time:timestamp" value="2024-03-02T01:00:00.250Z"/></event>
    <event><string key="org:resource" value="nobody"/>
      <date key="time:timestamp" value="2024-03-02T01:30:00Z"/></event>
    <event><string key="concept:name" value="B"/><string key="org:resource" value="bob"/>
      <string key="lifecycle:transition" value="complete"/>
      <date key="time:timestamp" value="2024-03-02T02:00:00.750Z"/></event>
  </trace>
  <trace>
    <event><string key="concept:name" value="A"/>
      <date key="time:timestamp" value="2024-03-05T10:00:00Z"/></event>
  </trace>
</log>
"""


def _check_xes_landing(settings, report, file: str):
    assert report.format == "xes"
    assert report.events == 14
    assert report.cases == 2
    assert report.activity_instances == 6
    assert report.observed_starts == 4
    assert report.unmatched_starts == 1  # D never completed
    assert report.ignored == {"schedule": 1}
    assert report.quarantined == 2
    assert report.absent_columns == ["start_timestamp"]
    assert report.first_event == dt.datetime(2024, 3, 1, 7, 0, tzinfo=UTC)
    # FIFO pairing: B's first start with its first complete; C without a start is received
    # at the previous completion; times from +01:00 / Z into Asia/Shanghai, fractions cut
    assert ops_by_id(settings) == {
        "el:p:c1:1": ("2024-03-01 15:00:00", "2024-03-01 15:30:00"),
        "el:p:c1:2": ("2024-03-01 16:00:00", "2024-03-01 16:20:00"),
        "el:p:c1:3": ("2024-03-01 16:10:00", "2024-03-01 16:40:00"),
        "el:p:c1:4": ("2024-03-01 16:40:00", "2024-03-01 17:00:00"),
        "el:p:c2:1": ("2024-03-02 07:30:00", "2024-03-02 07:30:00"),
        "el:p:c2:2": ("2024-03-02 09:00:00", "2024-03-02 10:00:00"),
    }
    ops = latest(settings, "workflow_request_operators")
    assert [ops[f"el:p:c1:{i}"]["userid"] for i in (1, 2, 3, 4)] == ["ann", "bob", "cat", "dan"]
    req = latest(settings, "workflow_requests")
    assert req["el:p:c1"]["createTime"] == dt.datetime(2024, 3, 1, 7, 0, tzinfo=UTC)
    assert req["el:p:c1"]["lastOperateTime"] == dt.datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
    assert req["el:p:c1"]["lastOperatorName"] == "dan"
    assert req["el:p:c2"]["createTime"] == dt.datetime(2024, 3, 1, 23, 30, tzinfo=UTC)
    assert req["el:p:c2"]["lastOperateTime"] == dt.datetime(2024, 3, 2, 2, 0, 0, 750000, tzinfo=UTC)
    assert latest(settings, "workflow_request_logs")["el:p:c1:1"]["operatorDept"] == "sales"
    reasons = {r["record_key"]: r["reason"] for r in quarantined(settings)}
    assert reasons == {
        f"{file}#12": f"missing activity ({file}, event 12 (trace 2))",
        f"{file}#14": f"missing case id ({file}, event 14 (trace 3))",
    }


def test_xes_with_lifecycle_pairs(tmp_path, settings):
    path = tmp_path / "log.xes"
    path.write_text(XES_LOG, encoding="utf-8")
    report = import_eventlog(path, "p", settings)
    _check_xes_landing(settings, report, "log.xes")


def test_xes_gz_lands_the_same(tmp_path, settings):
    path = tmp_path / "log.xes.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write(XES_LOG)
    report = import_eventlog(path, "p", settings)
    _check_xes_landing(settings, report, "log.xes.gz")


def test_missing_start_complete_is_pm4py_convention(tmp_path, settings):
    path = tmp_path / "log.xes"
    path.write_text(XES_LOG, encoding="utf-8")
    import_eventlog(path, "p", settings, missing_start="complete")
    ops = ops_by_id(settings)
    assert ops["el:p:c1:4"] == ("2024-03-01 17:00:00", "2024-03-01 17:00:00")
    assert ops["el:p:c1:2"] == ("2024-03-01 16:00:00", "2024-03-01 16:20:00")


# -- custom column names, start column, other delimiters and encodings -----------------------
def test_custom_columns_with_a_start_column(tmp_path, settings):
    path = tmp_path / "export.csv"
    path.write_text(
        "单号;节点;开始时间;完成时间;处理人;部门\n"
        "HT-1;部门审批;2024-05-06 09:00;2024-05-06 10:30;王芳;财务部\n"
        "HT-1;总经理审批;;2024/5/7 8:05:09;李娜;总经办\n"
        "HT-1;盖章;2024-05-07 09:00:00;2024-05-07 08:00:00;赵敏;行政部\n"
        "HT-1;盖章;2024-05-07 09:00:00;2024-05-07 11:00:00;赵敏;行政部\n",
        encoding="utf-8-sig",
    )
    report = import_eventlog(
        path,
        "合同",
        settings,
        case_col="单号",
        activity_col="节点",
        timestamp_col="完成时间",
        resource_col="处理人",
        group_col="部门",
        lifecycle_col=None,
        start_col="开始时间",
    )
    assert (report.encoding, report.delimiter) == ("utf-8", ";")
    assert report.absent_columns == []
    assert (report.cases, report.activity_instances, report.observed_starts) == (1, 3, 2)
    assert ops_by_id(settings) == {
        "el:合同:HT-1:1": ("2024-05-06 09:00:00", "2024-05-06 10:30:00"),
        "el:合同:HT-1:2": ("2024-05-06 10:30:00", "2024-05-07 08:05:09"),
        "el:合同:HT-1:3": ("2024-05-07 09:00:00", "2024-05-07 11:00:00"),
    }
    [bad] = quarantined(settings)
    assert (bad["record_key"], bad["field"]) == ("export.csv#4", "开始时间")
    assert bad["reason"].startswith("start timestamp after the completion")
    logs = latest(settings, "workflow_request_logs")
    assert logs["el:合同:HT-1:2"]["operatorDept"] == "总经办"


def test_gbk_csv(tmp_path, settings):
    path = tmp_path / "gbk.csv"
    path.write_bytes(
        (
            "case:concept:name\tconcept:name\ttime:timestamp\torg:resource\n"
            "报销-01\t提交\t2024-06-03 09:00:00\t张伟\n"
            "报销-01\t财务审核\t2024-06-04 14:00:00\t陈静\n"
        ).encode("gbk")
    )
    report = import_eventlog(path, "费用报销", settings)
    assert (report.encoding, report.delimiter) == ("gb18030", "\t")
    assert report.absent_columns == ["org:group", "lifecycle:transition", "start_timestamp"]
    logs = latest(settings, "workflow_request_logs")
    assert {(r["requestId"], r["nodename"], r["operator"]) for r in logs.values()} == {
        ("el:费用报销:报销-01", "提交", "张伟"),
        ("el:费用报销:报销-01", "财务审核", "陈静"),
    }
    assert ops_by_id(settings)["el:费用报销:报销-01:2"] == (
        "2024-06-03 09:00:00",
        "2024-06-04 14:00:00",
    )


# -- re-import, formats agree, durations -----------------------------------------------------
def test_reimport_is_idempotent_and_leaves_the_oa_pipeline_alone(tmp_path, settings):
    path = write_csv(synthetic_log(400, seed=3), tmp_path / "log.csv")
    seen: dict[str, tuple] = {}
    first = import_eventlog(
        path,
        "demo",
        settings,
        progress=lambda label, done, total: seen.update({label: (done, total)}),
    )
    assert seen == {
        "eventlog/demo": (400, None),
        "eventlog/workflow_requests": (40, 40),
        "eventlog/workflow_request_logs": (200, 200),
        "eventlog/workflow_request_operators": (200, 200),
    }
    before = {e: latest(settings, e) for e in ENTITIES}
    second = import_eventlog(path, "demo", settings)
    after = {e: latest(settings, e) for e in ENTITIES}
    assert first.landed == second.landed
    for e in ENTITIES:
        assert len(landed(settings, e)) == 2 * len(before[e])  # the change log keeps both
        assert after[e] == before[e]  # staging's latest-per-key sees one import
    pipelines = sorted(p.name for p in (settings.landing / "_dlt").iterdir())
    assert pipelines == [pipeline_name("demo")] == ["zhongtai_eventlog_demo"]


def test_csv_and_xes_agree_with_the_source_durations(tmp_path):
    table = synthetic_log(2_000, seed=5)
    csv_s = ExtractSettings(landing=tmp_path / "a")
    xes_s = ExtractSettings(landing=tmp_path / "b")
    import_eventlog(write_csv(table, tmp_path / "log.csv"), "demo", csv_s)
    import_eventlog(write_xes(table, tmp_path / "log.xes.gz"), "demo", xes_s)
    for e in ENTITIES:
        assert latest(csv_s, e) == latest(xes_s, e)

    # service time of every activity instance = its complete − its start in the source
    src = table.to_pylist()
    expected = {}
    pending = {}
    for r in src:
        t = dt.datetime.fromisoformat(r["time:timestamp"])
        k = (r["case:concept:name"], r["concept:name"])
        if r["lifecycle:transition"] == "start":
            pending[k] = t
        else:
            expected.setdefault(r["case:concept:name"], []).append((pending.pop(k), t))
    got: dict[str, list] = {}
    for r in latest(csv_s, "workflow_request_operators").values():

        def at(d, t):
            return dt.datetime.fromisoformat(f"{d}T{t}+08:00")

        got.setdefault(r["requestId"].split(":")[2], []).append(
            (
                int(r["groupid"]),
                at(r["receivedate"], r["receivetime"]),
                at(r["operatedate"], r["operatetime"]),
            )
        )
    assert {c: [(s, e) for _, s, e in sorted(v)] for c, v in got.items()} == expected
    # case throughput = last completion − first start
    for rid, r in latest(csv_s, "workflow_requests").items():
        spans = expected[rid.split(":")[2]]
        assert r["lastOperateTime"] - r["createTime"] == spans[-1][1] - spans[0][0]


# -- streaming and errors --------------------------------------------------------------------
def test_xes_reader_streams(tmp_path):
    path = write_xes(synthetic_log(100_000, seed=1), tmp_path / "big.xes")
    assert path.stat().st_size > 25_000_000
    tracemalloc.start()
    try:
        n = sum(b.num_rows for b in read_batches(detect(path, XES_COLUMNS), batch_rows=1_000))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert n == 100_000
    # a parsed tree of this file takes ~350 MB; the stream holds one trace and one batch
    assert peak < 5_000_000, f"peak {peak / 1e6:.1f} MB while reading"


@pytest.mark.parametrize(
    ("content", "kwargs", "needle"),
    [
        ("a,b\n1,2\n", {}, "no column 'case:concept:name', 'concept:name', 'time:timestamp'"),
        (
            "case,act,ts\n1,x,2024-01-01\n",
            {"case_col": "case", "activity_col": "act"},
            "the file's columns are 'case', 'act', 'ts'",
        ),
        ("", {}, "is empty"),
    ],
)
def test_unusable_files_are_explained(tmp_path, settings, content, kwargs, needle):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(EventLogError, match=needle.replace("(", r"\(")):
        import_eventlog(path, "x", settings, **kwargs)


def test_bad_names_and_paths(tmp_path, settings):
    with pytest.raises(EventLogError, match="does not exist"):
        import_eventlog(tmp_path / "none.csv", "x", settings)
    path = tmp_path / "log.csv"
    path.write_text(CSV_LOG, encoding="utf-8")
    with pytest.raises(EventLogError, match="must not contain ':'"):
        import_eventlog(path, "a:b", settings)
    with pytest.raises(EventLogError, match="--name"):
        import_eventlog(path, " ", settings)
    xes = tmp_path / "broken.xes"
    xes.write_text("<log><trace><event></trace></log>", encoding="utf-8")
    with pytest.raises(EventLogError, match="not well-formed XES"):
        import_eventlog(xes, "x", settings)
    assert not Path(settings.landing / "oa").exists()


def test_fifo_pairing_matches_a_queue_per_case_and_activity():
    """The vectorised pairing equals a plain FIFO queue per (case, activity) on random
    interleavings of starts and completes (duplicates, orphans and ties included)."""
    import numpy as np

    from extractors.eventlog.mapping import _pair

    rng = np.random.default_rng(11)
    n = 3_000
    case = rng.integers(0, 40, n)
    act = rng.integers(0, 4, n)
    t = rng.integers(0, 200, n)  # many ties
    row = rng.permutation(n)
    is_start = rng.random(n) < 0.5
    completes, start_of, unmatched = _pair(case, act, t, row, is_start)

    queues: dict[tuple, list[int]] = {}
    expected = {}
    for i in sorted(range(n), key=lambda i: (t[i], row[i])):
        q = queues.setdefault((case[i], act[i]), [])
        if is_start[i]:
            q.append(i)
        else:
            expected[i] = q.pop(0) if q else -1
    assert dict(zip(completes.tolist(), start_of.tolist(), strict=True)) == expected
    assert unmatched == sum(len(q) for q in queues.values())
