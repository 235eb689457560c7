"""Number formatting: amounts in 万元 with ¥ (¥1,234.5万), percentages, metric deltas."""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import Decimal

import pandas as pd

DASH = "—"


def _num(value) -> float | None:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, Decimal):
        value = float(value)
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) or math.isinf(f) else f


def wan(amount) -> str:
    """¥ amount in 万元 with one decimal: 12_345_000 → "¥1,234.5万"; None/NaN → "—"."""
    f = _num(amount)
    if f is None:
        return DASH
    text = f"¥{abs(f) / 10_000:,.1f}万"
    return "-" + text if f < 0 and round(abs(f) / 10_000, 1) != 0 else text


def pct(x, digits: int = 1) -> str:
    """A fraction as a percentage: 0.1234 → "12.3%"; None/NaN → "—"."""
    f = _num(x)
    if f is None:
        return DASH
    return f"{f * 100:.{digits}f}%"


def count(x) -> str:
    f = _num(x)
    return DASH if f is None else f"{f:,.0f}"


def delta(cur, prev) -> str | None:
    """Signed change of an amount for ``st.metric``: "+¥12.3万 (+5.0%)", "-¥3.0万 (-1.2%)";
    the percentage is left out when ``prev`` is 0; None when either side is unknown."""
    c, p = _num(cur), _num(prev)
    if c is None or p is None:
        return None
    diff = c - p
    sign = "+" if diff >= 0 else "-"
    text = f"{sign}¥{abs(diff) / 10_000:,.1f}万"
    if p != 0:
        rate = diff / abs(p)
        text += f" ({'+' if rate >= 0 else '-'}{abs(rate) * 100:.1f}%)"
    return text


def delta_count(cur, prev) -> str | None:
    """Signed change of a count for ``st.metric``: "+3", "-2"."""
    c, p = _num(cur), _num(prev)
    if c is None or p is None:
        return None
    return f"{c - p:+,.0f}"


def to_wan(df: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """A copy of ``df`` with the amount ``columns`` in 万元 (float, 2 decimals) for tables."""
    out = df.copy()
    for col in columns:
        if col in out.columns:
            out[col] = (pd.to_numeric(out[col], errors="coerce").astype("float64") / 10_000).round(
                2
            )
    return out
