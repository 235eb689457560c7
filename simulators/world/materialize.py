"""Materialize the world as of a date: what each source system shows on that day.

Per record and column the latest non-NULL value from versions at or before the cut-off; a
record whose latest version is a delete is gone (and listed in ``_deleted/`` with its delete
time, which the CRM serves as its deleted-records log). Times are rendered in each system's own
text format. Output rows are ordered by creation time then key, so files are reproducible.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from simulators.world.table import TIME_FORMATS, Entity

UTC_SHIFT = 8 * 3600


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def materialize(timeline: pa.Table, entity: Entity, cutoff: int) -> tuple[pa.Table, pa.Table]:
    """Return (live records, deleted records) of ``entity`` as of local second ``cutoff``.

    Live records keep two helper columns: ``_created`` and ``_modified`` (local seconds of the
    first and latest visible version), which simulators use for sorting and filtering and never
    serve. Deleted records: ``id``, ``display_name``, ``deleted_time`` (local seconds),
    ``_created``.
    """
    con = duckdb.connect()
    try:
        con.execute("set threads=2")
        con.register("tl", timeline)
        sel = []
        for name, kind in entity.columns:
            q = _quote(name)
            agg = f"arg_max({q}, _k) filter (where {q} is not null)"
            if kind in TIME_FORMATS:
                shift = f" - {UTC_SHIFT}" if kind == "ts_utc" else ""
                agg = f"strftime(make_timestamp(({agg}{shift}) * 1000000), '{TIME_FORMATS[kind]}')"
            sel.append(f"{agg} as {q}")
        sql = f"""
            with v as (
                select *, row_number() over (order by _t, _seq) as _k from tl where _t < {cutoff}
            ), g as (
                select _id, min(_t) as _created, max(_t) as _modified,
                       arg_max(_op, _k) as _last_op, {", ".join(sel)}
                from v group by _id
            )
            select * from g order by _created, _id
        """
        allrows = con.sql(sql).to_arrow_table()
    finally:
        con.close()
    is_del = pa.compute.equal(allrows["_last_op"], "D")
    live = allrows.filter(pa.compute.invert(is_del))
    dead = allrows.filter(is_del)
    keep = [c for c in live.column_names if c not in ("_id", "_last_op")]
    live = live.select(["_id", *keep]).rename_columns(["_key", *keep])
    display = entity.display or entity.columns[0][0]
    deleted = pa.table(
        {
            "id": dead["_id"],
            "display_name": dead[display].cast(pa.string()),
            "deleted_time": dead["_modified"],
            "_created": dead["_created"],
        }
    )
    return live, deleted
