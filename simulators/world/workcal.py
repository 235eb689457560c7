"""Chinese working calendar and working-time arithmetic for the synthetic world.

Times inside the generator are *local seconds*: seconds since 1970-01-01 00:00 in Asia/Shanghai
(UTC+8 all year, no daylight saving), so a day is ``t // 86400`` and the clock time is
``t % 86400``. Public holidays and make-up workdays (调休) come from the ``chinese-calendar``
package; years it does not cover fall back to Monday–Friday, and the fallback is reported once.
"""

from __future__ import annotations

import datetime as dt
import warnings
from functools import cache

import chinese_calendar

DAY = 86400
HOUR = 3600
EPOCH = dt.date(1970, 1, 1)

# Office hours: 09:00–12:00 and 13:00–18:00 (8 working hours a day).
WORK_BLOCKS = ((9 * HOUR, 12 * HOUR), (13 * HOUR, 18 * HOUR))
WORK_SECONDS_PER_DAY = sum(b - a for a, b in WORK_BLOCKS)

_uncovered_years: set[int] = set()


def day_of(t: int) -> int:
    return t // DAY


def date_of_day(day: int) -> dt.date:
    return EPOCH + dt.timedelta(days=day)


def day_of_date(d: dt.date) -> int:
    return (d - EPOCH).days


@cache
def is_workday(day: int) -> bool:
    d = date_of_day(day)
    try:
        return chinese_calendar.is_workday(d)
    except NotImplementedError:
        if d.year not in _uncovered_years:
            _uncovered_years.add(d.year)
            warnings.warn(
                f"chinese-calendar has no holiday data for {d.year}; "
                "treating Monday–Friday as working days for that year",
                stacklevel=2,
            )
        return d.weekday() < 5


def next_workday(day: int) -> int:
    while not is_workday(day):
        day += 1
    return day


def to_working_moment(t: int) -> int:
    """The first instant at or after ``t`` that lies inside office hours on a workday."""
    day, sec = divmod(t, DAY)
    while True:
        if is_workday(day):
            for start, end in WORK_BLOCKS:
                if sec < end:
                    return day * DAY + max(sec, start)
        day += 1
        sec = 0


def add_working_seconds(t: int, seconds: float) -> int:
    """``t`` moved forward by ``seconds`` of office time on the working calendar."""
    t = to_working_moment(t)
    remaining = int(seconds)
    while remaining > 0:
        day, sec = divmod(t, DAY)
        for start, end in WORK_BLOCKS:
            if sec < end:
                sec = max(sec, start)
                room = end - sec
                if remaining <= room:
                    return day * DAY + sec + remaining
                remaining -= room
                sec = end
        t = to_working_moment((day + 1) * DAY)
    return t


def working_seconds_between(a: int, b: int) -> int:
    """Office seconds in [a, b) on the working calendar (used by tests and truth)."""
    if b <= a:
        return 0
    total = 0
    for day in range(a // DAY, (b - 1) // DAY + 1):
        if not is_workday(day):
            continue
        base = day * DAY
        for start, end in WORK_BLOCKS:
            lo, hi = max(a, base + start), min(b, base + end)
            if hi > lo:
                total += hi - lo
    return total


def uncovered_years() -> list[int]:
    return sorted(_uncovered_years)
