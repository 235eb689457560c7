"""Synthetic event logs (CSV, XES, XES.gz) and the import benchmark.

``synthetic_log`` draws cases through a fixed approval route — each activity a ``start`` and
a ``complete`` event (or only the ``complete``), waits and service times lognormal — as an
Arrow table with the XES column names, sorted by case and time. ``write_csv`` and
``write_xes`` write it; ``bench_eventlog`` generates a log, imports it into a scratch landing
zone and returns the seconds the import took.
"""

from __future__ import annotations

import dataclasses
import gzip
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from extractors.settings import ExtractSettings

ROUTE = ("提交申请", "部门经理审批", "财务审核", "总经理审批", "归档")
PEOPLE = ("张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄强")
GROUPS = ("销售部", "财务部", "总经办")
COLUMNS = (
    "case:concept:name",
    "concept:name",
    "time:timestamp",
    "org:resource",
    "org:group",
    "lifecycle:transition",
)


def synthetic_log(n_events: int, *, seed: int = 0, lifecycle: bool = True) -> pa.Table:
    """About ``n_events`` events (whole cases), ISO timestamps with ``+08:00``."""
    rng = np.random.default_rng(seed)
    per_event = 2 if lifecycle else 1
    k = len(ROUTE)
    n_cases = max(1, n_events // (k * per_event))
    base = np.datetime64("2025-01-02T09:00:00", "s").astype(np.int64)
    case_start = base + np.sort(rng.integers(0, 180 * 86_400, n_cases))
    wait = rng.lognormal(np.log(3 * 3600), 1.0, (n_cases, k)).astype(np.int64)
    work = rng.lognormal(np.log(20 * 60), 0.8, (n_cases, k)).astype(np.int64)
    wait[:, 0] = 0
    ends = case_start[:, None] + np.cumsum(wait + work, axis=1)
    starts = ends - work
    who = rng.integers(0, len(PEOPLE), (n_cases, k))
    cases = np.repeat(np.arange(1, n_cases + 1), k * per_event)
    acts = np.tile(np.repeat(np.arange(k), per_event), n_cases)
    if lifecycle:
        times = np.stack([starts, ends], axis=2).reshape(-1)
        life = np.tile(np.array(["start", "complete"]), n_cases * k)
    else:
        times = ends.reshape(-1)
        life = np.full(n_cases * k, "complete")
    res = np.repeat(who.reshape(-1), per_event)
    stamps = pc.strftime(pa.array(times.astype("datetime64[s]")), "%Y-%m-%dT%H:%M:%S")
    return pa.table(
        {
            "case:concept:name": pc.binary_join_element_wise(
                "C", pc.cast(pa.array(cases), pa.string()), ""
            ),
            "concept:name": pa.array(np.array(ROUTE)[acts]),
            "time:timestamp": pc.binary_join_element_wise(stamps, "+08:00", ""),
            "org:resource": pa.array(np.array(PEOPLE)[res]),
            "org:group": pa.array(np.array(GROUPS)[res % len(GROUPS)]),
            "lifecycle:transition": pa.array(life),
        }
    )


def write_csv(
    table: pa.Table, path: Path, *, encoding: str = "utf-8", delimiter: str = ","
) -> Path:
    if encoding.lower().replace("-", "") == "utf8" and delimiter == ",":
        pacsv.write_csv(table, path)
    else:
        import csv

        with path.open("w", encoding=encoding, newline="") as f:
            w = csv.writer(f, delimiter=delimiter)
            w.writerow(table.column_names)
            w.writerows(zip(*(c.to_pylist() for c in table.columns), strict=True))
    return path


def _xes_value_tag(key: str) -> str:
    return "date" if key.startswith("time:") or key.endswith("timestamp") else "string"


def write_xes(table: pa.Table, path: Path, *, case_col: str = "case:concept:name") -> Path:
    """IEEE 1849 XES (gzipped when the name ends in ``.gz``): one trace per case in order of
    first appearance, the other columns as event attributes."""
    opener = gzip.open if path.name.endswith(".gz") else open
    keys = [c for c in table.column_names if c != case_col]
    cols = {c: table[c].to_pylist() for c in table.column_names}
    case_key = case_col.removeprefix("case:")
    with opener(path, "wt", encoding="utf-8") as f:
        f.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<log xes.version="1849-2016" xmlns="http://www.xes-standard.org/">\n'
            '  <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>\n'
            '  <extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>\n'
            '  <extension name="Lifecycle" prefix="lifecycle" uri="http://www.xes-standard.org/lifecycle.xesext"/>\n'
            '  <extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>\n'
        )
        prev = object()
        for i, case in enumerate(cols[case_col]):
            if case != prev:
                if i:
                    f.write("  </trace>\n")
                f.write(
                    f"  <trace>\n    <string key={quoteattr(case_key)} "
                    f"value={quoteattr(str(case))}/>\n"
                )
                prev = case
            attrs = "".join(
                f"      <{_xes_value_tag(k)} key={quoteattr(k)} value={quoteattr(str(v))}/>\n"
                for k in keys
                if (v := cols[k][i]) is not None
            )
            f.write(f"    <event>\n{attrs}    </event>\n")
        if cols[case_col]:
            f.write("  </trace>\n")
        f.write("</log>\n")
    return path


def bench_eventlog(
    n_events: int = 250_000, *, fmt: str = "csv", settings: ExtractSettings | None = None
) -> float:
    """Generate a log of ``n_events`` start/complete events, import it into a scratch landing
    zone and return the import's seconds (generation not counted). ``fmt``: csv, xes, xes.gz."""
    from extractors.eventlog.importer import import_eventlog

    table = synthetic_log(n_events)
    with tempfile.TemporaryDirectory(prefix="zt-eventlog-bench-") as tmp:
        root = Path(tmp)
        path = root / f"bench.{fmt}"
        (write_csv if fmt == "csv" else write_xes)(table, path)
        s = dataclasses.replace(settings or ExtractSettings(), landing=root / "landing")
        t0 = time.perf_counter()
        import_eventlog(path, "bench", s)
        return time.perf_counter() - t0
