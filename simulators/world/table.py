"""Row builders for the world's timelines.

Every entity of every source system is kept as a *timeline*: one row per version of a record,
with ``_id`` (the record key), ``_t`` (local seconds from which the version is what the source
shows) and ``_op`` (``U`` upsert, ``D`` delete). The first version of a record carries all its
fields; later versions are patches carrying only the fields that changed (NULL = unchanged).
What a system shows on a date is, per record and column, the latest non-NULL value at or before
that date, unless the latest version is a delete (see ``materialize``). Versions later than the
world's current date are the future: they become visible as ``world advance`` moves time on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

# Column kinds. Time kinds hold local seconds in the timeline and are rendered in the source's
# own text format when the world is materialized.
ARROW_TYPES = {
    "str": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    # time kinds (local seconds in the timeline)
    "ts_zoho": pa.int64(),  # 2026-09-01T10:11:12+08:00
    "ts_kd": pa.int64(),  # 2026-09-01T10:11:12
    "ts_weaver": pa.int64(),  # 2026-09-01 10:11:12
    "ts_utc": pa.int64(),  # 2026-09-01T02:11:12Z
    "date": pa.int64(),  # 2026-09-01
    "date_kd": pa.int64(),  # 2026-09-01T00:00:00
}
TIME_FORMATS = {
    "ts_zoho": "%Y-%m-%dT%H:%M:%S+08:00",
    "ts_kd": "%Y-%m-%dT%H:%M:%S",
    "ts_weaver": "%Y-%m-%d %H:%M:%S",
    "ts_utc": "%Y-%m-%dT%H:%M:%SZ",
    "date": "%Y-%m-%d",
    "date_kd": "%Y-%m-%dT%H:%M:%S",
}
META = [("_id", "str"), ("_t", "int"), ("_seq", "int"), ("_op", "str")]


@dataclass
class Entity:
    """Declared shape of one source entity: system, source name, and typed columns."""

    system: str
    name: str
    columns: list[tuple[str, str]]
    display: str | None = None  # column used as display_name in deleted logs
    immutable: bool = False  # records are written once and never changed nor deleted

    @property
    def names(self) -> list[str]:
        return [c for c, _ in self.columns]

    def arrow_schema(self) -> pa.Schema:
        return pa.schema([(c, ARROW_TYPES[k]) for c, k in META + self.columns])


@dataclass
class Timeline:
    """Versions of one entity's records, appended in generation order."""

    entity: Entity
    rows: list[tuple] = field(default_factory=list)

    def put(self, rid: str, t: int, values: dict, op: str = "U") -> dict:
        """Append a version. ``values`` holds every column (missing ones are NULL)."""
        self.rows.append((rid, int(t), len(self.rows), op, values))
        return values

    def change(self, rid: str, t: int, **changes) -> None:
        """Append a patch version: only ``changes`` differ from the record's previous state."""
        self.rows.append((rid, int(t), len(self.rows), "U", changes))

    def delete(self, rid: str, t: int) -> None:
        self.rows.append((rid, int(t), len(self.rows), "D", {}))

    def __len__(self) -> int:
        return len(self.rows)

    def to_arrow(self, seq_offset: int = 0) -> pa.Table:
        rows = self.rows
        schema = self.entity.arrow_schema()
        # pyarrow converts the dicts to a struct array in C++ (missing keys become NULL),
        # an order of magnitude faster than building the columns in Python.
        fields = [schema.field(n) for n in self.entity.names]
        values = pa.array([r[4] for r in rows], type=pa.struct(fields))
        meta = [
            pa.array([r[0] for r in rows], pa.string()),
            pa.array([r[1] for r in rows], pa.int64()),
            pa.array([r[2] + seq_offset for r in rows], pa.int64()),
            pa.array([r[3] for r in rows], pa.string()),
        ]
        return pa.Table.from_arrays(meta + values.flatten(), schema=schema)
