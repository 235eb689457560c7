"""Typed landing rows from source records, with bad records quarantined field by field.

An ``EntitySpec`` says what an entity's records hold (source field names kept, types for the
landing zone). ``to_landing`` turns a page of records (dicts as the source sent them, lookups
already flattened to dotted names) into an Arrow table: money as DECIMAL(18,2), times as
zone-aware UTC timestamps (naive source times are Asia/Shanghai), dates as dates. Records that
cannot be typed — unparseable dates, wrong types, missing keys, unknown codes, negative
amounts where the field forbids them — go to the quarantine list with the field and the
reason; the rest of the page loads. Conversion is vectorised with pyarrow.compute.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

SHANGHAI_OFFSET_US = 8 * 3600 * 1_000_000
TYPES = {
    "string": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "decimal": pa.decimal128(18, 2),  # money
    "decimal6": pa.decimal128(24, 6),  # unit prices, quantities, rates (Kingdee keeps 6)
    "bool": pa.bool_(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "date": pa.date32(),
    "json": pa.string(),
}
META_FIELDS = [("_op", pa.string()), ("_extracted_at", pa.timestamp("us", tz="UTC"))]


@dataclass(frozen=True)
class EntitySpec:
    """One source entity as it lands: ``fields`` are (source name, type) pairs."""

    system: str
    name: str
    key: str
    fields: tuple[tuple[str, str], ...]
    accepted: dict[str, frozenset] = field(default_factory=dict)  # field -> allowed values
    non_negative: frozenset = frozenset()  # fields that must not be negative
    required: frozenset = frozenset()  # besides the key

    @property
    def names(self) -> list[str]:
        return [n for n, _t in self.fields]

    def schema(self) -> pa.Schema:
        return pa.schema([(n, TYPES[t]) for n, t in self.fields] + META_FIELDS)


def flatten(record: dict, prefix: str = "") -> dict:
    """ZOHO-style lookups ``{"Owner": {"id": 1}}`` → ``{"Owner.id": 1}`` (one level)."""
    out = {}
    for k, v in record.items():
        if isinstance(v, dict) and not prefix:
            for k2, v2 in v.items():
                out[f"{k}.{k2}"] = v2
        else:
            out[prefix + k] = v
    return out


def _strings(values: list) -> pa.Array:
    return pa.array([None if v is None or v == "" else str(v) for v in values], pa.string())


def parse_timestamp(s: pa.Array) -> pa.Array:
    """ISO-8601 with offset or Z → UTC; naive 'YYYY-MM-DD[T ]HH:MM:SS' → Asia/Shanghai."""
    s = pc.replace_substring_regex(s, r"Z$", "+0000")
    s = pc.replace_substring_regex(s, r"([+-]\d\d):(\d\d)$", r"\1\2")
    s = pc.replace_substring(s, "T", " ")
    s = pc.replace_substring_regex(s, r"\.\d+", "")  # fractional seconds
    has_tz = pc.match_substring_regex(s, r"[+-]\d{4}$")
    aware = pc.strptime(
        pc.if_else(has_tz, s, None), "%Y-%m-%d %H:%M:%S%z", "us", error_is_null=True
    )
    naive = pc.strptime(pc.if_else(has_tz, None, s), "%Y-%m-%d %H:%M:%S", "us", error_is_null=True)
    naive_only_date = pc.strptime(pc.if_else(has_tz, None, s), "%Y-%m-%d", "us", error_is_null=True)
    naive = pc.coalesce(naive, naive_only_date)
    naive_utc = pc.subtract(naive.cast(pa.int64()), SHANGHAI_OFFSET_US)
    aware_i = aware.cast(pa.int64())
    out = pc.coalesce(aware_i, naive_utc).cast(TYPES["timestamp"])
    return pc.if_else(_real_calendar_day(s), out, None)


def _real_calendar_day(s: pa.Array) -> pa.Array:
    """True where the first ten characters are a real YYYY-MM-DD (Arrow's strptime quietly
    rolls 2025-02-30 over to 2025-03-02)."""
    head = pc.utf8_slice_codeunits(s, 0, 10)
    ts = pc.strptime(head, "%Y-%m-%d", "s", error_is_null=True)
    back = pc.strftime(ts, "%Y-%m-%d")
    return pc.fill_null(pc.equal(back, head), False)


def _parse_date(s: pa.Array) -> pa.Array:
    s = pc.utf8_slice_codeunits(s, 0, 10)
    ts = pc.strptime(s, "%Y-%m-%d", "s", error_is_null=True)
    return pc.if_else(_real_calendar_day(s), ts.cast(pa.date32()), None)


def _parse_decimal(values: list, typ: str = "decimal") -> tuple[pa.Array, list[int]]:
    """Numbers (or numeric strings) → DECIMAL; positions that are not numbers."""
    out, bad = [], []
    from decimal import Decimal, InvalidOperation

    q = Decimal("0.01") if typ == "decimal" else Decimal("0.000001")
    for i, v in enumerate(values):
        if v is None or v == "":
            out.append(None)
            continue
        try:
            if isinstance(v, bool):
                raise TypeError
            d = Decimal(str(v).replace(",", "")).quantize(q)
            if not d.is_finite():
                raise InvalidOperation
            out.append(d)
        except (InvalidOperation, TypeError, ValueError):
            out.append(None)
            bad.append(i)
    return pa.array(out, TYPES[typ]), bad


def _flag(bad: dict, row: int, problem: tuple[str, str, object]) -> None:
    """Record one problem of a row (a row can have several, one per field)."""
    problems = bad.setdefault(row, [])
    if all(p[0] != problem[0] for p in problems):
        problems.append(problem)


def to_landing(
    spec: EntitySpec,
    rows: list[dict],
    *,
    op: str = "upsert",
    extracted_at: dt.datetime | None = None,
) -> tuple[pa.Table, list[dict]]:
    """Typed table of the good ``rows`` and the quarantine records of the bad ones."""
    extracted_at = extracted_at or dt.datetime.now(dt.UTC)
    n = len(rows)
    bad: dict[int, list[tuple[str, str, object]]] = {}  # row -> [(field, reason, value)]
    cols: dict[str, pa.Array] = {}
    for name, typ in spec.fields:
        raw = [r.get(name) for r in rows]
        if typ in ("decimal", "decimal6"):
            arr, wrong = _parse_decimal(raw, typ)
            for i in wrong:
                _flag(bad, i, (name, f"not a number: {raw[i]!r}", raw[i]))
        elif typ in ("timestamp", "date"):
            s = _strings(raw)
            arr = parse_timestamp(s) if typ == "timestamp" else _parse_date(s)
            lost = pc.and_(pc.is_valid(s), pc.is_null(arr))
            for i in pc.indices_nonzero(lost).to_pylist():
                _flag(bad, i, (name, f"unparseable {typ}: {raw[i]!r}", raw[i]))
        elif typ == "json":
            arr = pa.array(
                [None if v is None else json.dumps(v, ensure_ascii=False) for v in raw], pa.string()
            )
        elif typ == "string":
            arr = pa.array(
                [
                    None
                    if v is None
                    else (
                        v
                        if isinstance(v, str)
                        else json.dumps(v, ensure_ascii=False)
                        if isinstance(v, (dict, list))
                        else str(v)
                    )
                    for v in raw
                ],
                pa.string(),
            )
        else:
            try:
                arr = pa.array(raw, TYPES[typ])
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                vals = []
                for i, v in enumerate(raw):
                    try:
                        vals.append(None if v is None else pa.scalar(v, TYPES[typ]).as_py())
                    except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError, TypeError):
                        vals.append(None)
                        _flag(bad, i, (name, f"not a {typ}: {v!r}", v))
                arr = pa.array(vals, TYPES[typ])
        cols[name] = arr
        if name in spec.non_negative and typ in ("decimal", "decimal6", "int", "float"):
            neg = pc.less(arr, pa.scalar(0, arr.type))
            for i in pc.indices_nonzero(pc.fill_null(neg, False)).to_pylist():
                _flag(bad, i, (name, f"negative amount: {raw[i]!r}", raw[i]))
        allowed = spec.accepted.get(name)
        if allowed:
            for i, v in enumerate(raw):
                if v is not None and v not in allowed:
                    _flag(bad, i, (name, f"unknown code: {v!r}", v))
    for req in (spec.key, *spec.required):
        for i, r in enumerate(rows):
            if r.get(req) in (None, ""):
                _flag(bad, i, (req, "missing key" if req == spec.key else "missing value", None))
    cols["_op"] = pa.array([op] * n, pa.string())
    cols["_extracted_at"] = pa.array([extracted_at] * n, META_FIELDS[1][1])
    table = pa.table(cols, schema=spec.schema())
    quarantined = []
    if bad:
        keep = pa.array([i not in bad for i in range(n)])
        table = table.filter(keep)
        for i in sorted(bad):
            raw = json.dumps(rows[i], ensure_ascii=False, default=str)
            key = None if rows[i].get(spec.key) is None else str(rows[i][spec.key])
            for fld, reason, value in bad[i]:
                quarantined.append(
                    {
                        "system": spec.system,
                        "entity": spec.name,
                        "record_key": key,
                        "field": fld,
                        "reason": reason,
                        "value": None if value is None else str(value),
                        "record": raw,
                        "extracted_at": extracted_at,
                    }
                )
    return table, quarantined


def tombstones(
    spec: EntitySpec, keys: list, *, extracted_at: dt.datetime | None = None
) -> pa.Table:
    """Delete markers: the key (cast to the key's type) and ``_op = 'delete'``, every other
    field NULL. No field checks apply: a tombstone carries nothing but its key."""
    extracted_at = extracted_at or dt.datetime.now(dt.UTC)
    schema = spec.schema()
    n = len(keys)
    cols = {}
    for f in schema:
        if f.name == spec.key:
            cols[f.name] = pa.array([str(k) for k in keys], pa.string()).cast(f.type)
        elif f.name == "_op":
            cols[f.name] = pa.array(["delete"] * n, pa.string())
        elif f.name == "_extracted_at":
            cols[f.name] = pa.array([extracted_at] * n, f.type)
        else:
            cols[f.name] = pa.nulls(n, f.type)
    return pa.table(cols, schema=schema)
