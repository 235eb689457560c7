"""Small SQL helpers shared by the query modules of the archive, billing, AR aging, process,
reconciliation and data-quality pages (``queries_*.py``).

Everything here returns SQL *fragments built from code constants* plus a list of bound
parameters; no user text is ever formatted into SQL.
"""

from __future__ import annotations

import datetime as dt

from dashboards.lib import access
from dashboards.lib.access import Scope


def like_pattern(text: str) -> str:
    """``%text%`` for ``ILIKE ? ESCAPE '\\'`` with ``%``, ``_`` and ``\\`` taken literally."""
    escaped = text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


LIKE = "ILIKE ? ESCAPE '\\'"


def emp(scope: Scope, column: str) -> tuple[str, list]:
    """The scope restriction on one employee-code column, in parentheses."""
    frag, params = access.employee_filter(scope, column)
    return f"({frag})", list(params)


def emp_any(scope: Scope, *columns: str) -> tuple[str, list]:
    """Rows whose employee-code column(s) — any of them — fall in the scope."""
    if scope.sees_everything:
        return "(true)", []
    parts, params = [], []
    for col in columns:
        frag, p = emp(scope, col)
        parts.append(frag)
        params += p
    return "(" + " or ".join(parts) + ")", params


class Where:
    """Collects ``and``-ed conditions with their parameters, in order."""

    def __init__(self, frag: str = "true", params: list | None = None):
        self.parts: list[str] = [frag]
        self.params: list = list(params or [])

    def add(self, frag: str, *params) -> Where:
        self.parts.append(f"({frag})")
        self.params.extend(params)
        return self

    def add_scope(self, scoped: tuple[str, list]) -> Where:
        frag, params = scoped
        return self.add(frag, *params)

    def text(self, column: str, value: str | None) -> Where:
        if value and value.strip():
            self.add(f"{column} {LIKE}", like_pattern(value))
        return self

    def flag(self, column: str, value: bool | None) -> Where:
        if value is not None:
            self.add(f"coalesce({column}, false) = ?", bool(value))
        return self

    def between(self, column: str, start: dt.date | None, end: dt.date | None) -> Where:
        if start is not None:
            self.add(f"{column} >= ?", start)
        if end is not None:
            self.add(f"{column} <= ?", end)
        return self

    def one_of(self, column: str, values) -> Where:
        values = [v for v in (values or ()) if v is not None]
        if values:
            self.add(f"{column} in ({', '.join('?' for _ in values)})", *values)
        return self

    @property
    def sql(self) -> str:
        return " and ".join(self.parts)


def as_dates(df):
    """Date columns (DuckDB DATE arrives as datetime64 at midnight) shown as plain dates."""
    import pandas as pd

    out = df.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_datetime64_any_dtype(s) and not isinstance(s.dtype, pd.DatetimeTZDtype):
            valid = s.dropna()
            if valid.empty or (valid == valid.dt.normalize()).all():
                out[col] = s.dt.date
    return out


def per_value(series, fn):
    """``series.map(fn)`` calling ``fn`` once per distinct value (``tr`` reads the session
    state: per row it costs seconds on tens of thousands of rows)."""
    values = series.dropna().unique().tolist()
    mapping = {v: fn(v) for v in values}
    out = series.map(mapping)
    return out.where(series.notna(), fn(None)) if series.isna().any() else out
