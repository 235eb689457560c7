"""What earlier runs landed for an OA entity, read back from the landing zone (for deletes).

The landing zone is an append-only change log; the current state of a key is its latest
version (by ``_extracted_at``). Delete detection needs the live keys of an entity — for child
entities grouped by the request they belong to — and, for the request sweep, when each landed
request was created. Read with pyarrow, vectorised: scale-1 logs are a few million rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from extractors.landing import ExtractContext, landed_table
from extractors.records import EntitySpec

IMPORTED_PREFIX = "eventlog:"  # sysName of requests the event-log importer lands (specs.py)


def latest(
    ctx: ExtractContext,
    spec: EntitySpec,
    columns: list[str],
    request_ids: Collection[str] | None = None,
) -> pa.Table:
    """The latest landed version of every key of ``spec`` (columns: key, ``columns``, ``_op``);
    empty when nothing landed yet. With ``request_ids``, only rows of those requests are read
    (filtered while scanning, so memory and time follow the requests asked for, not the size
    of the landing zone)."""
    cols = list(dict.fromkeys([spec.key, *columns, "_op", "_extracted_at"]))
    where = None
    if request_ids is not None:
        where = pc.field("requestId").isin(pa.array(sorted(request_ids), pa.string()))
    t = landed_table(ctx.settings.landing, ctx.system, spec.name, cols, where)
    if t is None:
        return pa.table({c: pa.array([], pa.string()) for c in cols[:-1]})
    if t.num_rows == 0:
        return t.drop_columns(["_extracted_at"])
    t = t.take(pc.sort_indices(t, [(spec.key, "ascending"), ("_extracted_at", "ascending")]))
    keys = t[spec.key].combine_chunks()
    last = np.ones(t.num_rows, bool)
    if t.num_rows > 1:
        differs = pc.not_equal(keys.slice(0, t.num_rows - 1), keys.slice(1))
        last[:-1] = differs.fill_null(True).to_numpy(zero_copy_only=False)
    return t.filter(pa.array(last)).drop_columns(["_extracted_at"])


def live(t: pa.Table) -> pa.Table:
    return t.filter(pc.not_equal(t["_op"], "delete")) if t.num_rows else t


def live_children(
    ctx: ExtractContext, spec: EntitySpec, request_ids: Collection[str] | None = None
) -> dict[str, set[str]]:
    """requestId → keys of the live rows of a child entity (logs, operators, a form), for
    ``request_ids`` only when given."""
    t = live(latest(ctx, spec, ["requestId"], request_ids))
    out: dict[str, set[str]] = {}
    for k, r in zip(t[spec.key].to_pylist(), t["requestId"].to_pylist(), strict=True):
        out.setdefault(str(r), set()).add(str(k))
    return out


def request_ids_created_since(
    ctx: ExtractContext,
    spec: EntitySpec,
    since: dt.datetime | None,
    workflow_ids: list[str] | None = None,
) -> set[str]:
    """Every request id the OA extractor ever landed (deleted ones too) created at or after
    ``since`` (all of them when None), of the given workflows only when ``workflow_ids`` is
    set. Requests an event-log import landed in the same table (``sysName`` ``eventlog:…``)
    were never on the OA and are left out."""
    wf = "workflowBaseInfo.workflowId"
    cols = [spec.key, "createTime", wf, "sysName"]
    t = landed_table(ctx.settings.landing, ctx.system, spec.name, cols)
    if t is None:
        return set()
    imported = pc.starts_with(t["sysName"], IMPORTED_PREFIX)
    t = t.filter(pc.invert(pc.fill_null(imported, False)))
    if since is not None:
        t = t.filter(pc.fill_null(pc.greater_equal(t["createTime"], pa.scalar(since)), False))
    if workflow_ids:
        t = t.filter(pc.fill_null(pc.is_in(t[wf], pa.array(workflow_ids, pa.string())), False))
    return {str(k) for k in pc.unique(t[spec.key]).to_pylist()}
