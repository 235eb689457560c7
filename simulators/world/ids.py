"""Deterministic identifiers in each source system's own style.

Identifiers depend only on the day a record is created and its order within that day, so
generating a world in one go or day by day (``world advance``) gives the same ids.
"""

from __future__ import annotations

import hashlib
import uuid

from simulators.world.workcal import date_of_day

# ZOHO record ids are 19-digit numeric strings: org prefix + module code + sequence.
_CRM_PREFIX = "4150"
CRM_KIND = {
    "users": 1,
    "Accounts": 2,
    "Contacts": 3,
    "Deals": 4,
    "Stage_History": 5,
    "Events": 6,
    "Tasks": 7,
    "Campaigns": 8,
    "Leads": 9,
    "Products": 10,
    "Sales_Orders": 11,
    "Invoices": 12,
    "Sales_Targets": 13,
}
# 13-digit sequence = days since 2000-01-01 (5 digits) + generator stream (1 digit)
# + per-day counter (7 digits).
_DAY_BASE = 10957  # 2000-01-01 as a day number


def seq(day: int, k: int, stream: int = 0) -> int:
    return ((day - _DAY_BASE) * 10 + stream) * 10_000_000 + k


def crm_id(module: str, day: int, k: int, stream: int = 0) -> str:
    return f"{_CRM_PREFIX}{CRM_KIND[module]:02d}{seq(day, k, stream):013d}"


def erp_fid(day: int, k: int, stream: int = 0) -> int:
    return seq(day, k, stream)


def ymd(day: int) -> str:
    return date_of_day(day).strftime("%Y%m%d")


def ym(day: int) -> str:
    return date_of_day(day).strftime("%Y%m")


def stable_uuid(*parts: object) -> str:
    """A UUID derived from its parts (Huilianyi OIDs, Weaver tokens in fixtures)."""
    h = hashlib.sha1("|".join(map(str, parts)).encode()).digest()
    return str(uuid.UUID(bytes=h[:16], version=5))
