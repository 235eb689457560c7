"""The committed working-calendar seed matches the installed chinese-calendar package."""

from __future__ import annotations

import datetime as dt

from zhongtai import calendar_seed


def test_committed_seed_is_current():
    assert calendar_seed.SEED_PATH.read_text(encoding="utf-8") == calendar_seed.render(), (
        "dbt_project/seeds/chinese_working_calendar.csv is stale: run "
        "`uv run python -m zhongtai.calendar_seed` and commit it"
    )


def test_holidays_and_makeup_days():
    rows = {r[0]: r for r in calendar_seed.calendar_rows()}
    # 2025 National Day: Oct 1–8 off, Sunday Sep 28 and Saturday Oct 11 worked (调休)
    assert rows["2025-10-01"][1:4] == (False, True, False)
    assert rows["2025-09-28"][1:4] == (True, False, True)
    assert rows["2025-10-11"][1:4] == (True, False, True)
    # an ordinary Saturday
    assert rows["2025-11-15"][1:4] == (False, False, False)
    years = calendar_seed.covered_years()
    assert len(rows) == (dt.date(years.stop, 1, 1) - dt.date(years.start, 1, 1)).days
