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


def materialize(source: str, entity: Entity, cutoff: int) -> tuple[pa.Table, pa.Table]:
    """Return (live records, deleted records) of ``entity`` as of local second ``cutoff``.

    ``source`` is a Parquet path or glob holding the entity's timeline. Live records keep two
    helper columns: ``_created`` and ``_modified`` (local seconds of the first and latest
    visible version), which simulators use for sorting and filtering and never serve. Deleted
    records: ``id``, ``display_name``, ``deleted_time`` (local seconds), ``_created``.
    """
    con = duckdb.connect(config={"threads": 2, "memory_limit": "3GB"})
    try:
        con.execute("set preserve_insertion_order = false")
        src = f"read_parquet('{source}')"
        if entity.immutable:
            cols = [f"{_render(_quote(n), k)} as {_quote(n)}" for n, k in entity.columns]
            sql = f"""
                select _id, _t as _created, _t as _modified, _op as _last_op, {", ".join(cols)}
                from {src} where _t < {cutoff} order by _created, _id
            """
        else:
            sel = []
            for name, kind in entity.columns:
                q = _quote(name)
                sel.append(
                    f"{_render(f'arg_max({q}, _k) filter (where {q} is not null)', kind)} as {q}"
                )
            # version order: time, then generation order (ties only within one second)
            sql = f"""
                with v as (
                    select *, (_t::bigint << 31) + (_seq % 2147483648) as _k
                    from {src} where _t < {cutoff}
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


def _render(expr: str, kind: str) -> str:
    """SQL rendering a timeline value in the source's own text format (times only)."""
    if kind not in TIME_FORMATS:
        return expr
    shift = f" - {UTC_SHIFT}" if kind == "ts_utc" else ""
    return f"strftime(make_timestamp(({expr}{shift}) * 1000000), '{TIME_FORMATS[kind]}')"
