"""Raw rows of a statement file: .xlsx (openpyxl, read-only), .xls (xlrd) and .csv/.txt.

Every reader gives sheets of ``(row number, cells)`` with 1-based physical row numbers (the
sheet row, or the first line of the CSV record) and cells as Python values: ``str``, ``int``,
``float``, ``datetime``/``date``/``time`` or ``None``. The format is told by the file's first
bytes (a ``.xls`` that is really an xlsx still opens), else by its extension.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator
from pathlib import Path

Row = tuple[int, list]
Sheet = tuple[str, list[Row]]

_ZIP = b"PK\x03\x04"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
DELIMITERS = (",", "\t", ";", "|")
SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv", ".txt")


class UnreadableFile(ValueError):
    """The file is not a statement file we can read; the message says why."""


def file_format(path: Path, head: bytes) -> str:
    if head.startswith(_ZIP):
        return "xlsx"
    if head.startswith(_OLE2):
        return "xls"
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls"):
        if head.lstrip()[:1] == b"<":
            raise UnreadableFile(
                f"{path.name} is HTML saved as {suffix}, not a workbook: "
                "open it in Excel and save it as .xlsx"
            )
        raise UnreadableFile(f"{path.name} is not an Excel workbook (unknown file signature)")
    return "csv"


def read_sheets(path: Path, header_score: Callable[[list], int]) -> Iterator[Sheet]:
    """The sheets of ``path``; ``header_score`` picks a CSV's delimiter (the one whose rows
    look most like a header)."""
    with path.open("rb") as f:
        head = f.read(8)
    fmt = file_format(path, head)
    if fmt == "xlsx":
        yield from _xlsx(path)
    elif fmt == "xls":
        yield from _xls(path)
    else:
        yield path.name, _csv(path, header_score)


def _xlsx(path: Path) -> Iterator[Sheet]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds for a broken zip
        raise UnreadableFile(f"{path.name}: cannot open the workbook: {e}") from e
    try:
        for ws in wb.worksheets:
            if not hasattr(ws, "iter_rows"):  # chartsheets
                continue
            ws.reset_dimensions()  # some exports write a wrong <dimension>: read every row
            rows = [(i, list(r)) for i, r in enumerate(ws.iter_rows(values_only=True), 1)]
            yield ws.title, rows
    finally:
        wb.close()


def _xls(path: Path) -> Iterator[Sheet]:
    import xlrd

    try:
        book = xlrd.open_workbook(path, on_demand=True)
    except xlrd.XLRDError as e:
        raise UnreadableFile(f"{path.name}: cannot open the .xls workbook: {e}") from e
    try:
        for idx in range(book.nsheets):
            sh = book.sheet_by_index(idx)
            rows = []
            for r in range(sh.nrows):
                cells = []
                for c in sh.row(r):
                    if c.ctype == xlrd.XL_CELL_DATE:
                        v = xlrd.xldate_as_datetime(c.value, book.datemode)
                        cells.append(v.time() if c.value < 1 else v)
                    elif c.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                        cells.append(None)
                    elif c.ctype == xlrd.XL_CELL_NUMBER and float(c.value).is_integer():
                        cells.append(int(c.value))
                    elif c.ctype in (xlrd.XL_CELL_ERROR, xlrd.XL_CELL_BOOLEAN):
                        cells.append(str(c.value))
                    else:
                        cells.append(c.value)
                rows.append((r + 1, cells))
            yield sh.name, rows
            book.unload_sheet(idx)
    finally:
        book.release_resources()


def decode(raw: bytes) -> tuple[str, str]:
    """Text and encoding: a BOM wins (UTF-8, UTF-16); else UTF-8 if it decodes; else GB18030
    (a superset of GBK and GB2312, which Chinese bank exports use)."""
    for bom, enc in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if raw.startswith(bom):
            return raw.decode(enc), enc
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as e:
        raise UnreadableFile(
            f"not UTF-8, UTF-16 or GBK/GB18030 text (bad byte at {e.start})"
        ) from e


def _records(text: str, delimiter: str) -> list[Row]:
    rows: list[Row] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 0
    for rec in reader:
        rows.append((line + 1, rec))
        line = reader.line_num
    return rows


def _csv(path: Path, header_score: Callable[[list], int]) -> list[Row]:
    text, _enc = decode(path.read_bytes())
    head = "".join(text.splitlines(keepends=True)[:60])
    best: tuple[int, str] | None = None
    for d in DELIMITERS:
        if d not in head:
            continue
        score = max((header_score(cells) for _n, cells in _records(head, d)), default=0)
        if best is None or score > best[0]:
            best = (score, d)
    if best is None:  # one column, no delimiter at all
        return [(i, [ln]) for i, ln in enumerate(text.splitlines(), 1)]
    try:
        return _records(text, best[1])
    except csv.Error as e:
        raise UnreadableFile(f"{path.name}: broken CSV: {e}") from e


def is_blank(cells: list) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)
