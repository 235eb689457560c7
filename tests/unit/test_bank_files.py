"""Weekly bank statement files: layout, planted mess where the truth says, determinism."""

from __future__ import annotations

import csv
import datetime as dt
import re
import time
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import numpy as np
import openpyxl
import pyarrow as pa
import pytest

from simulators.world import constants as C
from simulators.world import workcal as wc
from simulators.world.bank_files import (
    CSV_HEADERS,
    XLSX_HEADERS,
    file_name,
    planted_defects,
    sundays,
    write_statement_files,
)

START = wc.day_of_date(date(2024, 1, 1))  # a Monday
N_DAYS = 424  # ends on a Thursday: the last week has not ended
PAYERS = [
    ("复旦大学", "31050161393600000123", "中国建设银行上海徐汇支行"),
    ("上海康瑞生物制药有限公司", "1001202319000456789", "中国工商银行上海张江支行"),
    ("四川大学华西医院", "51001408436051500234", "中国建设银行成都高新支行"),
]


def _lines() -> pa.Table:
    rng = np.random.default_rng(7)
    rows = []
    for ai, (bank, account_no, _fmt) in enumerate(C.BANK_ACCOUNTS):
        balance = 2_000_000.0 + ai
        k = 0
        for day in range(START, START + N_DAYS):
            if not wc.is_workday(day) or (day - START) // 7 == 20:  # week 21 is empty
                continue
            for _ in range(int(rng.poisson(2.5))):
                k += 1
                t = day * wc.DAY + 9 * wc.HOUR + int(rng.integers(0, 9 * wc.HOUR))
                amount = round(float(rng.lognormal(10.5, 1.0)), 2)
                payer = PAYERS[int(rng.integers(len(PAYERS)))]
                rows.append(
                    {
                        "_t": t,
                        "serial_no": f"{ai + 1}{day}{k:06d}",
                        "account_no": account_no,
                        "bank_name": bank,
                        "payer_name": payer[0],
                        "payer_account": payer[1],
                        "payer_bank": payer[2],
                        "amount": amount,
                        "memo": "货款",
                        "_day": day,
                    }
                )
        # Running balance in time order.
        mine = sorted((r for r in rows if r["account_no"] == account_no), key=lambda r: r["_t"])
        for r in mine:
            balance = round(balance + r["amount"], 2)
            r["balance"] = balance
    rows.sort(key=lambda r: (r["_t"], r["serial_no"]))
    epoch = dt.datetime(1970, 1, 1)
    for r in rows:
        r["txn_time"] = (epoch + dt.timedelta(seconds=r.pop("_t"))).strftime("%Y-%m-%d %H:%M:%S")
    return pa.Table.from_pylist(rows)


LINES = _lines()
FIRST, LAST = START, START + N_DAYS - 1


def _read(path: Path) -> list[list]:
    """Physical rows of a file (1-based row r is element r-1), cells as written."""
    if path.suffix == ".xlsx":
        ws = openpyxl.load_workbook(path).active
        return [list(r) for r in ws.iter_rows(values_only=True)]
    text = path.read_bytes().decode("gbk")
    assert text.endswith("\r\n")
    return [next(csv.reader([ln])) if ln else [] for ln in text[:-2].split("\r\n")]


def _cell(rows, header_row, row, column):
    return rows[row - 1][rows[header_row - 1].index(column)]


def _is_blank(row) -> bool:
    return all(v is None or v == "" for v in row)


def _parse_amount(v) -> float:
    if isinstance(v, float | int):
        return float(v)
    return float(v.replace(",", "").removesuffix("元"))


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    inbox = tmp_path_factory.mktemp("inbox")
    truth = write_statement_files(LINES, inbox, FIRST, LAST)
    return inbox, truth


def test_one_file_per_account_per_ended_week(written):
    inbox, truth = written
    weeks = sundays(FIRST, LAST)
    expected = {file_name(a, s) for a in C.BANK_ACCOUNTS for s in weeks}
    assert {p.name for p in inbox.iterdir()} == expected
    assert {t["file"] for t in truth if t["kind"] == "file"} == expected
    assert "招商银行_125905112310901_2024W01.xlsx" in expected
    assert "工商银行_4301015209100123456_2024W01.csv" in expected
    # LAST is not a Sunday: its week has not ended and is not written.
    assert wc.date_of_day(LAST).weekday() != 6
    assert all(s <= LAST for s in weeks)
    assert weeks[-1] + 7 > LAST


def test_header_found_under_title_rows_and_lines_complete(written):
    inbox, truth = written
    serials_by_file: dict[str, list[str]] = {}
    for rec in (t for t in truth if t["kind"] == "file"):
        rows = _read(inbox / rec["file"])
        headers = XLSX_HEADERS if rec["format"] == "xlsx" else CSV_HEADERS
        first = headers[0]
        found = next(i + 1 for i, r in enumerate(rows) if r and r[0] == first)
        assert found == rec["header_row"] >= 3
        assert [h for h in rows[found - 1] if h] == headers
        if rec["format"] == "xlsx":
            assert rows[0][0] == "招商银行账户交易明细"
            ws = openpyxl.load_workbook(inbox / rec["file"]).active
            assert "A1:J1" in {str(r) for r in ws.merged_cells.ranges}
        else:
            assert "工商银行" in rows[0][0]
            assert rows[rec["footer_row"] - 1][0] == "合计"
        end = rec["footer_row"] - 1 if rec["footer_row"] else len(rows)
        data = [r for r in rows[found:end] if not _is_blank(r)]
        assert len(data) == rec["rows"]
        serial_col = headers.index("交易流水号" if rec["format"] == "xlsx" else "流水号")
        serials = [r[serial_col] for r in data]
        n_dup = sum(
            1 for t in truth if t["file"] == rec["file"] and t["kind"] == "duplicate_serial"
        )
        assert len(set(serials)) == len(serials) == rec["rows"] == rec["lines"] + n_dup
        serials_by_file[rec["file"]] = serials
    # Every statement line of a written week is in its account's file of that week.
    weeks = set(sundays(FIRST, LAST))
    for acct in C.BANK_ACCOUNTS:
        want: dict[str, set] = defaultdict(set)
        for r in LINES.to_pylist():
            sunday = r["_day"] + (3 - r["_day"]) % 7
            if r["account_no"] == acct[1] and sunday in weeks:
                want[file_name(acct, sunday)].add(r["serial_no"])
        for name, serials in want.items():
            dups = {
                t["serial_no"]
                for t in truth
                if t["file"] == name and t["kind"] == "duplicate_serial"
            }
            assert set(serials_by_file[name]) - dups == serials


def test_empty_week_still_written(written):
    inbox, truth = written
    sunday = START + 20 * 7 + 6
    for acct in C.BANK_ACCOUNTS:
        rec = next(t for t in truth if t["kind"] == "file" and t["file"] == file_name(acct, sunday))
        assert rec["lines"] == 0
        assert (inbox / rec["file"]).exists()


def test_rows_in_time_order_and_amounts_parse(written):
    inbox, truth = written
    spoiled = {(t["file"], t["row"]) for t in truth if t["kind"] in ("bad_date", "text_amount")}
    by_serial = {r["serial_no"]: r for r in LINES.to_pylist()}
    for rec in (t for t in truth if t["kind"] == "file"):
        rows = _read(inbox / rec["file"])
        hr = rec["header_row"]
        header = rows[hr - 1]
        stamps = []
        end = rec["footer_row"] - 1 if rec["footer_row"] else len(rows)
        for i in range(hr, end):
            r = rows[i]
            if _is_blank(r) or (rec["file"], i + 1) in spoiled:
                continue
            if rec["format"] == "xlsx":
                d, tm, serial = r[0], r[1], r[2]
                stamps.append(f"{d:%Y-%m-%d} {tm}")
                amount = r[header.index("贷方金额")]
                assert r[header.index("借方金额")] is None
            else:
                stamps.append(r[0])
                serial = r[1]
                amount = r[header.index("收入金额")]
                assert re.fullmatch(r"\d{1,3}(,\d{3})*\.\d\d", amount)
            line = by_serial[serial]
            assert _parse_amount(amount) == pytest.approx(line["amount"])
            assert stamps[-1] == line["txn_time"]
            bal = r[header.index("余额")]
            assert _parse_amount(bal) == pytest.approx(line["balance"])
        assert stamps == sorted(stamps)


def test_planted_mess_is_where_truth_says(written):
    inbox, truth = written
    header_of = {t["file"]: t["header_row"] for t in truth if t["kind"] == "file"}
    counts = Counter(t["kind"] for t in truth)
    for kind in ("duplicate_serial", "text_amount", "bad_date"):
        assert 1 <= counts[kind] <= 6, (kind, counts[kind])
    assert counts["blank_row"] > 10
    assert counts["formatted_amount"] > 10
    cache: dict[str, list] = {}
    for t in truth:
        if t["kind"] == "file":
            continue
        rows = cache.setdefault(t["file"], _read(inbox / t["file"]))
        hr = header_of[t["file"]]
        assert t["row"] > hr
        kind = t["kind"]
        if kind == "blank_row":
            assert _is_blank(rows[t["row"] - 1])
            continue
        if kind == "footer_row":
            assert rows[t["row"] - 1][0] == "合计"
            continue
        value = _cell(rows, hr, t["row"], t["column"])
        if kind == "duplicate_serial":
            assert value == t["serial_no"]
            orig = cache.setdefault(t["original_file"], _read(inbox / t["original_file"]))
            assert any(t["serial_no"] in r for r in orig)
            # It is the first data row of the later file.
            assert t["row"] == hr + 1
        elif kind == "text_amount":
            assert value == t["value"]
            with pytest.raises(ValueError, match="could not convert"):
                _parse_amount(value)
        elif kind == "formatted_amount":
            assert value == t["value"]
            assert value.endswith("元")
            assert ("," in value) == (t["amount"] >= 1000)
            assert _parse_amount(value) == pytest.approx(t["amount"])
        elif kind == "bad_date":
            assert value == t["value"]
            assert isinstance(value, str)
            fmt = "%Y-%m-%d" if t["file"].endswith(".xlsx") else "%Y-%m-%d %H:%M:%S"
            with pytest.raises(ValueError, match=r"does not match|out of range|unconverted"):
                dt.datetime.strptime(value, fmt)
        else:  # pragma: no cover
            raise AssertionError(kind)


def test_defect_schedule_is_sparse():
    for acct in C.BANK_ACCOUNTS:
        hits = Counter(
            k for s in sundays(START, START + 3 * 365) for k in planted_defects(acct[1], s)
        )
        assert all(1 <= n <= 4 for n in hits.values()), hits


def test_csv_is_gbk(written):
    inbox, _truth = written
    path = next(p for p in inbox.iterdir() if p.suffix == ".csv")
    raw = path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert "流水号" in raw.decode("gbk")


def test_regenerating_is_byte_identical_and_incremental(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    first, last = START + 7 * 30, START + 7 * 36 + 2
    ta = write_statement_files(LINES, a, first, last)
    time.sleep(2.1)  # zip timestamps have a 2-second resolution
    tb = write_statement_files(LINES, b, first, last)
    mid = START + 7 * 33 + 1
    tc = write_statement_files(LINES, c, first, mid) + write_statement_files(
        LINES, c, mid + 1, last
    )
    assert ta == tb
    assert sorted(map(repr, ta)) == sorted(map(repr, tc))
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir()) == sorted(p.name for p in c.iterdir())
    assert any(n.endswith(".xlsx") for n in names)
    for n in names:
        assert (a / n).read_bytes() == (b / n).read_bytes() == (c / n).read_bytes(), n
    # Document properties carry the fixed production time, not "now".
    xlsx = next(a / n for n in names if n.endswith(".xlsx"))
    props = openpyxl.load_workbook(xlsx).properties
    assert props.modified == props.created
    assert props.modified.year == 2024


def test_nothing_written_before_a_week_ends(tmp_path):
    monday = START + 7 * 10
    truth = write_statement_files(LINES, tmp_path, monday, monday + 5)  # Monday..Saturday
    assert truth == []
    assert list(tmp_path.iterdir()) == []
    truth = write_statement_files(LINES, tmp_path, monday, monday + 6)  # ..Sunday
    assert {t["file"] for t in truth if t["kind"] == "file"} == {p.name for p in tmp_path.iterdir()}
    assert len(list(tmp_path.iterdir())) == len(C.BANK_ACCOUNTS)
