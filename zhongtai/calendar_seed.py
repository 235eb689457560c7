"""Generate the working-calendar seed ``dbt_project/seeds/chinese_working_calendar.csv``.

The Chinese working calendar (public holidays and the make-up workdays 调休 that shift
weekends) comes from the ``chinese-calendar`` package, which the State Council's yearly notice
updates. The seed holds every day of every year the package covers; ``dim_date`` falls back to
Monday–Friday for other years and warns. Regenerate after upgrading the package:

    uv run python -m zhongtai.calendar_seed

A unit test fails when the committed seed and the installed package disagree.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import chinese_calendar

SEED_PATH = (
    Path(__file__).resolve().parent.parent
    / "dbt_project"
    / "seeds"
    / ("chinese_working_calendar.csv")
)
COLUMNS = ("calendar_date", "is_workday", "is_holiday", "is_makeup_workday", "holiday_name")


def covered_years() -> range:
    """The years the installed package has holiday data for (whole years only)."""
    first = min(chinese_calendar.holidays).year
    last = max(chinese_calendar.holidays).year
    return range(first, last + 1)


def calendar_rows() -> list[tuple]:
    rows = []
    for year in covered_years():
        d = dt.date(year, 1, 1)
        while d.year == year:
            on_holiday, name = chinese_calendar.get_holiday_detail(d)
            workday = chinese_calendar.is_workday(d)
            weekend = d.weekday() >= 5
            rows.append(
                (
                    d.isoformat(),
                    workday,
                    bool(on_holiday and name),  # a named public holiday (not a plain weekend)
                    workday and weekend,  # 调休: a Saturday/Sunday worked
                    name or "",
                )
            )
            d += dt.timedelta(days=1)
    return rows


def render() -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for r in calendar_rows():
        w.writerow([str(v).lower() if isinstance(v, bool) else v for v in r])
    return buf.getvalue()


def main() -> None:
    SEED_PATH.parent.mkdir(parents=True, exist_ok=True)
    SEED_PATH.write_text(render(), encoding="utf-8")
    years = covered_years()
    print(f"wrote {SEED_PATH} ({years.start}–{years.stop - 1})")


if __name__ == "__main__":
    main()
