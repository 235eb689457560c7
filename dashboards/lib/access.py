"""Entitlements: who may see which employees' records, which regions, and which pages.

The source of truth is ``marts.dim_user_access`` of the current publish (one row per viewer and
visible employee). A ``Scope`` is derived from it for the logged-in user on every script run
(``auth.require_login``) and passed into every cached loader (it is frozen and hashable), so
``st.cache_data`` entries never cross users with different entitlements.

Scopes (from the warehouse, see the mart's comment):

* ``own`` — sales, pm, legal, marketing: only themselves (``employee_codes`` = their code);
  no region-level figures (``region_filter`` → ``false``).
* ``team`` — managers and sales assistants: everyone ever in their current team; region-level
  figures of their ``visible_regions`` (the warehouse grants managers their team's region as a
  whole: ``visible_regions`` "Regions the viewer may see as a whole").
* ``region`` — directors: everyone ever in their regions, and those regions' figures.
* ``all`` — executives and finance (``sees_everything``): every row; ``regions`` lists every
  region known in ``dim_employees`` (for pickers), filters are ``true``.

Pages (``can_see_page``) — the data on each page is further restricted by the scope:

=============== ==========================================================================
page            roles
=============== ==========================================================================
leadership      executive, finance, director, manager
personal        every role
contracts       executive, finance, director, manager, assistant, sales, legal
billing         executive, finance, director, manager, assistant, sales
ar_aging        executive, finance, director, manager, assistant, sales
process         executive, finance, director, manager
reconciliation  executive, finance, director, manager, assistant
quality         executive, finance
=============== ==========================================================================

Any role not listed (a role added to the ``job_roles`` seed later) sees only ``personal``
until it is added here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from dashboards.lib import db

_COLUMN = re.compile(r"^[a-z_][a-z0-9_.]*$")

PAGES: tuple[str, ...] = (
    "leadership",
    "personal",
    "contracts",
    "billing",
    "ar_aging",
    "process",
    "reconciliation",
    "quality",
)

_ALL_ROLES = "*"
PAGE_ROLES: dict[str, frozenset[str]] = {
    "leadership": frozenset({"executive", "finance", "director", "manager"}),
    "personal": frozenset({_ALL_ROLES}),
    "contracts": frozenset(
        {"executive", "finance", "director", "manager", "assistant", "sales", "legal"}
    ),
    "billing": frozenset({"executive", "finance", "director", "manager", "assistant", "sales"}),
    "ar_aging": frozenset({"executive", "finance", "director", "manager", "assistant", "sales"}),
    "process": frozenset({"executive", "finance", "director", "manager"}),
    "reconciliation": frozenset({"executive", "finance", "director", "manager", "assistant"}),
    "quality": frozenset({"executive", "finance"}),
}


class AccessError(LookupError):
    """The user has no entitlements in the current publish."""


@dataclass(frozen=True)
class Scope:
    username: str
    employee_code: str
    name: str
    role_code: str
    access_scope: str  # own | team | region | all
    sees_everything: bool
    employee_codes: tuple[str, ...]
    regions: tuple[str, ...]


def _load_scope(pid: str, username: str) -> Scope:
    rows = db.query(
        """
        select a.viewer_employee_code, a.viewer_role_code, a.access_scope, a.sees_everything,
               a.visible_employee_code, a.visible_regions, e.employee_name
        from marts.dim_user_access a
        left join marts.dim_employees e
          on e.employee_code = a.viewer_employee_code and e.is_current
        where a.viewer_login_id = ?
        order by a.visible_employee_code
        """,
        [username],
    )
    if rows.empty:
        raise AccessError(
            f"user {username!r} has no portal entitlements in the current publish "
            "(not in marts.dim_user_access)"
        )
    first = rows.iloc[0]
    sees_everything = bool(first["sees_everything"])
    codes = tuple(sorted({c for c in rows["visible_employee_code"] if isinstance(c, str)}))
    if sees_everything:
        all_regions = db.query(
            "select distinct region from marts.dim_employees where region is not null "
            "order by region"
        )
        regions = tuple(all_regions["region"].tolist())
    else:
        found: set[str] = set()
        for value in rows["visible_regions"]:
            if value is None or value is pd.NA or isinstance(value, float | str):
                continue
            found.update(r for r in list(value) if isinstance(r, str) and r)
        regions = tuple(sorted(found))
    name = first["employee_name"]
    return Scope(
        username=username,
        employee_code=str(first["viewer_employee_code"]),
        name=str(name) if isinstance(name, str) else username,
        role_code=str(first["viewer_role_code"]),
        access_scope=str(first["access_scope"]),
        sees_everything=sees_everything,
        employee_codes=codes,
        regions=regions,
    )


_cache: dict[tuple[str, str], Scope] = {}


def scope_for(username: str) -> Scope:
    """The entitlements of ``username`` (a ``viewer_login_id``) in the current publish.

    Raises ``AccessError`` when the user is not in ``marts.dim_user_access``. Memoised per
    publish (a new publish re-derives it)."""
    pid = db.publish_id()
    key = (pid, username)
    scope = _cache.get(key)
    if scope is None:
        scope = _load_scope(pid, username)
        if len(_cache) > 2000:
            _cache.clear()
        _cache[key] = scope
    return scope


def _check_column(column: str) -> None:
    if not isinstance(column, str) or not _COLUMN.fullmatch(column):
        raise ValueError(f"not a plain column identifier: {column!r}")


def employee_filter(scope: Scope, column: str) -> tuple[str, list]:
    """SQL predicate and bound params restricting ``column`` (an employee code column chosen by
    the page, never user input) to the scope. Rows whose employee is NULL are visible only to
    ``sees_everything`` scopes."""
    _check_column(column)
    if scope.sees_everything:
        return "true", []
    if not scope.employee_codes:
        return "false", []
    return f"{column} in (select unnest(?::varchar[]))", [list(scope.employee_codes)]


def region_filter(scope: Scope, column: str) -> tuple[str, list]:
    """SQL predicate and bound params restricting a region column to the scope: everything for
    ``all``; the scope's regions for ``region`` and ``team``; nothing (``false``) for ``own``."""
    _check_column(column)
    if scope.sees_everything:
        return "true", []
    if scope.access_scope == "own" or not scope.regions:
        return "false", []
    return f"{column} in (select unnest(?::varchar[]))", [list(scope.regions)]


def can_see_page(scope: Scope, page_id: str) -> bool:
    """Whether the scope's role may open ``page_id`` (see the table in the module docstring)."""
    roles = PAGE_ROLES.get(page_id)
    if roles is None:
        return False
    return _ALL_ROLES in roles or scope.role_code in roles


def visible_pages(scope: Scope) -> list[str]:
    return [p for p in PAGES if can_see_page(scope, p)]
