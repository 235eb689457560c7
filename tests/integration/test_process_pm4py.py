"""Process-efficiency marts against PM4Py, and working hours against hand-computed cases.

Several event logs (CSV and XES; start/complete lifecycle pairs, completes only, a start
column, parallel activities, rework loops, mixed observed and missing starts, fractions of a
second) are imported with ``zhongtai import eventlog``'s importer into a copy of the session
warehouse's landing zone (an extracted scale-0.01 world) and the process marts are built on
top. Then, in calendar time, each case's throughput must equal PM4Py's
``get_all_case_durations`` and each directly-follows edge's count, mean and median must equal
PM4Py's performance DFG, within one second (docs/decisions.md "PM4Py agreement").

PM4Py is AGPL and a test-only dependency: only this module imports it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from extractors.eventlog import import_eventlog, synthetic_log, write_csv, write_xes
from extractors.settings import ExtractSettings

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("warehouse")]

CST = dt.timezone(dt.timedelta(hours=8))
TOLERANCE_S = 1.0
PROCESS_SELECT = "+path:models/marts/process path:tests/process"


# -- generated logs ---------------------------------------------------------------------------
def _stamp(t: dt.datetime) -> str:
    return t.astimezone(CST).isoformat(timespec="milliseconds")


def rework_parallel_log(n_cases: int = 120, seed: int = 3) -> pa.Table:
    """Cases with a parallel pair of activities (overlapping intervals), a rework loop in about
    a third of the cases, starts logged for about 80 % of the activity instances (the rest
    are completes only) and millisecond timestamps; XES column names, sorted by case and time."""
    rng = np.random.default_rng(seed)
    people = ("张伟", "王芳", "李娜", "刘洋", "陈静")
    rows: list[tuple] = []
    base = dt.datetime(2025, 3, 3, 9, 0, tzinfo=CST)

    def instance(case: str, act: str, ready: dt.datetime, out: list) -> dt.datetime:
        wait = 120 + rng.lognormal(math.log(2 * 3600), 1.0)
        work = 30 + rng.lognormal(math.log(15 * 60), 0.7)
        start = ready + dt.timedelta(seconds=round(wait, 3))
        end = start + dt.timedelta(seconds=round(work, 3))
        who = people[int(rng.integers(len(people)))]
        if rng.random() < 0.8:
            out.append((case, act, start, who, "start"))
        out.append((case, act, end, who, "complete"))
        return end

    for c in range(1, n_cases + 1):
        case = f"R{c}"
        events: list[tuple] = []
        t = base + dt.timedelta(seconds=int(rng.integers(0, 150 * 86_400)))
        t = instance(case, "登记", t, events)
        for _ in range(1 + int(rng.random() < 0.35)):
            t = instance(case, "初审", t, events)
            t = max(instance(case, "法务会签", t, events), instance(case, "财务会签", t, events))
            t = instance(case, "复审", t, events)
        instance(case, "归档", t, events)
        events.sort(key=lambda e: e[2])
        rows.extend(events)
    return pa.table(
        {
            "case:concept:name": [r[0] for r in rows],
            "concept:name": [r[1] for r in rows],
            "time:timestamp": [_stamp(r[2]) for r in rows],
            "org:resource": [r[3] for r in rows],
            "lifecycle:transition": [r[4] for r in rows],
        }
    )


def interval_log(n_cases: int = 80, seed: int = 5) -> pa.Table:
    """One row per activity instance with a ``start_timestamp`` column (some left empty),
    naive Asia/Shanghai times, no lifecycle column."""
    rng = np.random.default_rng(seed)
    acts = ("受理", "审核", "批准", "办结")
    rows: list[tuple] = []
    base = dt.datetime(2024, 9, 2, 9, 0, tzinfo=CST)
    for c in range(1, n_cases + 1):
        t = base + dt.timedelta(seconds=int(rng.integers(0, 120 * 86_400)))
        for a in acts:
            start = t + dt.timedelta(seconds=int(300 + rng.lognormal(math.log(4 * 3600), 1.2)))
            end = start + dt.timedelta(seconds=int(60 + rng.lognormal(math.log(1800), 0.6)))
            fmt = "%Y-%m-%d %H:%M:%S"
            shown = "" if rng.random() < 0.15 else start.strftime(fmt)
            rows.append((f"I{c}", a, shown, end.strftime(fmt), f"U{int(rng.integers(1, 6))}"))
            t = end
    return pa.table(
        {
            "case:concept:name": [r[0] for r in rows],
            "concept:name": [r[1] for r in rows],
            "start_timestamp": [r[2] for r in rows],
            "time:timestamp": [r[3] for r in rows],
            "org:resource": [r[4] for r in rows],
        }
    )


# Working hours by hand (09:00–12:00 and 13:00–18:00; 2025 National Day 10-01..10-08 off with
# make-up workdays Sun 09-28 and Sat 10-11; Labour Day 05-01..05-05 off, make-up Sun 04-27):
# case → (start, complete, expected working seconds).
WORKING_CASES = {
    "W1": ("2025-03-07 16:00:00", "2025-03-10 10:30:00", 2 * 3600 + 1800 + 3600),  # weekend
    "W2": ("2025-09-27 10:00:00", "2025-09-28 11:00:00", 2 * 3600),  # rest day → make-up Sunday
    "W3": ("2025-09-30 17:00:00", "2025-10-09 09:30:00", 5400),  # over National Day
    "W4": ("2025-09-26 17:30:00", "2025-10-13 12:30:00", 185_400),  # both make-up days
    "W5": ("2025-03-10 11:30:00", "2025-03-10 20:00:00", 19_800),  # lunch and evening
    "W6": ("2025-10-02 10:00:00", "2025-10-03 15:00:00", 0),  # inside the holiday
    "W7": ("2025-04-27 08:00:00", "2025-05-06 08:59:00", 32 * 3600),  # Labour Day, make-up Sunday
}


def working_hours_log() -> pa.Table:
    rows = []
    for case, (start, end, _) in WORKING_CASES.items():
        rows += [(case, "审批", start, "start"), (case, "审批", end, "complete")]
    return pa.table(
        {
            "case:concept:name": [r[0] for r in rows],
            "concept:name": [r[1] for r in rows],
            "time:timestamp": [r[2] for r in rows],
            "org:resource": ["王芳"] * len(rows),
            "lifecycle:transition": [r[3] for r in rows],
        }
    )


@dataclasses.dataclass
class Log:
    name: str
    path: Path
    kind: str  # lifecycle | complete | interval


def write_logs(folder: Path) -> list[Log]:
    folder.mkdir(parents=True, exist_ok=True)
    return [
        Log(
            "pm_lifecycle_csv",
            write_csv(synthetic_log(3000, seed=11), folder / "lc.csv"),
            "lifecycle",
        ),
        Log(
            "pm_complete_xes",
            write_xes(synthetic_log(1500, seed=12, lifecycle=False), folder / "c.xes"),
            "complete",
        ),
        Log("pm_parallel_xes", write_xes(rework_parallel_log(), folder / "par.xes"), "lifecycle"),
        Log("pm_interval_csv", write_csv(interval_log(), folder / "iv.csv"), "interval"),
        Log("工时核对", write_csv(working_hours_log(), folder / "wh.csv"), "lifecycle"),
    ]


# -- PM4Py (the oracle) -----------------------------------------------------------------------
def _pm4py():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pm4py
    return pm4py


def pm4py_frames(log: Log) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The log as PM4Py reads it (for case durations) and in the form its performance DFG
    needs: the log itself when it has completes only, the interval log (one row per activity
    instance with ``start_timestamp``) when it has lifecycle starts or a start column."""
    pm4py = _pm4py()
    from pm4py.objects.log.util import interval_lifecycle

    if log.path.suffix == ".xes":
        raw = pm4py.read_xes(str(log.path), show_progress_bar=False)
    else:
        df = pd.read_csv(log.path, dtype=str, keep_default_na=False)
        if log.kind == "interval":
            df["start_timestamp"] = df["start_timestamp"].where(
                df["start_timestamp"] != "", df["time:timestamp"]
            )
        for col in ("time:timestamp", "start_timestamp"):
            if col in df:  # naive times are Asia/Shanghai, as the importer reads them
                t = pd.to_datetime(df[col], format="ISO8601")
                if t.dt.tz is None:
                    t = t.dt.tz_localize("Asia/Shanghai")
                df[col] = t.dt.tz_convert("UTC")
        raw = pm4py.format_dataframe(df, timestamp_key="time:timestamp")
    if log.kind == "complete":
        return raw, raw
    if log.kind == "interval":
        interval = raw.copy()
        interval.attrs = {}
        # PM4Py's case duration ignores start_timestamp (and raises when the frame declares
        # it): the same log in lifecycle form is what it measures like the importer
        lifecycle = pm4py.convert_to_dataframe(
            interval_lifecycle.to_lifecycle(pm4py.convert_to_event_log(interval))
        )
        return lifecycle, interval
    interval = pm4py.convert_to_dataframe(
        interval_lifecycle.to_interval(pm4py.convert_to_event_log(raw))
    )
    interval.attrs = {}
    return raw, interval


def pm4py_case_durations(raw: pd.DataFrame) -> list[float]:
    pm4py = _pm4py()
    frame = raw.copy()
    frame.attrs = {}
    return sorted(pm4py.get_all_case_durations(frame))


def pm4py_dfg(interval: pd.DataFrame) -> dict[tuple[str, str], tuple[float, ...]]:
    """Edge → (count, mean, median, min, max) in seconds."""
    pm4py = _pm4py()
    perf, _, _ = pm4py.discover_performance_dfg(interval.copy())
    freq, _, _ = pm4py.discover_dfg(interval.copy())
    return {
        k: (int(freq[k]), *(float(v[m]) for m in ("mean", "median", "min", "max")))
        for k, v in perf.items()
    }


# -- the warehouse with the imported logs -----------------------------------------------------
@pytest.fixture(scope="module")
def logs(tmp_path_factory) -> list[Log]:
    return write_logs(tmp_path_factory.mktemp("process_logs"))


@pytest.fixture(scope="module")
def process_warehouse(warehouse, logs, tmp_path_factory) -> Path:
    """The session world's landing zone (copied) with the logs imported, and the process
    marts (with everything upstream and their tests) built on it."""
    from zhongtai.warehouse import run_dbt

    data = tmp_path_factory.mktemp("process_wh")
    shutil.copytree(warehouse.parent / "landing", data / "landing")
    settings = dataclasses.replace(ExtractSettings(), landing=data / "landing")
    for log in logs:
        report = import_eventlog(log.path, log.name, settings)
        assert report.quarantined == 0 and report.unmatched_starts == 0, report
    lines: list[str] = []
    rc = run_dbt(
        ["build", "--select", PROCESS_SELECT, "--indirect-selection", "cautious"],
        data,
        on_line=lines.append,
    )
    assert rc == 0, "dbt build failed:\n" + "\n".join(lines[-80:])
    return data / "warehouse.duckdb"


def query(db: Path, sql: str, *params) -> list[tuple]:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


# -- tests ------------------------------------------------------------------------------------
PM4PY_LOGS = ("pm_lifecycle_csv", "pm_complete_xes", "pm_parallel_xes", "pm_interval_csv")


@pytest.mark.parametrize("name", PM4PY_LOGS)
def test_case_throughput_equals_pm4py(process_warehouse, logs, name):
    log = next(lg for lg in logs if lg.name == name)
    raw, _ = pm4py_frames(log)
    expected = pm4py_case_durations(raw)
    got = [
        r[0]
        for r in query(
            process_warehouse,
            "select throughput_seconds from marts.fct_workflow_instances "
            "where workflow_type = ? and source_system = ? order by 1",
            name,
            f"eventlog:{name}",
        )
    ]
    assert len(got) == len(expected) > 0
    worst = max(abs(a - b) for a, b in zip(got, expected, strict=True))
    assert worst <= TOLERANCE_S, f"{name}: case durations differ by up to {worst:.3f} s"


@pytest.mark.parametrize("name", PM4PY_LOGS)
def test_directly_follows_edges_equal_pm4py_performance_dfg(process_warehouse, logs, name):
    log = next(lg for lg in logs if lg.name == name)
    _, interval = pm4py_frames(log)
    expected = pm4py_dfg(interval)
    got = {
        (r[0], r[1]): r[2:]
        for r in query(
            process_warehouse,
            "select from_node_name, to_node_name, count(*), avg(flow_seconds), "
            "median(flow_seconds), min(flow_seconds), max(flow_seconds) "
            "from marts.fct_workflow_transitions where workflow_type = ? group by all",
            name,
        )
    }
    assert set(got) == set(expected), set(got) ^ set(expected)
    bad = {
        edge: (got[edge], expected[edge])
        for edge in expected
        if got[edge][0] != expected[edge][0]
        or any(
            abs(a - b) > TOLERANCE_S for a, b in zip(got[edge][1:], expected[edge][1:], strict=True)
        )
    }
    assert not bad, f"{name}: (count, mean, median, min, max) ours vs PM4Py: {bad}"
    if name == "pm_parallel_xes":
        # overlapping activities: the next one starts before this one completes, and PM4Py's
        # DataFrame DFG keeps the negative flow time (it does not clip at 0)
        assert min(v[3] for v in expected.values()) < 0


def test_parallel_log_counts_overlap_once(process_warehouse):
    """The parallel pair overlaps: the instance's delay (overlap counted once) equals the
    union of its tasks' intervals, never the sum."""
    rows = query(
        process_warehouse,
        """
        select
            i.workflow_instance_id,
            i.delay_working_hours,
            i.waiting_working_hours_total,
            bool_or(v.is_parallel) as has_parallel
        from marts.fct_workflow_instances as i
        join marts.fct_workflow_node_visits as v using (workflow_instance_id)
        where i.workflow_type = 'pm_parallel_xes'
        group by all
        """,
    )
    assert rows
    assert all(delay <= total + 1e-6 for _, delay, total, _ in rows)
    assert any(par and delay < total - 1e-6 for _, delay, total, par in rows)


def test_working_hours_by_hand(process_warehouse):
    """Weekend, lunch and evening, a public holiday and make-up workdays, end to end: the
    imported start/complete pairs land as node visits whose working time is hand-computed."""
    got = dict(
        query(
            process_warehouse,
            "select i.request_name, v.waiting_working_seconds "
            "from marts.fct_workflow_node_visits as v "
            "join marts.fct_workflow_instances as i using (workflow_instance_id) "
            "where i.workflow_type = '工时核对'",
        )
    )
    expected = {case: float(ws) for case, (_, _, ws) in WORKING_CASES.items()}
    assert got == pytest.approx(expected, abs=1e-6)
    # the throughput of a one-activity case is that activity, start to completion
    tp = dict(
        query(
            process_warehouse,
            "select request_name, throughput_working_seconds from marts.fct_workflow_instances "
            "where workflow_type = '工时核对'",
        )
    )
    assert tp == pytest.approx(expected, abs=1e-6)
    # W4 spans National Day: 16 calendar days and a half, 51.5 working hours
    (w4,) = query(
        process_warehouse,
        "select throughput_calendar_hours, throughput_working_hours from "
        "marts.fct_workflow_instances where workflow_type = '工时核对' and request_name = 'W4'",
    )
    assert w4 == pytest.approx((403.0, 51.5))


def test_oa_and_expense_share_the_model_family(process_warehouse):
    """One family for all three sources; OA transitions follow returns backwards."""
    sources = {
        r[0]: r[1]
        for r in query(
            process_warehouse,
            "select case when source_system like 'eventlog:%' then 'eventlog' "
            "else source_system end, count(*) from marts.fct_workflow_instances group by 1",
        )
    }
    assert set(sources) == {"oa", "expense", "eventlog"}
    (back,) = query(
        process_warehouse,
        "select count(*) from marts.fct_workflow_transitions where source_system = 'oa' "
        "and direction = 'backward' and from_action in ('return', 'reject')",
    )
    assert back[0] > 0
