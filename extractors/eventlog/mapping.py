"""Events → the OA workflow landing tables (``extractors.oa.specs``), vectorised with numpy.

Mapping (see the package docstring for the reasons):

* a **case** becomes one ``workflow_requests`` row, ``requestId = el:<name>:<case id>``;
* an **activity instance** — a ``complete`` event, with the ``start`` it is paired with if any —
  becomes one ``workflow_request_logs`` row (the action, at completion) and one
  ``workflow_request_operators`` row (received at its start, acted at its completion), both
  with ``id = el:<name>:<case id>:<n>``, ``n`` its position in the case (``groupid``) ordered
  like PM4Py orders intervals: by start, then completion, then place in the file;
* starts pair FIFO per (case, activity) with the next complete, in time order (ties in file
  order); the ``start_timestamp`` column, where set on a complete row, is that instance's start.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from extractors.eventlog.read import FIELDS
from extractors.eventlog.times import parse_times, shanghai_date_time
from extractors.oa.specs import WORKFLOW_REQUEST_LOGS, WORKFLOW_REQUEST_OPERATORS, WORKFLOW_REQUESTS

KEPT = ("start", "complete")
MISSING_START = ("previous", "complete")


@dataclass
class Mapped:
    """The three landing tables, the quarantine records and the counts."""

    requests: pa.Table
    logs: pa.Table
    operators: pa.Table
    quarantine: list[dict]
    events: int = 0
    ignored: dict[str, int] = field(default_factory=dict)  # lifecycle value → events
    observed_starts: int = 0
    unmatched_starts: int = 0
    first_event: dt.datetime | None = None
    last_event: dt.datetime | None = None


def _np(a: pa.Array | pa.ChunkedArray, dtype=None) -> np.ndarray:
    if isinstance(a, pa.ChunkedArray):
        a = a.combine_chunks()
    return (
        a.to_numpy(zero_copy_only=False)
        if dtype is None
        else a.to_numpy(zero_copy_only=False).astype(dtype)
    )


def _blank_to_null(a: pa.Array) -> pa.Array:
    a = pc.utf8_trim_whitespace(a)
    return pc.if_else(pc.equal(a, ""), None, a)


def _codes(a: pa.Array) -> tuple[np.ndarray, pa.Array]:
    enc = pc.dictionary_encode(a)
    if isinstance(enc, pa.ChunkedArray):
        enc = enc.combine_chunks()
    return _np(enc.indices, np.int64), enc.dictionary


def _group_starts(keys: np.ndarray) -> np.ndarray:
    """True where a run of equal sorted keys begins."""
    first = np.ones(len(keys), bool)
    first[1:] = keys[1:] != keys[:-1]
    return first


def _rank_in_group(first: np.ndarray) -> np.ndarray:
    """1-based position within each run (``first`` marks run starts)."""
    idx = np.arange(len(first))
    return idx - np.maximum.accumulate(np.where(first, idx, 0)) + 1


def _quarantine(
    raw: pa.Table,
    bad: dict[int, tuple[str, str]],
    name: str,
    file: str,
    columns: dict[str, str | None],
    extracted_at: dt.datetime,
) -> list[dict]:
    if not bad:
        return []
    idx = sorted(bad)
    sub = raw.take(pa.array(idx, pa.int64())).to_pylist()
    out = []
    for i, r in zip(idx, sub, strict=True):
        fld, reason = bad[i]
        where = (
            f"row {r['row']}" if r["trace"] is None else f"event {r['row']} (trace {r['trace']})"
        )
        record = {"file": file, "row": r["row"], "trace": r["trace"]}
        record.update({columns.get(f) or f: r[f] for f in FIELDS if r[f] is not None})
        out.append(
            {
                "system": f"eventlog:{name}",
                "entity": "events",
                "record_key": f"{file}#{r['row']}",
                "field": columns.get(fld) or fld,
                "reason": f"{reason} ({file}, {where})",
                "value": r.get(fld),
                "record": json.dumps(record, ensure_ascii=False),
                "extracted_at": extracted_at,
            }
        )
    return out


def _pair(
    case: np.ndarray, act: np.ndarray, t: np.ndarray, row: np.ndarray, is_start: np.ndarray
) -> tuple[np.ndarray, np.ndarray, int]:
    """FIFO pairing of starts with completes per (case, activity) in (time, row) order.

    Returns the indices of the complete events, the index of each one's start (-1 if none),
    and the number of starts left unpaired. With ``s_i`` the starts seen before the i-th
    complete of a group, the number of starts consumed after it is
    ``p_i = min(p_{i-1} + 1, s_i)``, i.e. ``p_i = i + min(0, min_{j<=i}(s_j - j))`` — a
    segmented running minimum.
    """
    order = np.lexsort((row, t, act, case))
    key = case[order] * (act.max(initial=0) + 1) + act[order]
    first = _group_starts(key)
    gid = np.cumsum(first) - 1
    st = is_start[order]
    starts_before = np.cumsum(st) - st  # exclusive, global
    group_base = starts_before[first][gid]  # starts before the group
    s = starts_before - group_base  # starts earlier in the group
    comp = ~st
    c_pos = np.flatnonzero(comp)  # completes, in sorted order
    c_gid = gid[c_pos]
    c_first = _group_starts(c_gid)
    i = _rank_in_group(c_first)
    v = s[c_pos] - i
    n_groups = int(gid[-1]) + 1 if len(gid) else 0
    big = 4 * (len(order) + 1)
    offset = big * (n_groups - c_gid).astype(np.int64)
    run_min = np.minimum.accumulate(v + offset) - offset
    p = i + np.minimum(0, run_min)
    p_prev = np.where(c_first, 0, np.concatenate(([0], p[:-1])))
    paired = p > p_prev
    s_pos = np.flatnonzero(st)  # starts, in sorted order
    start_of = np.full(len(c_pos), -1, np.int64)
    start_of[paired] = order[s_pos[group_base[c_pos][paired] + p[paired] - 1]]
    unmatched = int(st.sum()) - int(paired.sum())
    return order[c_pos], start_of, unmatched


def _repeat(value: str | None, n: int) -> pa.Array:
    return pa.nulls(n, pa.string()) if value is None else pa.repeat(pa.scalar(value), n)


def map_events(
    raw: pa.Table,
    name: str,
    file: str,
    columns: dict[str, str | None],
    *,
    missing_start: str = "previous",
    extracted_at: dt.datetime | None = None,
) -> Mapped:
    """Type, check, pair and map the raw events of one log (``read.RAW_SCHEMA``)."""
    if missing_start not in MISSING_START:
        raise ValueError(f"missing_start must be one of {MISSING_START}, not {missing_start!r}")
    extracted_at = extracted_at or dt.datetime.now(dt.UTC)
    n = raw.num_rows
    case = _blank_to_null(raw["case"].combine_chunks())
    act = _blank_to_null(raw["activity"].combine_chunks())
    res = _blank_to_null(raw["resource"].combine_chunks())
    grp = _blank_to_null(raw["group"].combine_chunks())
    ts_raw = _blank_to_null(raw["timestamp"].combine_chunks())
    st_raw = _blank_to_null(raw["start"].combine_chunks())
    life = pc.utf8_lower(pc.utf8_trim_whitespace(raw["lifecycle"].combine_chunks()))
    life = pc.fill_null(pc.if_else(pc.equal(life, ""), None, life), "complete")
    t = parse_times(ts_raw)
    t_start = parse_times(st_raw)
    is_complete = pc.equal(life, "complete")

    checks = [
        ("case", "missing case id", pc.is_null(case)),
        ("activity", "missing activity", pc.is_null(act)),
        ("timestamp", "missing timestamp", pc.is_null(ts_raw)),
        ("timestamp", "unparseable timestamp", pc.is_null(t)),
        (
            "start",
            "unparseable start timestamp",
            pc.and_(is_complete, pc.and_(pc.is_valid(st_raw), pc.is_null(t_start))),
        ),
        (
            "start",
            "start timestamp after the completion",
            pc.fill_null(pc.and_(is_complete, pc.greater(t_start, t)), False),
        ),
    ]
    bad: dict[int, tuple[str, str]] = {}
    ok = np.ones(n, bool)
    for fld, reason, mask in checks:
        m = _np(pc.fill_null(mask, False), bool)
        for i in np.flatnonzero(m & ok):
            bad[int(i)] = (fld, reason)
        ok &= ~m
    quarantine = _quarantine(raw, bad, name, file, columns, extracted_at)

    life_np = _np(life)
    kept = ok & np.isin(life_np, KEPT)
    ignored_mask = ok & ~kept
    ignored = {
        str(k): int(v)
        for k, v in zip(*np.unique(life_np[ignored_mask], return_counts=True), strict=True)
    }
    keep = pa.array(kept)
    case_k = case.filter(keep)
    act_k = act.filter(keep)
    case_c, case_dict = _codes(case_k)
    act_c, _ = _codes(act_k)
    t_k = _np(t.filter(keep), np.int64)
    row_k = _np(raw["row"].combine_chunks().filter(keep), np.int64)
    is_start = life_np[kept] == "start"
    ci, si, unmatched = _pair(case_c, act_c, t_k, row_k, is_start)

    # activity instances (one per complete event)
    comp = t_k[ci]
    col_start = t_start.filter(keep).take(pa.array(ci))
    has_col = _np(pc.is_valid(col_start), bool)
    start = np.where(si >= 0, t_k[np.maximum(si, 0)], 0)
    start = np.where(has_col, _np(pc.fill_null(col_start, 0), np.int64), start)
    observed = has_col | (si >= 0)
    pstart = np.where(observed, start, comp)  # PM4Py's start: the completion when unknown
    icase = case_c[ci]
    irow = row_k[ci]
    order = np.lexsort((irow, comp, pstart, icase))  # PM4Py's interval order
    seq = np.empty(len(ci), np.int64)
    seq[order] = _rank_in_group(_group_starts(icase[order]))
    if missing_start == "previous":
        by_done = np.lexsort((irow, comp, icase))
        prev = np.concatenate(([0], comp[by_done][:-1]))
        prev = np.where(_group_starts(icase[by_done]), comp[by_done], prev)
        received = np.empty(len(ci), np.int64)
        received[by_done] = prev
        received = np.where(observed, start, received)
    else:
        received = pstart

    idx = pa.array(ci)
    case_i = case_k.take(idx)
    act_i = act_k.take(idx)
    res_i = res.filter(keep).take(idx)
    grp_i = grp.filter(keep).take(idx)
    m = len(ci)
    prefix = f"el:{name}:"
    request_id = pc.binary_join_element_wise(prefix, case_i, "")
    inst_id = pc.binary_join_element_wise(request_id, ":", pc.cast(pa.array(seq), pa.string()), "")
    node_id = pc.binary_join_element_wise(prefix, act_i, "")
    workflow_id = f"eventlog:{name}"
    done_date, done_time = shanghai_date_time(comp)
    recv_date, recv_time = shanghai_date_time(received)
    upsert = _repeat("upsert", m)
    at = pa.repeat(pa.scalar(extracted_at, pa.timestamp("us", tz="UTC")), m)

    logs = pa.table(
        {
            "id": inst_id,
            "requestId": request_id,
            "workflowId": _repeat(workflow_id, m),
            "nodeid": node_id,
            "nodename": act_i,
            "destnodeid": _repeat(None, m),
            "operator": res_i,
            "operatorName": res_i,
            "operatorDept": grp_i,
            "operatedate": done_date,
            "operatetime": done_time,
            "logtype": _repeat("0", m),
            "remarkHtml": _repeat(None, m),
            "receivedPersons": _repeat(None, m),
            "receivedPersonids": _repeat(None, m),
            "isbranche": _repeat("0", m),
            "agentorbyagentid": _repeat(None, m),
            "_op": upsert,
            "_extracted_at": at,
        },
        schema=WORKFLOW_REQUEST_LOGS.schema(),
    )
    operators = pa.table(
        {
            "id": inst_id,
            "requestId": request_id,
            "groupid": pc.cast(pa.array(seq), pa.string()),
            "nodeid": node_id,
            "nodeName": act_i,
            "userid": res_i,
            "userName": res_i,
            "isremark": _repeat("2", m),
            "receivedate": recv_date,
            "receivetime": recv_time,
            "operatedate": done_date,
            "operatetime": done_time,
            "agenttype": _repeat(None, m),
            "agentorbyagentid": _repeat(None, m),
            "_op": upsert,
            "_extracted_at": at,
        },
        schema=WORKFLOW_REQUEST_OPERATORS.schema(),
    )

    # cases: the first instance (seq 1: the earliest start) and the last completion
    first_i = order[_group_starts(icase[order])]
    by_done = np.lexsort((seq, comp, icase))
    last_first = _group_starts(icase[by_done][::-1])[::-1]  # last of each run
    last_i = by_done[last_first]
    cases = len(first_i)
    ucase = icase[first_i]
    fi = pa.array(first_i)
    li = pa.array(last_i)
    utc = pa.timestamp("us", tz="UTC")
    requests = pa.table(
        {
            "requestId": request_id.take(fi),
            "requestName": case_dict.take(pa.array(ucase)),
            "requestLevel": _repeat("0", cases),
            "status": _repeat("归档", cases),
            "sysName": _repeat(workflow_id, cases),
            "workflowBaseInfo.workflowId": _repeat(workflow_id, cases),
            "workflowBaseInfo.workflowName": _repeat(name, cases),
            "workflowBaseInfo.workflowTypeId": _repeat("eventlog", cases),
            "workflowBaseInfo.workflowTypeName": _repeat("eventlog", cases),
            "workflowBaseInfo.formId": _repeat(None, cases),
            "creatorId": res_i.take(fi),
            "creatorName": res_i.take(fi),
            "createTime": pa.array(pstart[first_i], pa.int64()).cast(utc),
            "currentNodeId": node_id.take(li),
            "currentNodeName": act_i.take(li),
            "lastOperateTime": pa.array(comp[last_i], pa.int64()).cast(utc),
            "lastOperatorId": res_i.take(li),
            "lastOperatorName": res_i.take(li),
            "receiveTime": pa.nulls(cases, utc),
            "_op": _repeat("upsert", cases),
            "_extracted_at": pa.repeat(pa.scalar(extracted_at, utc), cases),
        },
        schema=WORKFLOW_REQUESTS.schema(),
    )

    def when(us) -> dt.datetime:
        return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=int(us))

    return Mapped(
        requests=requests,
        logs=logs,
        operators=operators,
        quarantine=quarantine,
        events=n,
        ignored=ignored,
        observed_starts=int(observed.sum()),
        unmatched_starts=unmatched,
        first_event=when(pstart.min()) if m else None,
        last_event=when(comp.max()) if m else None,
    )
