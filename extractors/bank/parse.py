"""One statement file → statement lines, bad cells, and what was skipped.

The header row is the first of the top rows that names enough known columns (among them a
serial number, a date or time, and an amount); rows above it are title rows, searched for our
account number and bank. Below it: blank rows are skipped, a footer row (合计 …) ends the
table, a repeated header (multi-page exports) is skipped, and every other row becomes a line
or, when a cell cannot be read, a bad row naming each bad cell with its header text.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

from extractors.bank.mapping import Mapping, normalise_header
from extractors.bank.readers import Row, UnreadableFile, is_blank, read_sheets

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal(10) ** 16  # DECIMAL(18,2)
_CURRENCY = re.compile(r"元|¥|rmb|cny|人民币", re.IGNORECASE)
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")
_DATE_SEP = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:(?:\s+|T)(.+))?$"
)
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:(?:\s+|T)(.+))?$")
_DATETIME_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$")
_TIME = re.compile(r"^(\d{1,2})[:时](\d{1,2})(?:[:分](\d{1,2})(?:\.\d+)?秒?)?$")
_TIME_COMPACT = re.compile(r"^(\d{2})(\d{2})(\d{2})$")
REQUIRED = (("serial_no",), ("txn_date", "txn_time"), ("amount", "debit_amount", "txn_amount"))


class BadValue(ValueError):
    """A cell that cannot be read; the message is the reason."""


@dataclass
class BadCell:
    row: int
    column: str | None  # header text as written in the file
    reason: str
    value: object
    record: dict  # the row as header → cell text


@dataclass
class ParsedFile:
    sheet: str
    header_row: int
    account_no: str | None
    bank_name: str | None
    columns: dict[str, str]  # field → header text
    lines: list[dict] = field(default_factory=list)  # landing fields + source_row
    bad: list[BadCell] = field(default_factory=list)
    blank_rows: int = 0
    footer_row: int | None = None
    ignored_rows: int = 0  # repeated headers and rows after the footer

    @property
    def bad_rows(self) -> int:
        return len({b.row for b in self.bad})


# -- cell values ------------------------------------------------------------------------------


def text(value) -> str | None:
    """A text cell: trimmed; ``="0123"`` and a leading ``'`` (Excel text guards) removed;
    integral numbers without ``.0``; empty → None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return str(value.date()) if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    s = str(value).strip()
    if s.startswith('="') and s.endswith('"'):
        s = s[2:-1].strip()
    if s.startswith("'"):
        s = s[1:].strip()
    return s or None


def amount(value) -> Decimal | None:
    """``1234.5``, ``"1,234.50元"``, ``"¥1,234.50"``, ``"(1,234.50)"`` → Decimal to the cent."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise BadValue(f"not an amount: {value!r}")
    if isinstance(value, (int, float, Decimal)):
        try:
            d = Decimal(str(value)).quantize(CENT, ROUND_HALF_UP)
        except InvalidOperation as e:
            raise BadValue(f"not an amount: {value!r}") from e
    else:
        s = unicodedata.normalize("NFKC", str(value)).strip()
        if not s:
            return None
        s = re.sub(r"[\s,]", "", _CURRENCY.sub("", s))
        negative = False
        if s.startswith("(") and s.endswith(")"):
            negative, s = True, s[1:-1]
        elif s.endswith("-") and _NUMBER.match(s[:-1]):
            negative, s = True, s[:-1]
        if not _NUMBER.match(s):
            raise BadValue(f"not an amount: {value!r}")
        d = Decimal(s)
        if d != d.quantize(CENT, ROUND_HALF_UP):
            raise BadValue(f"more than two decimals: {value!r}")
        d = -d.quantize(CENT) if negative else d.quantize(CENT)
    if not d.is_finite() or abs(d) >= MAX_AMOUNT:
        raise BadValue(f"amount out of range: {value!r}")
    return d


def _time_text(s: str) -> dt.time:
    m = _TIME.match(s) or _TIME_COMPACT.match(s)
    if not m:
        raise BadValue(f"not a time: {s!r}")
    h, mi, se = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    try:
        return dt.time(h, mi, se)
    except ValueError as e:
        raise BadValue(f"not a time: {s!r}") from e


def _date_text(s: str, formats: tuple[str, ...]) -> tuple[dt.date, dt.time | None]:
    """A date (and maybe a time) from text; a non-existent day such as 2025-02-30 is bad."""
    s = unicodedata.normalize("NFKC", s).strip()
    for fmt in formats:
        try:
            v = dt.datetime.strptime(s, fmt)
        except ValueError:
            continue
        return v.date(), v.time() if v.time() != dt.time() else None
    m = _DATETIME_COMPACT.match(s)
    if m:
        y, mo, d, h, mi, se = map(int, m.groups())
        try:
            return dt.date(y, mo, d), dt.time(h, mi, se)
        except ValueError as e:
            raise BadValue(f"not a date: {s!r}") from e
    m = _DATE_SEP.match(s) or _DATE_COMPACT.match(s)
    if not m:
        raise BadValue(f"not a date: {s!r}")
    y, mo, d, rest = int(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4)
    try:
        day = dt.date(y, mo, d)
    except ValueError as e:
        raise BadValue(f"not a date: {s!r}") from e
    return day, _time_text(rest.strip()) if rest else None


def date_cell(value, formats: tuple[str, ...]) -> tuple[dt.date, dt.time | None]:
    """A date cell: an Excel date, ``2025-06-30``, ``2025/6/30``, ``20250630``,
    ``2025年6月30日`` (each maybe with a time)."""
    if isinstance(value, dt.datetime):
        return value.date(), value.time() if value.time() != dt.time() else None
    if isinstance(value, dt.date):
        return value, None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise BadValue(f"not a date: {value!r}")
    return _date_text(value, formats)


def time_cell(value, formats: tuple[str, ...]) -> tuple[dt.date | None, dt.time]:
    """A time cell: a time (``11:08:07``, ``110807``, an Excel time) or a date and time."""
    if isinstance(value, dt.time):
        return None, value.replace(microsecond=0)
    if isinstance(value, dt.datetime):
        return value.date(), value.time().replace(microsecond=0)
    if isinstance(value, int) and not isinstance(value, bool):
        value = f"{value:06d}" if value < 240000 else str(value)
    if not isinstance(value, str):
        raise BadValue(f"not a time: {value!r}")
    s = unicodedata.normalize("NFKC", value).strip()
    try:
        return None, _time_text(s)
    except BadValue:
        pass
    day, t = _date_text(s, formats)
    return day, t or dt.time()


# -- the file -----------------------------------------------------------------------------------


def header_fields(cells: list, lookup: dict[str, str]) -> dict[str, int]:
    """Field → column index of the cells that are known header names (first one wins)."""
    out: dict[str, int] = {}
    for i, c in enumerate(cells):
        if isinstance(c, str):
            f = lookup.get(normalise_header(c))
            if f is not None and f not in out:
                out[f] = i
    return out


def _is_header(found: dict[str, int], mapping: Mapping) -> bool:
    return len(found) >= mapping.min_header_columns and all(
        any(f in found for f in group) for group in REQUIRED
    )


def _find_header(rows: list[Row], mapping: Mapping, lookup: dict[str, str]):
    best: tuple[int, dict[str, int]] = (0, {})
    for k, (_n, cells) in enumerate(rows[: mapping.header_search_rows]):
        found = header_fields(cells, lookup)
        if _is_header(found, mapping):
            return k, found
        if len(found) > len(best[1]):
            best = (k, found)
    return None, best[1]


def _title_value(titles: list[str], patterns) -> str | None:
    for t in titles:
        for rx in patterns:
            m = rx.search(t)
            if m:
                return m.group(1).strip()
    return None


def _account_from_name(path: Path) -> str | None:
    runs = re.findall(r"\d{8,}", path.stem)
    return max(runs, key=len) if runs else None


def _bank_from_name(path: Path) -> str | None:
    first = path.stem.split("_")[0]
    return first if "银行" in first else None


def parse_file(path: Path, mapping: Mapping) -> ParsedFile:
    """Read ``path`` with ``mapping``; raises ``UnreadableFile`` when no sheet has a header."""
    lookup = mapping.lookup()

    def score(cells: list) -> int:
        return len(header_fields(cells, lookup))

    missing_note = ""
    for sheet, rows in read_sheets(path, score):
        k, found = _find_header(rows, mapping, lookup)
        if k is None:
            if found and not missing_note:
                lacks = [" or ".join(g) for g in REQUIRED if not any(f in found for f in g)]
                missing_note = (
                    f"; the best candidate row has {', '.join(sorted(found))} but "
                    f"lacks {'; '.join(lacks) or 'enough known columns'}"
                )
            continue
        return _parse_sheet(path, sheet, rows, k, found, mapping, lookup)
    raise UnreadableFile(
        f"{path.name}: no header row in the first {mapping.header_search_rows} rows of any "
        f"sheet{missing_note}; add the bank's column names to the mapping (--mapping)"
    )


def _parse_sheet(
    path: Path,
    sheet: str,
    rows: list[Row],
    k: int,
    cols: dict[str, int],
    mapping: Mapping,
    lookup: dict[str, str],
) -> ParsedFile:
    header_row, header_cells = rows[k]
    names = {f: str(header_cells[i]).strip() for f, i in cols.items()}
    titles = [str(c) for _n, cells in rows[:k] for c in cells if c not in (None, "")]
    account = _title_value(titles, mapping.account_patterns)
    account = re.sub(r"[\s-]", "", account) if account else _account_from_name(path)
    if account is None and "account_no" not in cols:
        raise UnreadableFile(
            f"{path.name}: cannot tell our account number: no account line above the header "
            "(账号：…), no account column and no 8+ digit number in the file name"
        )
    bank = _title_value(titles, mapping.bank_patterns) or _bank_from_name(path)
    out = ParsedFile(sheet, header_row, account, bank, names)
    width = len(header_cells)
    serial_at = cols["serial_no"]
    serial_header = header_cells[serial_at]
    for n, cells in rows[k + 1 :]:
        if out.footer_row is not None:
            out.ignored_rows += 0 if is_blank(cells) else 1
            continue
        if is_blank(cells):
            out.blank_rows += 1
            continue
        first = next(c for c in cells if c is not None and (not isinstance(c, str) or c.strip()))
        if isinstance(first, str) and normalise_header(first[:64]).startswith(mapping.footer):
            out.footer_row = n
            continue
        if (  # the header again (multi-page exports)
            serial_at < len(cells)
            and cells[serial_at] == serial_header
            and header_fields(cells, lookup) == cols
        ):
            out.ignored_rows += 1
            continue
        cells = list(cells) + [None] * (width - len(cells))
        _parse_row(out, n, cells, header_cells, cols, mapping)
    return out


def _parse_row(
    out: ParsedFile, n: int, cells: list, header_cells: list, cols: dict[str, int], mapping: Mapping
) -> None:
    names = out.columns
    bad: list[tuple[str | None, str, object]] = []

    def cell(f: str):
        i = cols.get(f)
        v = None if i is None else cells[i]
        return None if isinstance(v, str) and not v.strip() else v

    def read(f: str, fn):
        try:
            return fn(cell(f))
        except BadValue as e:
            bad.append((names[f], str(e), cell(f)))
            return None

    serial = text(cell("serial_no"))
    if serial is None:
        bad.append((names["serial_no"], "missing serial number", None))

    # date and time
    when: dt.datetime | None = None
    day = t = None
    date_ok = True
    if cell("txn_date") is not None:
        try:
            day, t = date_cell(cell("txn_date"), mapping.date_formats)
        except BadValue as e:
            bad.append((names["txn_date"], str(e), cell("txn_date")))
            date_ok = False
    if cell("txn_time") is not None:
        try:
            tday, tt = time_cell(cell("txn_time"), mapping.date_formats)
            day, t = day or tday, tt
        except BadValue as e:
            bad.append((names["txn_time"], str(e), cell("txn_time")))
            date_ok = False
    if day is None and date_ok:
        col = names.get("txn_date") or names["txn_time"]
        bad.append((col, "missing date", None))
    elif day is not None:
        when = dt.datetime.combine(day, t or dt.time())

    account = text(cell("account_no")) or out.account_no
    if account is None:
        bad.append((names["account_no"], "missing account number", None))

    credit = read("amount", amount)
    debit = read("debit_amount", amount)
    signed = read("txn_amount", amount)
    if signed is not None:
        flag = text(cell("direction"))
        if "direction" not in cols or flag is None:
            credit, debit = (signed, debit) if signed >= 0 else (credit, -signed)
        elif normalise_header(flag) in mapping.credit:
            credit = signed
        elif normalise_header(flag) in mapping.debit:
            debit = abs(signed)
        else:
            bad.append((names["direction"], f"unknown debit/credit flag: {flag!r}", flag))
    amount_cols = [f for f in ("amount", "txn_amount", "debit_amount") if f in cols]
    if (
        credit is None
        and debit is None
        and not any(c == names[f] for f in amount_cols for c, _r, _v in bad)
    ):
        bad.append((names[amount_cols[0]], "missing amount", None))
    balance = read("balance", amount)

    if bad:
        record = {
            str(h if h is not None else f"col{i + 1}"): text(c)
            for i, (h, c) in enumerate(zip(header_cells, cells, strict=False))
        }
        out.bad.extend(BadCell(n, col, reason, value, record) for col, reason, value in bad)
        return
    out.lines.append(
        {
            "serial_no": serial,
            "account_no": account,
            "bank_name": out.bank_name,
            "txn_time": when.strftime("%Y-%m-%d %H:%M:%S"),
            "payer_name": text(cell("payer_name")),
            "payer_account": text(cell("payer_account")),
            "payer_bank": text(cell("payer_bank")),
            "amount": credit,
            "debit_amount": debit,
            "balance": balance,
            "memo": text(cell("memo")),
            "source_row": n,
        }
    )
