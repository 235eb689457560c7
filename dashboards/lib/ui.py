"""Shared widgets: the period picker, full downloadable tables, empty states, page headers.

Dates are anchored at the publish's data as-of date (``as_of_date()``: the build's as-of date
stamped on ``marts.fct_contracts.as_of_date``), never the wall clock: a portal opened on a
Monday morning shows the periods the data actually covers.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import re
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from dashboards.lib import db
from dashboards.lib.i18n import tr

GRAINS = ("week", "month", "quarter", "year")
_HISTORY = {"week": 26, "month": 24, "quarter": 12, "year": 6}
_GRAIN_LABELS = {
    "week": ("周", "Week"),
    "month": ("月", "Month"),
    "quarter": ("季度", "Quarter"),
    "year": ("年", "Year"),
}


@dataclass(frozen=True)
class Period:
    grain: str  # week | month | quarter | year (= the marts' period_type)
    start: dt.date  # first day of the period
    end: dt.date  # last day, or the as-of date while the period runs
    prev_start: dt.date  # the whole previous period of the same grain
    prev_end: dt.date
    label: str  # '2025-W07', '2025-02', '2025-Q1' or '2025' (= the marts' period_label)


def period_bounds(grain: str, day: dt.date) -> tuple[dt.date, dt.date, str]:
    """(first day, last day, label) of the ``grain`` period containing ``day``."""
    if grain == "week":
        start = day - dt.timedelta(days=day.weekday())
        iso = start.isocalendar()
        return start, start + dt.timedelta(days=6), f"{iso.year}-W{iso.week:02d}"
    if grain == "month":
        start = day.replace(day=1)
        label = f"{day.year}-{day.month:02d}"
    elif grain == "quarter":
        q = (day.month - 1) // 3 + 1
        start = dt.date(day.year, 3 * q - 2, 1)
        label = f"{day.year}-Q{q}"
    elif grain == "year":
        start = dt.date(day.year, 1, 1)
        label = f"{day.year}"
    else:
        raise ValueError(f"unknown grain {grain!r}; use one of {GRAINS}")
    months = {"month": 1, "quarter": 3, "year": 12}[grain]
    m = start.month - 1 + months
    nxt = dt.date(start.year + m // 12, m % 12 + 1, 1)
    return start, nxt - dt.timedelta(days=1), label


def make_period(grain: str, day: dt.date, as_of: dt.date) -> Period:
    """The ``grain`` period containing ``day``, cut at ``as_of`` while it runs."""
    start, end, label = period_bounds(grain, day)
    prev_start, prev_end, _ = period_bounds(grain, start - dt.timedelta(days=1))
    return Period(grain, start, min(end, as_of), prev_start, prev_end, label)


def recent_periods(grain: str, as_of: dt.date, n: int | None = None) -> list[Period]:
    """The running period at ``as_of`` and the ``n - 1`` before it, newest first."""
    n = n or _HISTORY[grain]
    out: list[Period] = []
    day = as_of
    for _ in range(n):
        p = make_period(grain, day, as_of)
        out.append(p)
        day = p.start - dt.timedelta(days=1)
    return out


_as_of_cache: dict[str, dt.date] = {}


def as_of_date() -> dt.date:
    """The data as-of date of the current publish (not the wall clock)."""
    pid = db.publish_id()
    if pid not in _as_of_cache:
        value = db.scalar("select max(as_of_date) from marts.fct_contracts")
        if value is None or pd.isna(value):
            value = db.scalar("select max(period_end) from marts.rpt_leadership_kpis")
        if value is None or pd.isna(value):
            value = dt.date.today()
        if isinstance(value, pd.Timestamp | dt.datetime):
            value = value.date()
        _as_of_cache[pid] = value
    return _as_of_cache[pid]


def period_picker(key: str = "period", as_of: dt.date | None = None) -> Period:
    """Grain (week/month/quarter/year, default month) and one of its recent periods (default the
    running one), anchored at the data as-of date."""
    as_of = as_of or as_of_date()
    # format functions must not read session state when called (AppTest calls them outside
    # the script run): resolve the language now
    grain_names = {g: tr(*_GRAIN_LABELS[g]) for g in GRAINS}
    c1, c2 = st.columns([3, 2])
    with c1:
        grain = st.radio(
            tr("周期", "Period"),
            GRAINS,
            index=1,
            format_func=grain_names.__getitem__,
            horizontal=True,
            key=f"{key}_grain",
        )
    periods = recent_periods(grain, as_of)
    by_label = {p.label: p for p in periods}
    running = tr("（截至 ", " (to ") + as_of.isoformat() + tr("）", ")")
    shown = {lab: lab + (running if i == 0 else "") for i, lab in enumerate(by_label)}
    with c2:
        label = st.selectbox(
            tr("期间", "Which"),
            list(by_label),
            index=0,
            format_func=shown.__getitem__,
            key=f"{key}_label_{grain}",
        )
    return by_label.get(label, periods[0])


def _excel_safe(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out.columns = [str(c) for c in out.columns]
    for col in out.columns:
        s = out[col]
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            out[col] = s.dt.tz_localize(None)
        elif s.dtype == object:
            out[col] = s.map(
                lambda v: (
                    v
                    if v is None or isinstance(v, str | int | float | dt.date | dt.datetime)
                    else (", ".join(map(str, v)) if hasattr(v, "__iter__") else str(v))
                )
            )
    return out


def excel_bytes(df: pd.DataFrame, name: str) -> bytes:
    """``df`` as an .xlsx workbook (one sheet, every row)."""
    buf = io.BytesIO()
    sheet = re.sub(r"[\[\]:*?/\\]", "_", name)[:31] or "data"
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        _excel_safe(df).to_excel(writer, sheet_name=sheet, index=False)
    return buf.getvalue()


def table(
    df: pd.DataFrame,
    name: str,
    labels: dict[str, str] | None = None,
    key: str | None = None,
) -> None:
    """Every row of ``df`` (never truncated) with its row count and an Excel download
    (``<name>.xlsx``, generated when clicked). ``labels`` renames columns for display and in
    the file; an empty frame shows an empty state instead."""
    if df is None or df.empty:
        empty(tr("没有符合条件的记录。", "No matching records."))
        return
    shown = df.rename(columns=labels) if labels else df
    st.dataframe(shown, hide_index=True, width="stretch")
    c1, c2 = st.columns([4, 1])
    c1.caption(tr(f"共 {len(shown):,} 行", f"{len(shown):,} rows"))
    with c2:
        st.download_button(
            tr("下载 Excel", "Download Excel"),
            data=lambda: excel_bytes(shown, name),
            file_name=f"{name}.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key=f"dl_{key or name}",
            on_click="ignore",
            icon=":material/download:",
        )


def empty(message: str) -> None:
    """A clear empty state."""
    st.info(message, icon=":material/info:")


def page_header(title: str, subtitle: str | None = None) -> None:
    st.title(title)
    parts = [subtitle] if subtitle else []
    # the header must render even when the publish cannot be read
    with contextlib.suppress(Exception):
        parts.append(tr("数据截至 ", "Data as of ") + as_of_date().isoformat())
    if parts:
        st.caption(" · ".join(parts))
