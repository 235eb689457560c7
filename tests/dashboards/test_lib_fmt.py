"""Number formatting and the period arithmetic of the portals (no data needed)."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pandas as pd
import pytest
from openpyxl import load_workbook

from dashboards.lib import fmt, ui


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (12_345_000, "¥1,234.5万"),
        (Decimal("10000.00"), "¥1.0万"),
        (0, "¥0.0万"),
        (-56_000, "-¥5.6万"),
        (None, "—"),
        (float("nan"), "—"),
        (pd.NA, "—"),
    ],
)
def test_wan(amount, text):
    assert fmt.wan(amount) == text


def test_pct_and_count():
    assert fmt.pct(0.1234) == "12.3%"
    assert fmt.pct(None) == "—"
    assert fmt.pct(math.nan) == "—"
    assert fmt.count(12345) == "12,345"


def test_delta_is_signed_and_relative():
    assert fmt.delta(1_100_000, 1_000_000) == "+¥10.0万 (+10.0%)"
    assert fmt.delta(900_000, 1_000_000) == "-¥10.0万 (-10.0%)"
    assert fmt.delta(50_000, 0) == "+¥5.0万"  # no percentage against zero
    assert fmt.delta(None, 1) is None
    assert fmt.delta(1, None) is None
    assert fmt.delta_count(3, 5) == "-2"


def test_to_wan_copies_and_converts():
    df = pd.DataFrame({"a": [Decimal("12345.00"), None], "b": ["x", "y"]})
    out = fmt.to_wan(df, ["a", "missing"])
    assert out["a"].iloc[0] == pytest.approx(1.23, abs=0.005)
    assert pd.isna(out["a"].iloc[1])
    assert df["a"].iloc[0] == Decimal("12345.00")  # the input is untouched
    assert out["b"].tolist() == ["x", "y"]


@pytest.mark.parametrize(
    ("grain", "day", "start", "end", "label"),
    [
        ("week", dt.date(2025, 2, 12), dt.date(2025, 2, 10), dt.date(2025, 2, 16), "2025-W07"),
        ("week", dt.date(2026, 1, 1), dt.date(2025, 12, 29), dt.date(2026, 1, 4), "2026-W01"),
        ("month", dt.date(2024, 2, 10), dt.date(2024, 2, 1), dt.date(2024, 2, 29), "2024-02"),
        ("quarter", dt.date(2025, 11, 5), dt.date(2025, 10, 1), dt.date(2025, 12, 31), "2025-Q4"),
        ("year", dt.date(2025, 6, 30), dt.date(2025, 1, 1), dt.date(2025, 12, 31), "2025"),
    ],
)
def test_period_bounds(grain, day, start, end, label):
    assert ui.period_bounds(grain, day) == (start, end, label)


def test_make_period_cuts_at_as_of_and_knows_the_previous_period():
    as_of = dt.date(2025, 3, 15)
    p = ui.make_period("quarter", as_of, as_of)
    assert (p.start, p.end, p.label) == (dt.date(2025, 1, 1), as_of, "2025-Q1")
    assert (p.prev_start, p.prev_end) == (dt.date(2024, 10, 1), dt.date(2024, 12, 31))
    periods = ui.recent_periods("month", as_of, 3)
    assert [x.label for x in periods] == ["2025-03", "2025-02", "2025-01"]
    assert periods[1].end == dt.date(2025, 2, 28)
    with pytest.raises(ValueError, match="unknown grain"):
        ui.period_bounds("decade", as_of)


def test_excel_bytes_has_every_row(tmp_path):
    df = pd.DataFrame(
        {
            "code": [f"C{i}" for i in range(1500)],
            "when": pd.date_range("2025-01-01", periods=1500, freq="h", tz="Asia/Shanghai"),
            "tags": [["a", "b"]] * 1500,
        }
    )
    path = tmp_path / "x.xlsx"
    path.write_bytes(ui.excel_bytes(df, "a/b:c*?" + "x" * 40))
    ws = load_workbook(path).active
    assert ws.max_row == 1501
    assert ws["A1"].value == "code"
    assert ws["A1501"].value == "C1499"
    assert ws["C2"].value == "a, b"
    assert len(ws.title) <= 31
