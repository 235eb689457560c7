"""Bank statement import: every planted mess of the world's statement files handled as the
truth says, re-imports that change nothing, other banks' layouts (custom mapping, .xls)."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
import shutil
import zlib
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from extractors.bank import BankImportError, import_bank, load_mapping
from extractors.bank import importer as importer_mod
from extractors.bank import ledger as ledger_mod
from extractors.bank.parse import amount, date_cell, parse_file, time_cell
from extractors.settings import ExtractSettings

SHANGHAI = ZoneInfo("Asia/Shanghai")
COMPARED = (
    "serial_no",
    "account_no",
    "bank_name",
    "txn_time",
    "payer_name",
    "payer_account",
    "payer_bank",
    "amount",
    "memo",
    "balance",
)


def _settings(landing: Path) -> ExtractSettings:
    return dataclasses.replace(ExtractSettings.from_env(), landing=landing)


def _landed(landing: Path) -> list[dict]:
    files = sorted((landing / "bank" / "statements").glob("*.parquet"))
    return ds.dataset(files, format="parquet").to_table().to_pylist() if files else []


def _quarantined(landing: Path) -> list[dict]:
    files = sorted((landing / "_quarantine").glob("bank__*.parquet"))
    return [r for f in files for r in pq.read_table(f).to_pylist()]


def _tree(folder: Path) -> dict[str, int]:
    return {
        str(p.relative_to(folder)): p.stat().st_size
        for p in folder.rglob("*")
        if p.is_file() and "_dlt" not in p.parts and p.name != ".lock"
    }


def _local(ts: dt.datetime) -> str:
    return ts.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def _money(x) -> Decimal | None:
    return None if x is None else Decimal(str(x)).quantize(Decimal("0.01"))


def _norm_truth(r: dict) -> dict:
    out = {k: r[k] for k in COMPARED}
    out["amount"], out["balance"] = _money(r["amount"]), _money(r["balance"])
    for k in ("payer_name", "payer_account", "payer_bank", "memo"):
        out[k] = out[k] or None
    return out


def _norm_landed(r: dict) -> dict:
    return {**{k: r[k] for k in COMPARED}, "txn_time": _local(r["txn_time"])}


@pytest.fixture(scope="module")
def truth(world) -> dict:
    items = json.loads((world / "_truth" / "planted" / "bank_file_mess.json").read_text("utf-8"))
    by_kind: dict[str, list[dict]] = {}
    for it in items:
        by_kind.setdefault(it["kind"], []).append(it)
    return by_kind


@pytest.fixture(scope="module")
def first_import(world, tmp_path_factory):
    """The world's inbox copied to tmp and imported once."""
    root = tmp_path_factory.mktemp("bank")
    inbox = root / "inbox"
    shutil.copytree(world.parent / "inbox" / "bank", inbox)
    landing = root / "landing"
    ticks = []
    report = import_bank(
        [inbox],
        _settings(landing),
        progress=lambda label, done, total: ticks.append((label, done, total)),
    )
    return {"root": root, "inbox": inbox, "landing": landing, "report": report, "ticks": ticks}


def test_loads_exactly_the_true_lines(world, truth, first_import):
    report = first_import["report"]
    assert report.ok, report.error
    weeks = {(f["account_no"], f["week"]) for f in truth["file"]}
    true_lines = pq.read_table(world / "bank" / "statements.parquet").to_pylist()

    def week(r: dict) -> str:
        y, w, _ = dt.date.fromisoformat(r["txn_time"][:10]).isocalendar()
        return f"{y}W{w:02d}"

    in_files = {r["serial_no"]: r for r in true_lines if (r["account_no"], week(r)) in weeks}
    assert len(in_files) == sum(f["lines"] for f in truth["file"])
    spoiled = {i["serial_no"] for k in ("text_amount", "bad_date") for i in truth.get(k, [])}
    clean_copy = {i["serial_no"] for i in truth.get("duplicate_serial", [])}
    expected = {
        s: _norm_truth(r) for s, r in in_files.items() if s not in spoiled or s in clean_copy
    }
    landed = _landed(first_import["landing"])
    got = {r["serial_no"]: _norm_landed(r) for r in landed}
    assert len(landed) == len(got), "a serial number landed twice"
    assert got.keys() == expected.keys()
    assert [got[s] for s in sorted(got)] == [expected[s] for s in sorted(expected)]
    assert report.loaded == len(expected) == report.result.loaded
    assert {r["_op"] for r in landed} == {"upsert"}
    assert first_import["ticks"][-1] == ("bank/statements", len(truth["file"]), len(truth["file"]))


def test_every_planted_mess_item_is_handled(truth, first_import):
    report, landing = first_import["report"], first_import["landing"]
    files = {f.file: f for f in report.files}
    assert set(files) == {f["file"] for f in truth["file"]}
    landed = {r["serial_no"]: r for r in _landed(landing)}
    quarantine = {(q["record_key"], q["field"]): q for q in _quarantined(landing)}
    bad = truth.get("text_amount", []) + truth.get("bad_date", [])
    assert bad and truth.get("duplicate_serial")
    # Text amounts and bad dates: quarantined with file, row and column; nothing else is.
    assert len(quarantine) == len(bad) == report.quarantined
    for it in bad:
        q = quarantine[(f"{it['file']}:{it['row']}", it["column"])]
        assert q["system"] == "bank" and q["entity"] == "statements"
        assert q["value"] == it["value"] and it["value"] in q["reason"]
        assert json.loads(q["record"])["source_file"] == it["file"]
        assert any(b.row == it["row"] and b.column == it["column"] for b in files[it["file"]].bad)
    # Duplicates: loaded once (from the earlier file), reported where they were skipped.
    spoiled = {i["serial_no"] for i in bad}
    for it in truth["duplicate_serial"]:
        rep = files[it["file"]]
        if it["serial_no"] in spoiled:  # the original row was bad: this copy loads
            assert landed[it["serial_no"]]["source_file"] == it["file"]
            continue
        (dup,) = [d for d in rep.duplicates if d.row == it["row"]]
        assert dup.serial_no == it["serial_no"]
        assert dup.first_seen.startswith(it["original_file"] + ":")
        assert landed[it["serial_no"]]["source_file"] == it["original_file"]
    assert report.duplicates == len(truth["duplicate_serial"])
    # "1,234.50元" amounts are read (unless the row's date is bad).
    formatted = [i for i in truth.get("formatted_amount", []) if i["serial_no"] not in spoiled]
    assert formatted
    for it in formatted:
        assert landed[it["serial_no"]]["amount"] == _money(it["amount"])
    # Blank rows skipped, the 合计 footer found, every data row accounted for.
    blanks: dict[str, int] = {}
    for it in truth.get("blank_row", []):
        blanks[it["file"]] = blanks.get(it["file"], 0) + 1
    for f in truth["file"]:
        rep = files[f["file"]]
        assert rep.status == "loaded" and rep.account_no == f["account_no"]
        assert rep.header_row == f["header_row"]
        assert rep.footer_row == f["footer_row"]
        assert rep.blank_rows == blanks.get(f["file"], 0)
        assert rep.loaded + len(rep.duplicates) + rep.quarantined == f["rows"]


def test_both_house_styles_parse(first_import, truth):
    """A GBK CSV with title lines and an xlsx with merged title rows (and a gap row)."""
    report = first_import["report"]
    by_format: dict[str, list] = {}
    for f in truth["file"]:
        if f["lines"]:
            by_format.setdefault(f["format"], []).append(f)
    assert set(by_format) == {"csv", "xlsx"}
    processed = first_import["inbox"] / "processed"
    mapping = load_mapping()
    for fmt, fs in by_format.items():
        f = fs[0]
        parsed = parse_file(processed / f["file"], mapping)
        assert parsed.header_row == f["header_row"]
        assert parsed.account_no == f["account_no"]
        assert parsed.bank_name and "银行" in parsed.bank_name
        assert len(parsed.lines) + parsed.bad_rows == f["rows"]
        if fmt == "csv":
            raw = (processed / f["file"]).read_bytes()
            with pytest.raises(UnicodeDecodeError):
                raw.decode("utf-8")
    assert any(r.header_row == 4 for r in report.files if r.file.endswith(".xlsx"))


def test_files_move_to_processed(first_import, truth):
    inbox = first_import["inbox"]
    names = {f["file"] for f in truth["file"]}
    assert not [p for p in inbox.iterdir() if p.is_file()]
    assert {p.name for p in (inbox / "processed").iterdir()} == names
    for rep in first_import["report"].files:
        assert Path(rep.moved_to) == inbox / "processed" / rep.file


def test_importing_again_changes_nothing(world, first_import):
    landing = first_import["landing"]
    before = _tree(landing / "bank") | _tree(landing / "_quarantine") | _tree(landing / "_ledger")
    # The same files dropped again, and the processed ones named directly.
    again = first_import["root"] / "again"
    shutil.copytree(world.parent / "inbox" / "bank", again)
    report = import_bank([again, first_import["inbox"] / "processed"], _settings(landing))
    assert report.ok
    assert {f.status for f in report.files} == {"skipped"}
    assert report.loaded == report.duplicates == report.quarantined == 0
    after = _tree(landing / "bank") | _tree(landing / "_quarantine") | _tree(landing / "_ledger")
    assert after == before
    assert not [p for p in again.iterdir() if p.is_file()]  # moved to again/processed/


def test_one_changed_file_loads_only_its_new_lines(world, truth, tmp_path):
    """A statement re-exported with one more line: the known lines are duplicates."""
    f = next(
        f
        for f in truth["file"]
        if f["format"] == "csv"
        and f["lines"] >= 2
        and f["file"]
        not in {
            i["file"]
            for k in ("text_amount", "bad_date", "duplicate_serial")
            for i in truth.get(k, [])
        }
    )
    src = world.parent / "inbox" / "bank" / f["file"]
    landing = tmp_path / "landing"
    (tmp_path / "a").mkdir()
    shutil.copy(src, tmp_path / "a" / f["file"])
    first = import_bank([tmp_path / "a"], _settings(landing))
    assert first.loaded == f["lines"]
    lines = src.read_bytes().split(b"\r\n")
    extra = lines[3].replace(b"ICBC", b"ICBX", 1)  # first data row, a new serial number
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / f["file"]).write_bytes(b"\r\n".join([*lines[:4], extra, *lines[4:]]))
    second = import_bank([tmp_path / "b"], _settings(landing))
    (rep,) = second.files
    assert rep.status == "loaded" and rep.loaded == 1 and len(rep.duplicates) == f["lines"]
    assert Path(rep.moved_to).name == f["file"]
    assert len(_landed(landing)) == f["lines"] + 1


def test_custom_mapping_for_another_bank(tmp_path):
    """English headers, day-first dates, one signed amount column with a Dr/Cr flag, a UTF-8
    CSV with BOM; the mapping from a TOML file."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "hsbc_statement.csv").write_text(
        "HSBC China — Account Statement\n"
        "Account: 622-0000-1234-5678, Bank: HSBC Shanghai Branch\n"
        "\n"
        "Value Date,Ref No,Remitter,Remitter A/C,Dr/Cr,Amount,Narrative\n"
        '30/06/2025 10:01,REF-1,复旦大学,31050161393600000123,CR,"¥1,234.50",实验费\n'
        "30/06/2025 11:02,REF-2,Landlord Ltd,9988,DR,5000,rent\n"
        "01/07/2025 09:00,REF-3,四川大学华西医院,51001408436051500234,CR,abc,货款\n"
        "31/06/2025 09:00,REF-4,四川大学华西医院,51001408436051500234,CR,10,货款\n"
        "01/07/2025 09:30,,四川大学华西医院,51001408436051500234,CR,10,货款\n"
        "01/07/2025 09:45,REF-1,复旦大学,31050161393600000123,CR,1234.5,实验费\n"
        "Totals,,,,,,\n",
        encoding="utf-8-sig",
    )
    mapping = tmp_path / "hsbc.toml"
    mapping.write_text(
        "[columns]\n"
        'txn_date = ["Value Date"]\nserial_no = ["Ref No"]\npayer_name = ["Remitter"]\n'
        'payer_account = ["Remitter A/C"]\n'
        '[rows]\nfooter = ["Totals"]\n'
        '[values]\ndate_formats = ["%d/%m/%Y %H:%M"]\n'
        "[file]\naccount = ['Account:\\s*([0-9][0-9-]*[0-9])']\n"
        "bank = ['Bank:\\s*([^,]+)']\n",
        encoding="utf-8",
    )
    landing = tmp_path / "landing"
    (without,) = import_bank([inbox], _settings(landing)).files  # the default mapping
    assert without.status == "failed" and "no header row" in without.note
    assert (inbox / "hsbc_statement.csv").exists()
    report = import_bank([inbox], _settings(landing), mapping=mapping)
    (rep,) = report.files
    assert rep.status == "loaded", rep.note
    got = sorted(_landed(landing), key=lambda r: r["serial_no"])
    assert [
        (
            r["serial_no"],
            r["account_no"],
            r["bank_name"],
            _local(r["txn_time"]),
            r["payer_name"],
            r["amount"],
            r["debit_amount"],
            r["memo"],
        )
        for r in got
    ] == [
        (
            "REF-1",
            "622000012345678",
            "HSBC Shanghai Branch",
            "2025-06-30 10:01:00",
            "复旦大学",
            Decimal("1234.50"),
            None,
            "实验费",
        ),
        (
            "REF-2",
            "622000012345678",
            "HSBC Shanghai Branch",
            "2025-06-30 11:02:00",
            "Landlord Ltd",
            None,
            Decimal("5000.00"),
            "rent",
        ),
    ]
    assert [(b.row, b.column, b.reason.split(":")[0]) for b in rep.bad] == [
        (7, "Amount", "not an amount"),
        (8, "Value Date", "not a date"),
        (9, "Ref No", "missing serial number"),
    ]
    assert [(d.row, d.serial_no, d.first_seen) for d in rep.duplicates] == [
        (10, "REF-1", "hsbc_statement.csv:5")
    ]
    assert rep.footer_row == 11 and rep.blank_rows == 0
    assert {q["record_key"] for q in _quarantined(landing)} == {
        "hsbc_statement.csv:7",
        "hsbc_statement.csv:8",
        "hsbc_statement.csv:9",
    }


# A .xls (BIFF8) written by xlwt 1.3 — 建设银行 style: merged title, account line, header
# 账户明细编号-交易流水号 / 借贷标志 / 发生额(元), Excel date and time cells, a blank row, a text
# amount and a 合计 footer. Embedded because xlwt is not a dependency.
_CCB_XLS = (
    "eNrtmF1sFFUUgM+dnd2ZXfr/p12wrSS2gGzc6XZ3W5SuLWh5qGvbbSiItlC7bUlbqoXG1AcK1iZtcBMTFBHFpKaa"
    "KAZ/HkTUEHlREwQUEyEqCUXri08m2KKhrOecvTu2ZUlooiSQPdM5c8+599zzzdw7907329OZF8Y+dE7APKkEC1yN"
    "2sE2yyfwtMeNDMD6aJSK8auOZzQpt5TYdRxImxU+S/1GozGk8Z4ABT5Qj6MGuIjn4/AUBHu3hYtuolQzwxZBDKtR"
    "C3gdPWmQz1RZrJ9knc36fW75OesH2RNhvRrbXhCPwelAcEW5nMUblKVclwbU7xGO+ZE9BuTC1zSLB18UsbZWqOrb"
    "uqX7tq8oUFNgHHAK1IS3hfvIToe3wAEwgOLq6XG1tRWoqfA2veSdnat6elZt334BcnC+jMOf0SKAS/GF4YuipP/m"
    "+gWg//Jcv3Ydv46jmshvx6FN5HeAeo1/r6IC7ILoZn4vhyEFNvM2oYi09i93XgGbcjdahXg6QLiCM+v/bj62Z+ql"
    "2pHiiL+VmhggiiPTIWfUA6XgxsOAcjwMtDzgQ9uLJa+sIV8REbT4W2tHnNHZHTaF3gueamoK3ReuHaE2ovnkgDP6"
    "aTCzWzQj93gwu30yXNghi1PhSy+nUOoYRd7gdMgFVFHVU9Y9HcJWhXX+iNZ5tsUG4rtQYf/B/ctgTf1yWiY2Pnpw"
    "Pzb4a9PRsL81tVEW6S6wckPb7lF8ddasqXa73YYA4Y9gg9SNv4VLNrZvygHwGG6v2/AZngqPz01ilHosIN7Y9MKB"
    "iogZWSqIAHPTbXn7X2vorr+MVFDmcRuYxds/qy2FHx9du28qqIP4af35JyhTMDQ4en+odR9m9BqYpMxdXoYJvYYX"
    "O/eUYR8lkcous48yfBiO4DM9R5qbdxT2b+3zNfQO2Tvq9lHabFwMCRPjjApq6/X5yyuyQKyDRnDBOliLmgYvNlA+"
    "tNxywCq7MJHeOLbHQd8LvL9kzNlfUnndTUHdBulczuTVNwNn55V3/jjzSGtdoIU9u/ibIvblcQ/NOojCborA4DSu"
    "sZt6BUfcy/o57nUxl52sc3Chw2txXa4sPDzEbZ7n2mLM42H5PlAyq7wMy8O/139SMPxLYDmWD9dMPJtz+GxgDJZi"
    "zjaMp2MIVoqV4sCrJEcD8auQu9R51vnX7Fi6kiHZo/LzKh1maMVFyWR9DPL43jPnHTrHigSxgmOFjBXXjVUSxCoc"
    "SzpmUazFtBS0VNOyoGU1LRUtm2lZ0dJMy8Y545aGlt20dLQc8klY5hHtVBzsy4JTJzAfjjZOeHxyv7pOHl906FyA"
    "erAw1SLZn4WpUtCKxao45otqa2WsFS2Uhppzr1TFWhNZqhlLZGmmRWTpkkxNQKbOIVOZ7NC7JBeZTGWyDNmfymSZ"
    "kkxlso+wi1isJHuzWpKpTJZlxhJZtmkRWY4ksyUgszHZGUlmY7LRERT9ZyazMVmu7M9mPrOYRSNJcy4WO5/MxmR3"
    "mK2J7E7TIrJ8SaYlINOY7AdJpjHZkq+exr9JJtOYzCn70+aMpsbPTGmxytg42dj5GJnGZIvNWCJbYlpEdpcko7lo"
    "nTfzdZ75BTKXzk/hxAMdyiS/wYLfJ13ufjpUKlnwMb0m+J35rzggKUlJSlJuLaG1jRYz2mtVXhtj32ia/F1nBs+r"
    "yZ9JbltpgF48duD/Tg/BNrz2wcCC5k8eWEW8L3GDMfHfC0maMHsfdEErc3QteP7iDi1m388NB2b8d6/QQvNfXQjn"
    "/5z/Hxryups="
)


def test_xls_workbook(tmp_path):
    path = tmp_path / "建设银行_明细.xls"
    path.write_bytes(zlib.decompress(base64.b64decode(_CCB_XLS)))
    report = import_bank([path], _settings(tmp_path / "landing"))
    (rep,) = report.files
    assert rep.status == "loaded" and rep.header_row == 3 and rep.footer_row == 9
    assert rep.blank_rows == 1
    assert [(b.row, b.column, b.value) for b in rep.bad] == [(7, "发生额(元)", "见附件")]
    got = sorted(_landed(tmp_path / "landing"), key=lambda r: r["serial_no"])
    assert [
        (
            r["serial_no"],
            _local(r["txn_time"]),
            r["amount"],
            r["debit_amount"],
            r["balance"],
            r["account_no"],
            r["bank_name"],
        )
        for r in got
    ] == [
        (
            "CCB0001",
            "2025-06-03 09:15:02",
            Decimal("12500.50"),
            None,
            Decimal("100012500.50"),
            "32001881236052500123",
            "中国建设银行南京城南支行",
        ),
        (
            "CCB0002",
            "2025-06-03 14:00:00",
            None,
            Decimal("300.00"),
            Decimal("100012200.50"),
            "32001881236052500123",
            "中国建设银行南京城南支行",
        ),
        (
            "CCB0004",
            "2025-06-05 16:05:00",
            Decimal("88000.00"),
            None,
            Decimal("100100200.50"),
            "32001881236052500123",
            "中国建设银行南京城南支行",
        ),
    ]
    assert (tmp_path / "processed" / path.name).exists()


def test_crash_after_landing_before_ledger_loads_nothing_twice(world, truth, tmp_path, monkeypatch):
    names = [f["file"] for f in truth["file"] if f["lines"]][:6]
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for n in names:
        shutil.copy(world.parent / "inbox" / "bank" / n, inbox / n)
    landing = tmp_path / "landing"

    def boom(*_a, **_k):
        raise OSError("disk full")

    monkeypatch.setattr(ledger_mod, "write", boom)
    with pytest.raises(OSError, match="disk full"):
        import_bank([inbox], _settings(landing))
    landed = len(_landed(landing))
    assert landed > 0 and sorted(p.name for p in inbox.iterdir() if p.is_file()) == names
    monkeypatch.undo()
    report = import_bank([inbox], _settings(landing))
    assert report.ok and report.loaded == report.duplicates == 0
    assert sum(f.already_landed for f in report.files) == landed
    assert len(_landed(landing)) == landed
    again = import_bank([inbox / "processed"], _settings(landing))
    assert {f.status for f in again.files} == {"skipped"}


def test_failed_landing_records_nothing(world, truth, tmp_path, monkeypatch):
    name = next(f["file"] for f in truth["file"] if f["lines"])
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(world.parent / "inbox" / "bank" / name, inbox / name)
    landing = tmp_path / "landing"

    class Broken:
        def run(self, *_a, **_k):
            raise RuntimeError("destination unavailable")

    monkeypatch.setattr(importer_mod, "pipeline", lambda *_a: Broken())
    report = import_bank([inbox], _settings(landing))
    assert not report.ok and "destination unavailable" in report.error
    assert (inbox / name).exists() and not list((landing / "_ledger" / "bank").glob("*.parquet"))
    monkeypatch.undo()
    report = import_bank([inbox], _settings(landing))
    assert report.ok and report.loaded > 0 and not (inbox / name).exists()


def test_load_killed_after_normalize_is_finished_first(world, truth, tmp_path, monkeypatch):
    """dlt left a normalized package behind: the next import loads it, then its own lines
    (dlt alone would load the old package and drop the new lines)."""
    from dlt.pipeline.pipeline import Pipeline

    names = [f["file"] for f in truth["file"] if f["lines"]][:5]
    first, a, b, ref_inbox = (tmp_path / n for n in ("first", "a", "b", "ref"))
    for folder, part in ((first, names[:1]), (a, names[1:3]), (b, names[3:]), (ref_inbox, names)):
        folder.mkdir()
        for n in part:
            shutil.copy(world.parent / "inbox" / "bank" / n, folder / n)
    landing = tmp_path / "landing"
    assert import_bank([first], _settings(landing)).ok  # the landing zone exists

    def killed(*_a, **_k):
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(Pipeline, "load", killed)
        with pytest.raises(KeyboardInterrupt):
            import_bank([a], _settings(landing))
    before = len(_landed(landing))
    report = import_bank([a, b], _settings(landing))
    assert report.ok, report.error
    got = sorted((r["source_file"], r["serial_no"]) for r in _landed(landing))
    ref = import_bank([ref_inbox], _settings(tmp_path / "ref_landing"))
    want = sorted((r["source_file"], r["serial_no"]) for r in _landed(tmp_path / "ref_landing"))
    assert got == want and len(set(got)) == len(got)
    loaded = {f.file: f.loaded for f in ref.files}
    assert [f.already_landed for f in report.files[:2]] == [loaded[n] for n in names[1:3]]
    assert (
        report.loaded
        == sum(loaded[n] for n in names[3:])
        == len(got) - before - sum(loaded[n] for n in names[1:3])
    )


def test_unreadable_file_is_reported_and_left_in_place(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "notes.csv").write_text("hello,world\n1,2\n", encoding="utf-8")
    (inbox / "fake.xls").write_text("<html><table></table></html>", encoding="utf-8")
    report = import_bank([inbox], _settings(tmp_path / "landing"))
    assert not report.ok
    notes = {f.file: f.note for f in report.files}
    assert "no header row" in notes["notes.csv"] and "HTML" in notes["fake.xls"]
    assert (inbox / "notes.csv").exists() and (inbox / "fake.xls").exists()
    with pytest.raises(BankImportError, match="no such file"):
        import_bank([tmp_path / "missing"], _settings(tmp_path / "landing"))
    with pytest.raises(BankImportError, match="unknown field"):
        import_bank([inbox], _settings(tmp_path / "landing"), mapping={"columns": {"x": []}})


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        (1234.5, "1234.50"),
        ("1,234.50元", "1234.50"),
        ("¥1,234.50", "1234.50"),
        ("￥１２３４．５", "1234.50"),
        ("1234.5", "1234.50"),
        ("(1,234.50)", "-1234.50"),
        ("RMB 88,000", "88000.00"),
        (11556.130000000001, "11556.13"),
        (None, None),
        ("  ", None),
    ],
)
def test_amounts(raw, want):
    assert amount(raw) == (None if want is None else Decimal(want))


@pytest.mark.parametrize("raw", ["见附件", "1.2.3", "12,34.5元x", "1234.567", True])
def test_bad_amounts(raw):
    with pytest.raises(ValueError, match=r"amount|decimals"):
        amount(raw)


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        (dt.datetime(2025, 6, 30), "2025-06-30 00:00:00"),
        ("2025-06-30", "2025-06-30 00:00:00"),
        ("2025/6/30", "2025-06-30 00:00:00"),
        ("20250630", "2025-06-30 00:00:00"),
        (20250630, "2025-06-30 00:00:00"),
        ("2025年6月30日", "2025-06-30 00:00:00"),
        ("2025-06-30 14:05:09", "2025-06-30 14:05:09"),
        ("20250630140509", "2025-06-30 14:05:09"),
    ],
)
def test_dates(raw, want):
    day, t = date_cell(raw, ())
    assert dt.datetime.combine(day, t or dt.time()).strftime("%Y-%m-%d %H:%M:%S") == want


@pytest.mark.parametrize(
    "raw", ["2025-06-32", "0000-00-00", "2025-13-30", "2025063030", "2025-02-29", "June 30"]
)
def test_bad_dates(raw):
    with pytest.raises(ValueError, match="not a date"):
        date_cell(raw, ())


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("11:08:07", (None, dt.time(11, 8, 7))),
        ("9:05", (None, dt.time(9, 5))),
        ("110807", (None, dt.time(11, 8, 7))),
        (dt.time(11, 8, 7), (None, dt.time(11, 8, 7))),
        ("2025-06-30 11:08:07", (dt.date(2025, 6, 30), dt.time(11, 8, 7))),
    ],
)
def test_times(raw, want):
    assert time_cell(raw, ()) == want


def test_mapping_files_and_precedence(tmp_path):
    toml = tmp_path / "m.toml"
    toml.write_text('[columns]\nserial_no = ["Ref"]\n[file]\nheader_search_rows = 5\n', "utf-8")
    js = tmp_path / "m.json"
    js.write_text(
        json.dumps({"columns": {"serial_no": ["Ref"]}, "file": {"header_search_rows": 5}}), "utf-8"
    )
    assert load_mapping(toml) == load_mapping(js)
    assert load_mapping(toml).columns["serial_no"][:2] == ("Ref", "交易流水号")
    assert load_mapping(toml).header_search_rows == 5
    only = load_mapping({"replace": True, "columns": {"serial_no": ["Ref"]}})
    assert only.columns["serial_no"] == ("Ref",) and "交易日期" in only.columns["txn_date"]
    # A name the custom mapping gives to another field leaves its default field.
    moved = load_mapping({"columns": {"txn_time": ["交易日期"]}})
    assert "交易日期" not in moved.columns["txn_date"]
    assert moved.lookup()["交易日期"] == "txn_time"
    assert load_mapping().lookup()["贷方金额"] == "amount"
    js.write_text("{", "utf-8")
    with pytest.raises(ValueError, match="not valid"):
        load_mapping(js)
