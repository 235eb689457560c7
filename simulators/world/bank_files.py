"""Weekly bank statement files dropped in the inbox, with the mess real bank exports have.

``write_statement_files`` writes one file per company account (``constants.BANK_ACCOUNTS``)
per ISO week (Monday–Sunday) whose Sunday lies in ``[first_day, last_day]``; weeks that have
not ended by ``last_day`` are not written. Each file holds that account's statement lines of
the week in time order. Two house styles:

* ``xlsx`` (招商银行 style): a merged title row 「招商银行账户交易明细」, a merged account/period
  row, sometimes an empty row, then the header 交易日期, 交易时间, 交易流水号, 对方户名, 对方账号,
  对方开户行, 借方金额, 贷方金额, 余额, 摘要. Dates are Excel date cells, times text, amounts
  numbers formatted ``#,##0.00`` — except some amounts written as text such as ``1,234.50元``
  (``formatted_amount``, parseable). Empty rows in the middle (``blank_row``).
* ``csv`` (工商银行 style): GBK, CRLF, a title line and an account/period line, the header
  交易时间, 流水号, 对方单位名称, 对方账号, 对方开户行, 收入金额, 支出金额, 余额, 摘要, amounts with
  thousands separators (``"1,234.50"``), blank lines in the middle (empty or all commas) and a
  合计 footer line (``footer_row``).

Defects planted across the statement history (each kind at most about once per account per
45 weeks, in the week given by a hash of the account and the kind, and only when the week has
lines to spoil):

* ``duplicate_serial`` — the last line of the previous week appears again as the first data row
  (the export overlapped the previous period);
* ``text_amount`` — a credit amount cell holds text such as ``见附件``;
* ``bad_date`` — a date cell holds an unparseable date such as ``2026-11-32``.

Which rows, formats and variants are used is derived from a SHA-256 hash of the file name,
so regenerating gives byte-identical files: the CSV is plain text, and the xlsx has fixed
document properties (created/modified = the Monday after the week, 08:00) and zip entries
with a fixed timestamp (same zlib → same bytes).

The returned truth records (row numbers are 1-based physical rows of the sheet or lines of the
file; ``column`` is the header text as written in that file):

* ``{"file", "kind": "file", "account_no", "week", "format", "lines", "rows", "header_row",
  "footer_row"}`` — one per file; ``lines`` = genuine statement lines of the week, ``rows`` =
  data rows written (``lines`` + planted duplicates);
* ``{"file", "row", "column", "kind": "duplicate_serial", "serial_no", "original_file"}``;
* ``{"file", "row", "column", "kind": "text_amount", "serial_no", "value", "amount"}``;
* ``{"file", "row", "column", "kind": "bad_date", "serial_no", "value", "txn_time"}``;
* ``{"file", "row", "column", "kind": "formatted_amount", "serial_no", "value", "amount"}``;
* ``{"file", "row", "kind": "blank_row"}`` and ``{"file", "row", "kind": "footer_row"}``.

``lines`` must contain every line of each written week *and of the week before it* (for the
duplicate); passing the whole statement history is fine — lines are selected by account and
``_day`` here.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.compute as pc
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from simulators.world import constants as C
from simulators.world.workcal import date_of_day

XLSX_HEADERS = [
    "交易日期",
    "交易时间",
    "交易流水号",
    "对方户名",
    "对方账号",
    "对方开户行",
    "借方金额",
    "贷方金额",
    "余额",
    "摘要",
]
CSV_HEADERS = [
    "交易时间",
    "流水号",
    "对方单位名称",
    "对方账号",
    "对方开户行",
    "收入金额",
    "支出金额",
    "余额",
    "摘要",
]
# Which header holds what, per format.
COLUMN = {
    "xlsx": {"date": "交易日期", "serial": "交易流水号", "amount": "贷方金额"},
    "csv": {"date": "交易时间", "serial": "流水号", "amount": "收入金额"},
}
DEFECTS = ("duplicate_serial", "text_amount", "bad_date")
DEFECT_PERIOD_WEEKS = 45
TEXT_AMOUNTS = ["见附件", "详见回单", "待确认"]
FORMATTED_AMOUNT_SHARE = 0.15  # xlsx amounts written as "1,234.50元"
_FIELDS = [
    "serial_no",
    "account_no",
    "txn_time",
    "payer_name",
    "payer_account",
    "payer_bank",
    "amount",
    "memo",
    "balance",
    "_day",
]


def _h(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256("|".join(map(str, parts)).encode()).digest()[:8], "big")


def _u(*parts: object) -> float:
    return _h(*parts) / 2.0**64


def short_bank_name(name: str) -> str:
    """Short bank name for file names: ``中国工商银行南京江北新区支行`` → ``工商银行``."""
    m = re.match(r"(?:中国)?(.+?银行)", name)
    return m.group(1) if m else name


def week_label(sunday: int) -> str:
    y, w, _ = date_of_day(sunday).isocalendar()
    return f"{y}W{w:02d}"


def file_name(account: tuple[str, str, str], sunday: int) -> str:
    bank, account_no, fmt = account
    return f"{short_bank_name(bank)}_{account_no}_{week_label(sunday)}.{fmt}"


def sundays(first_day: int, last_day: int) -> list[int]:
    """Local day numbers of the Sundays in ``[first_day, last_day]`` (day 3 was a Sunday)."""
    s = first_day + (3 - first_day) % 7
    return list(range(s, last_day + 1, 7))


def planted_defects(account_no: str, sunday: int) -> list[str]:
    """The defect kinds scheduled for this account's statement of the week ending ``sunday``."""
    week = (sunday + 3) // 7
    return [
        k
        for k in DEFECTS
        if week % DEFECT_PERIOD_WEEKS == _h("bank-defect", account_no, k) % DEFECT_PERIOD_WEEKS
    ]


def _fmt_amount(x: float) -> str:
    return f"{x:,.2f}"


def _bad_date(name: str, txn_time: str) -> str:
    y, m, d = txn_time[:4], txn_time[5:7], int(txn_time[8:10])
    variants = [f"{y}-{m}-32", "0000-00-00", f"{y}-13-{d:02d}", f"{y}{m}{d:02d}{d:02d}"]
    return variants[_h(name, "bad-date-variant") % len(variants)]


def _layout(
    name: str, week_lines: list[dict], prev_last: dict | None, defects: list[str]
) -> tuple[list[tuple[str, dict, dict]], int]:
    """Data rows in order: (kind, line, spoil) with kind ``line``/``dup``/``blank``.

    ``spoil`` maps ``"amount"``/``"date"`` to the planted text. Returns rows and #blank rows.
    """
    data: list[tuple[str, dict, dict]] = []
    if "duplicate_serial" in defects and prev_last is not None:
        data.append(("dup", prev_last, {}))
    data += [("line", ln, {}) for ln in week_lines]
    # Defects on distinct genuine lines.
    idx = [i for i, (k, _ln, _s) in enumerate(data) if k == "line"]
    used: set[int] = set()
    for kind in ("text_amount", "bad_date"):
        if kind not in defects or len(used) >= len(idx):
            continue
        free = [i for i in idx if i not in used]
        i = free[_h(name, kind, "row") % len(free)]
        used.add(i)
        line = data[i][1]
        if kind == "text_amount":
            data[i][2]["amount"] = TEXT_AMOUNTS[_h(name, "text-variant") % len(TEXT_AMOUNTS)]
        else:
            data[i][2]["date"] = _bad_date(name, line["txn_time"])
    # Blank rows in the middle (never first or last): 0–2 per file.
    n_blank = _h(name, "blanks") % 3 if len(data) >= 3 else 0
    for j in range(n_blank):
        pos = 1 + _h(name, "blank", j) % (len(data) - 1)
        data.insert(pos, ("blank", {}, {}))
    return data, n_blank


def _week_truth(name, fmt, sunday, account_no, n_lines, n_rows, header_row, footer_row):
    return {
        "file": name,
        "kind": "file",
        "account_no": account_no,
        "week": week_label(sunday),
        "format": fmt,
        "lines": n_lines,
        "rows": n_rows,
        "header_row": header_row,
        "footer_row": footer_row,
    }


def _row_truth(name, fmt, row, kind, line, spoil, prev_name, truth):
    cols = COLUMN[fmt]
    if kind == "blank":
        truth.append({"file": name, "row": row, "kind": "blank_row"})
        return
    if kind == "dup":
        truth.append(
            {
                "file": name,
                "row": row,
                "column": cols["serial"],
                "kind": "duplicate_serial",
                "serial_no": line["serial_no"],
                "original_file": prev_name,
            }
        )
    if "amount" in spoil:
        truth.append(
            {
                "file": name,
                "row": row,
                "column": cols["amount"],
                "kind": "text_amount",
                "serial_no": line["serial_no"],
                "value": spoil["amount"],
                "amount": line["amount"],
            }
        )
    elif "formatted" in spoil:
        truth.append(
            {
                "file": name,
                "row": row,
                "column": cols["amount"],
                "kind": "formatted_amount",
                "serial_no": line["serial_no"],
                "value": spoil["formatted"],
                "amount": line["amount"],
            }
        )
    if "date" in spoil:
        truth.append(
            {
                "file": name,
                "row": row,
                "column": cols["date"],
                "kind": "bad_date",
                "serial_no": line["serial_no"],
                "value": spoil["date"],
                "txn_time": line["txn_time"],
            }
        )


# -- xlsx (招商银行) -------------------------------------------------------------------------

_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def _deterministic_zip(raw: bytes, when: dt.datetime) -> bytes:
    """Rewrite an xlsx zip with fixed entry timestamps and fixed core-property dates.

    ``when`` is local (Asia/Shanghai) time; zip entry times are local by convention, the
    core properties are written in UTC as Excel does.
    """
    stamp = (when - dt.timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M:%SZ")  # local → UTC
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(raw)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = data.decode("utf-8")
                text = re.sub(
                    r"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)",
                    lambda m: m.group(1) + stamp + m.group(3),
                    text,
                )
                data = text.encode("utf-8")
            zi = zipfile.ZipInfo(info.filename, date_time=max(_ZIP_EPOCH, when.timetuple()[:6]))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.create_system = 0
            zi.external_attr = 0
            dst.writestr(zi, data)
    return out.getvalue()


def _write_xlsx(path: Path, name: str, account, sunday: int, data, truth) -> tuple[int, int]:
    bank, account_no, _fmt = account
    monday = sunday - 6
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "交易明细"
    ncol = len(XLSX_HEADERS)
    last_col = get_column_letter(ncol)
    ws["A1"] = "招商银行账户交易明细"
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.merge_cells(f"A1:{last_col}1")
    period = f"{date_of_day(monday):%Y-%m-%d} 至 {date_of_day(sunday):%Y-%m-%d}"
    ws["A2"] = (
        f"账号：{account_no}    户名：{C.COMPANY_NAME}    开户行：{bank}    "
        f"币种：人民币    查询期间：{period}"
    )
    ws.merge_cells(f"A2:{last_col}2")
    header_row = 4 if _h(name, "gap-before-header") % 2 else 3
    for j, hname in enumerate(XLSX_HEADERS, start=1):
        cell = ws.cell(row=header_row, column=j, value=hname)
        cell.font = Font(bold=True)
    row = header_row
    for kind, line, spoil in data:
        row += 1
        if kind != "blank":
            txn = line["txn_time"]
            if "date" in spoil:
                date_value: object = spoil["date"]
            else:
                date_value = dt.date(int(txn[:4]), int(txn[5:7]), int(txn[8:10]))
            if "amount" in spoil:
                amount_value: object = spoil["amount"]
            elif _u(name, "fmt-amount", row) < FORMATTED_AMOUNT_SHARE:
                amount_value = spoil["formatted"] = f"{_fmt_amount(line['amount'])}元"
            else:
                amount_value = line["amount"]
            values = [
                date_value,
                txn[11:19],
                line["serial_no"],
                line["payer_name"],
                line["payer_account"],
                line["payer_bank"],
                None,
                amount_value,
                line["balance"],
                line["memo"],
            ]
            for j, v in enumerate(values, start=1):
                cell = ws.cell(row=row, column=j, value=v)
                if isinstance(v, float):
                    cell.number_format = "#,##0.00"
                elif isinstance(v, dt.date):
                    cell.number_format = "yyyy-mm-dd"
        _row_truth(name, "xlsx", row, kind, line, spoil, file_name(account, sunday - 7), truth)
    for j, width in enumerate([12, 10, 22, 36, 24, 30, 14, 14, 16, 30], start=1):
        ws.column_dimensions[get_column_letter(j)].width = width
    # Fixed metadata: produced the Monday after the week at 08:00.
    produced = dt.datetime.combine(date_of_day(sunday + 1), dt.time(8, 0))
    wb.properties.creator = "招商银行企业网银"
    wb.properties.lastModifiedBy = "招商银行企业网银"
    wb.properties.created = produced
    wb.properties.modified = produced
    buf = io.BytesIO()
    wb.save(buf)
    _atomic_write(path, _deterministic_zip(buf.getvalue(), produced))
    return header_row, 0


# -- csv (工商银行) --------------------------------------------------------------------------


def _write_csv(path: Path, name: str, account, sunday: int, data, truth) -> tuple[int, int]:
    bank, account_no, _fmt = account
    monday = sunday - 6
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(["中国工商银行账户历史明细查询"])
    w.writerow(
        [
            f"账号:{account_no}",
            f"户名:{C.COMPANY_NAME}",
            f"开户行:{bank}",
            f"起始日期:{date_of_day(monday):%Y-%m-%d}",
            f"终止日期:{date_of_day(sunday):%Y-%m-%d}",
        ]
    )
    w.writerow(CSV_HEADERS)
    header_row = 3
    row = header_row
    total = 0.0
    all_commas = _h(name, "blank-style") % 2 == 1
    for kind, line, spoil in data:
        row += 1
        if kind == "blank":
            w.writerow([""] * len(CSV_HEADERS) if all_commas else [])
        else:
            txn = line["txn_time"]
            when = f"{spoil['date']} {txn[11:19]}" if "date" in spoil else txn
            if "date" in spoil:
                spoil["date"] = when
            amount = spoil.get("amount") or _fmt_amount(line["amount"])
            balance = "" if line["balance"] is None else _fmt_amount(line["balance"])
            w.writerow(
                [
                    when,
                    line["serial_no"],
                    line["payer_name"],
                    line["payer_account"],
                    line["payer_bank"],
                    amount,
                    "",
                    balance,
                    line["memo"],
                ]
            )
            if kind == "line":
                total += line["amount"]
        _row_truth(name, "csv", row, kind, line, spoil, file_name(account, sunday - 7), truth)
    row += 1
    n_lines = sum(1 for k, _l, _s in data if k == "line")
    w.writerow(["合计", "", "", "", "", _fmt_amount(total), "0.00", "", f"共{n_lines}笔"])
    truth.append({"file": name, "row": row, "kind": "footer_row"})
    _atomic_write(path, out.getvalue().encode("gbk", errors="replace"))
    return header_row, row


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


# -- entry point -----------------------------------------------------------------------------


def write_statement_files(
    lines: pa.Table, inbox: Path, first_day: int, last_day: int
) -> list[dict]:
    """Write the weekly statement files for weeks ending in ``[first_day, last_day]``.

    Returns the truth records (see the module docstring), files in account then week order.
    """
    inbox = Path(inbox)
    inbox.mkdir(parents=True, exist_ok=True)
    weeks = sundays(first_day, last_day)
    truth: list[dict] = []
    if not weeks:
        return truth
    lo, hi = weeks[0] - 13, weeks[-1]
    have = [f for f in _FIELDS if f in lines.column_names]
    for account in C.BANK_ACCOUNTS:
        _bank, account_no, fmt = account
        mask = pc.and_(
            pc.equal(lines["account_no"], account_no),
            pc.and_(pc.greater_equal(lines["_day"], lo), pc.less_equal(lines["_day"], hi)),
        )
        rows = lines.filter(mask).select(have).to_pylist()
        for r in rows:
            r.setdefault("balance", None)
            for f in ("payer_name", "payer_account", "payer_bank", "memo"):
                r[f] = r.get(f) or ""
        rows.sort(key=lambda r: (r["txn_time"], r["serial_no"]))
        by_week: dict[int, list[dict]] = {}
        for r in rows:
            sunday = r["_day"] + (3 - r["_day"]) % 7
            by_week.setdefault(sunday, []).append(r)
        for sunday in weeks:
            name = file_name(account, sunday)
            week_lines = by_week.get(sunday, [])
            prev = by_week.get(sunday - 7)
            data, _ = _layout(
                name, week_lines, prev[-1] if prev else None, planted_defects(account_no, sunday)
            )
            file_truth: list[dict] = []
            writer = _write_xlsx if fmt == "xlsx" else _write_csv
            header_row, footer_row = writer(inbox / name, name, account, sunday, data, file_truth)
            n_rows = sum(1 for k, _l, _s in data if k != "blank")
            truth.append(
                _week_truth(
                    name,
                    fmt,
                    sunday,
                    account_no,
                    len(week_lines),
                    n_rows,
                    header_row,
                    footer_row or None,
                )
            )
            truth.extend(file_truth)
    return truth
