"""Read an event log — CSV or XES (IEEE 1849), plain or gzipped — as Arrow batches of raw
string columns, never the whole file in memory.

Every batch has the columns of ``RAW_SCHEMA``: ``row`` (where the event is in the file: the
CSV line with the header as line 1, or the event's ordinal in an XES file), ``trace`` (XES: the
trace's ordinal; CSV: null) and the values of the mapped columns as strings (null when the
event does not have them). Typing, pairing and quarantine happen later, vectorised.

CSV: the encoding is UTF-8 (a BOM is fine) unless the bytes are not valid UTF-8, then GBK
(read as its superset GB18030); the delimiter is sniffed among ``, ; tab |``. Column names
match exactly, else ignoring case and surrounding blanks.

XES: parsed with ``iterparse``; each event's attributes are taken when the event ends and the
element is cleared, each trace's when the trace ends, and then the document root is cleared,
so memory holds one trace at a time. A column named ``case:<key>`` is the trace attribute
``<key>`` (the XES → table convention PM4Py uses: ``case:concept:name`` is the trace's
``concept:name``, the case id); any other column is the event attribute of that key. Only an
attribute's ``value`` is read (string, date, int, float, boolean, id); lists and containers are
skipped.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

FIELDS = ("case", "activity", "timestamp", "resource", "group", "lifecycle", "start")
REQUIRED = ("case", "activity", "timestamp")
RAW_SCHEMA = pa.schema(
    [("row", pa.int64()), ("trace", pa.int64())] + [(f, pa.string()) for f in FIELDS]
)
DELIMITERS = ",;\t|"
_SAMPLE = 1 << 16


class EventLogError(ValueError):
    """The log cannot be imported as asked; the message says what is wrong and what to do."""


@dataclass
class LogSource:
    """What was learned about the file while reading it."""

    path: Path
    format: str  # "csv" | "xes"
    gzipped: bool
    columns: dict[str, str | None]  # field → column (or XES key) asked for
    encoding: str | None = None
    delimiter: str | None = None
    found: dict[str, str | None] = field(default_factory=dict)  # field → actual CSV header
    absent: list[str] = field(default_factory=list)  # optional columns asked for, not there


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(2) == b"\x1f\x8b"


def _open_bytes(path: Path, gz: bool):
    return gzip.open(path, "rb") if gz else path.open("rb")


def detect(path: Path, columns: dict[str, str | None]) -> LogSource:
    """The file's format: XES by its name (``.xes``, ``.xes.gz``) or by an XML start,
    otherwise CSV."""
    if not path.is_file():
        raise EventLogError(
            f"event log {path} does not exist (give the path of a .csv, .xes or .xes.gz file)"
        )
    gz = _is_gzip(path)
    name = path.name.lower()
    with _open_bytes(path, gz) as f:
        head = f.read(512).lstrip(b"\xef\xbb\xbf").lstrip()
    is_xes = name.endswith((".xes", ".xes.gz")) or head.startswith((b"<?xml", b"<log"))
    return LogSource(path, "xes" if is_xes else "csv", gz, columns)


def read_batches(src: LogSource, batch_rows: int = 50_000) -> Iterator[pa.Table]:
    """Raw event batches (``RAW_SCHEMA``) of about ``batch_rows`` rows."""
    if src.format == "xes":
        yield from _xes_batches(src, batch_rows)
    else:
        yield from _csv_batches(src, batch_rows)


# -- CSV --------------------------------------------------------------------------------------
def _encoding(src: LogSource) -> str:
    """``utf-8`` when every byte decodes as UTF-8, else ``gb18030`` (GBK's superset)."""
    dec = codecs.getincrementaldecoder("utf-8")()
    with _open_bytes(src.path, src.gzipped) as f:
        try:
            while chunk := f.read(1 << 20):
                dec.decode(chunk)
            dec.decode(b"", final=True)
        except UnicodeDecodeError:
            return "gb18030"
    return "utf-8"


def _sample(src: LogSource, encoding: str) -> str:
    with _open_bytes(src.path, src.gzipped) as f:
        raw = f.read(_SAMPLE)
    text = raw.decode(encoding, errors="ignore").lstrip("\ufeff")
    if len(raw) == _SAMPLE:  # drop the last, probably cut, line
        text = text[: text.rfind("\n") + 1] or text
    return text


def _delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        header = sample.splitlines()[0] if sample else ""
        counts = {d: header.count(d) for d in DELIMITERS}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def _match_columns(src: LogSource, header: list[str]) -> dict[str, str | None]:
    loose = {h.strip().lower(): h for h in header}
    found: dict[str, str | None] = {}
    for fld, col in src.columns.items():
        if col is None:
            found[fld] = None
        elif col in header:
            found[fld] = col
        else:
            found[fld] = loose.get(col.strip().lower())
    missing = [f"{src.columns[f]!r}" for f in REQUIRED if found[f] is None]
    if missing:
        raise EventLogError(
            f"{src.path.name}: no column {', '.join(missing)}; the file's columns are "
            f"{', '.join(repr(h) for h in header)} — name the right ones with --case-col, "
            f"--activity-col and --timestamp-col"
        )
    return found


def _csv_batches(src: LogSource, batch_rows: int) -> Iterator[pa.Table]:
    src.encoding = _encoding(src)
    sample = _sample(src, src.encoding)
    if not sample.strip():
        raise EventLogError(f"{src.path.name} is empty: expected a header row and events")
    src.delimiter = _delimiter(sample)
    header = next(csv.reader(io.StringIO(sample), delimiter=src.delimiter))
    src.found = _match_columns(src, header)
    src.absent = [c for f, c in src.columns.items() if c is not None and src.found[f] is None]
    wanted = sorted({c for c in src.found.values() if c is not None})
    stream = pa.input_stream(src.path, compression="gzip" if src.gzipped else None)
    reader = pacsv.open_csv(
        stream,
        read_options=pacsv.ReadOptions(encoding=src.encoding, block_size=1 << 23),
        parse_options=pacsv.ParseOptions(delimiter=src.delimiter, newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            include_columns=wanted,
            column_types=dict.fromkeys(wanted, pa.string()),
            strings_can_be_null=True,
            null_values=[""],
            quoted_strings_can_be_null=True,
        ),
    )
    row = 2  # the header is line 1
    pending: list[pa.Table] = []
    size = 0
    for batch in reader:
        n = batch.num_rows
        cols: dict[str, pa.Array] = {
            "row": pa.array(range(row, row + n), pa.int64()),
            "trace": pa.nulls(n, pa.int64()),
        }
        for fld in FIELDS:
            col = src.found.get(fld)
            cols[fld] = batch.column(col) if col is not None else pa.nulls(n, pa.string())
        row += n
        pending.append(pa.Table.from_pydict(cols, schema=RAW_SCHEMA))
        size += n
        if size >= batch_rows:
            yield pa.concat_tables(pending)
            pending, size = [], 0
    if pending:
        yield pa.concat_tables(pending)


# -- XES --------------------------------------------------------------------------------------
def _xes_batches(src: LogSource, batch_rows: int) -> Iterator[pa.Table]:
    # each field: (event attribute key, trace attribute key)
    keys = {}
    for fld, col in src.columns.items():
        if col is None:
            keys[fld] = (None, None)
        elif col.startswith("case:"):
            keys[fld] = (None, col[5:])
        else:
            keys[fld] = (col, None)
    seen = dict.fromkeys(FIELDS, False)
    buf: dict[str, list] = {k: [] for k in RAW_SCHEMA.names}
    local: dict[str, str] = {}
    events: list[tuple[int, dict]] = []
    n_event = n_trace = 0

    def flush() -> pa.Table:
        t = pa.Table.from_pydict(buf, schema=RAW_SCHEMA)
        for v in buf.values():
            v.clear()
        return t

    with _open_bytes(src.path, src.gzipped) as fh:
        try:
            it = ET.iterparse(fh, events=("start", "end"))
            _, root = next(it)
            for ev, el in it:
                if ev == "start":
                    continue
                tag = el.tag
                name = local.get(tag)
                if name is None:
                    name = local[tag] = tag.rpartition("}")[2]
                if name == "event":
                    n_event += 1
                    events.append((n_event, {c.get("key"): c.get("value") for c in el}))
                    el.clear()
                elif name == "trace":
                    n_trace += 1
                    tattrs = {
                        c.get("key"): c.get("value") for c in el if local.get(c.tag) != "event"
                    }
                    buf["row"].extend(r for r, _ in events)
                    buf["trace"].extend([n_trace] * len(events))
                    for fld, (ekey, tkey) in keys.items():
                        col = buf[fld]
                        if tkey is not None:
                            v = tattrs.get(tkey)
                            col.extend([v] * len(events))
                            seen[fld] = seen[fld] or v is not None
                        elif ekey is not None:
                            vals = [a.get(ekey) for _, a in events]
                            col.extend(vals)
                            seen[fld] = seen[fld] or any(v is not None for v in vals)
                        else:
                            col.extend([None] * len(events))
                    events.clear()
                    root.clear()  # this trace and everything before it
                    if len(buf["row"]) >= batch_rows:
                        yield flush()
        except ET.ParseError as e:
            raise EventLogError(f"{src.path.name} is not well-formed XES: {e}") from e
    src.absent = [c for f, c in src.columns.items() if c is not None and not seen[f]]
    if n_event and not all(seen[f] for f in REQUIRED):
        missing = [src.columns[f] for f in REQUIRED if not seen[f]]
        raise EventLogError(
            f"{src.path.name}: no trace or event carries {', '.join(map(repr, missing))}; "
            f"name the attribute with --case-col (case:<trace key>), --activity-col or "
            f"--timestamp-col"
        )
    if buf["row"]:
        yield flush()
