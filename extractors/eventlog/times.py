"""Event timestamps → UTC microseconds, vectorised with pyarrow.compute.

Accepted: ISO 8601 dates and date-times as event logs write them — ``2024-03-01 09:30:00``,
``2024-03-01T09:30:00.123+01:00``, ``…Z``, ``…+0800``, ``2024/3/1 9:30``, a bare date (midnight)
— with or without a zone. A zone offset is honoured; a time without one is Asia/Shanghai wall
time (UTC+8; China has kept no daylight saving time since 1991). Fractions of a second beyond
microseconds are cut. Anything else (day-first dates, words, 2025-02-30) is unparseable and
becomes null; the caller quarantines it.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
SHANGHAI_OFFSET_US = 8 * 3600 * 1_000_000
UTC_US = pa.timestamp("us", tz="UTC")

_DATE = r"^\d{4}-\d{2}-\d{2}"
_TIME = r"([ T]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?"
_ZONE = r"(Z|[+-]\d{2}(:?\d{2})?)"
_AWARE = _DATE + _TIME + _ZONE + "$"
_NAIVE = _DATE + _TIME + "$"


def _normalise(s: pa.Array) -> pa.Array:
    s = pc.utf8_trim_whitespace(s)
    s = pc.replace_substring(s, "/", "-")
    s = pc.replace_substring_regex(s, r"^(\d{4})-(\d)-", r"\1-0\2-")
    s = pc.replace_substring_regex(s, r"^(\d{4}-\d{2})-(\d)([ T]|$)", r"\1-0\2\3")
    s = pc.replace_substring_regex(s, r"^(\d{4}-\d{2}-\d{2}[ T])(\d):", r"\10\2:")
    s = pc.replace_substring_regex(s, r"(\.\d{6})\d+", r"\1")  # nanoseconds → microseconds
    s = pc.replace_substring_regex(s, r" ?(UTC|GMT)$", "Z")
    return pc.replace_substring_regex(s, r"([0-9]) ([+-]\d{2}:?\d{2})$", r"\1\2")


def _python_parse(values: list[str | None], aware: bool) -> pa.Array:
    """Element by element, for a subset Arrow's cast refused (e.g. one 2025-02-30)."""
    out: list[int | None] = []
    for v in values:
        if v is None:
            out.append(None)
            continue
        try:
            t = dt.datetime.fromisoformat(v)
        except ValueError:
            out.append(None)
            continue
        if t.tzinfo is None:
            t = t.replace(tzinfo=SHANGHAI)
        elif not aware:  # a naive-looking string cannot carry a zone
            out.append(None)
            continue
        out.append((t - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1))
    return pa.array(out, pa.int64())


def _cast(s: pa.Array, aware: bool) -> pa.Array:
    """``s`` (null where it does not apply) → int64 UTC microseconds."""
    try:
        if aware:
            return s.cast(UTC_US).cast(pa.int64())
        local = s.cast(pa.timestamp("us")).cast(pa.int64())
        return pc.subtract(local, SHANGHAI_OFFSET_US)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return _python_parse(s.to_pylist(), aware)


def parse_times(values: pa.Array) -> pa.Array:
    """Strings → int64 microseconds since the epoch, UTC; null where unparseable or empty."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if pa.types.is_timestamp(values.type):
        if values.type.tz is None:
            return pc.subtract(values.cast(pa.timestamp("us")).cast(pa.int64()), SHANGHAI_OFFSET_US)
        return values.cast(UTC_US).cast(pa.int64())
    s = _normalise(values.cast(pa.string()))
    aware = pc.fill_null(pc.match_substring_regex(s, _AWARE), False)
    naive = pc.fill_null(pc.match_substring_regex(s, _NAIVE), False)
    out = pa.nulls(len(s), pa.int64())
    if pc.any(aware).as_py():
        out = pc.coalesce(out, _cast(pc.if_else(aware, s, None), aware=True))
    if pc.any(naive).as_py():
        out = pc.coalesce(out, _cast(pc.if_else(naive, s, None), aware=False))
    return out


def shanghai_date_time(us: np.ndarray) -> tuple[pa.Array, pa.Array]:
    """UTC microseconds → (Asia/Shanghai date, ``HH:MM:SS`` string), as Weaver stores times.
    Fractions of a second are cut, as the OA's second-resolution fields do."""
    local_s = (us + SHANGHAI_OFFSET_US) // 1_000_000
    days = local_s // 86_400
    date = pa.array(days.astype(np.int32), pa.int32()).cast(pa.date32())
    clock = pc.strftime(
        pa.array(local_s - days * 86_400, pa.int64()).cast(pa.timestamp("s")), "%H:%M:%S"
    )
    return date, clock
