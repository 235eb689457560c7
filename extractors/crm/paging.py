"""ZOHO's paging rules, as generators of raw record pages (lists of dicts as ZOHO sent them).

* Records (``list_records``): ``per_page=200``, ``sort_by=Modified_Time&sort_order=asc``,
  ``page`` for the first 2,000 records and ``next_page_token`` whenever ZOHO offers one (a
  token pages through a snapshot, so records modified meanwhile neither shift nor skip
  pages). Tokens reach 100,000 records at most (``PAGINATION_LIMIT_EXCEEDED``): the module is
  then re-windowed — paging restarts with ``If-Modified-Since`` = the last ``Modified_Time``
  seen minus 1 s, and the records of that boundary second already sent are skipped.
* ``fields`` takes at most 50 API names: the first call carries ``Modified_Time`` and 49
  others; further batches are fetched for the page's ids (``ids=``, 100 a call) and merged by
  id.
* The deleted-records log (``deleted_records``) and users (``users``) page by ``page`` (and
  a token when offered); related lists (``related_records``) by ``page``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from functools import lru_cache

from extractors.crm.client import ZohoClient, ZohoError
from extractors.http import SourceError

PER_PAGE = 200
MAX_FIELDS = 50
DISCRETE_LIMIT = 2000  # records reachable with `page`
TOKEN_LIMIT = 100_000  # records reachable through one chain of page tokens
IDS_PER_CALL = 100


def parse_time(value) -> dt.datetime | None:
    """ZOHO's ``2025-06-30T10:11:12+08:00`` (naive → Asia/Shanghai); None if unreadable."""
    if not isinstance(value, str) or not value:
        return None
    return _parse_time(value)


@lru_cache(maxsize=4096)  # pages sorted by Modified_Time repeat the same seconds
def _parse_time(value: str) -> dt.datetime | None:
    try:
        t = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone(dt.timedelta(hours=8)))


def http_time(t: dt.datetime) -> str:
    """The ``If-Modified-Since`` form ZOHO documents: ISO-8601 with offset, seconds."""
    return t.replace(microsecond=0).isoformat()


def field_batches(fields: list[str]) -> list[list[str]]:
    """``fields`` in calls of at most 50 names, ``Modified_Time`` in the first."""
    rest = [f for f in fields if f not in ("id", "Modified_Time")]
    first = ["Modified_Time", *rest[: MAX_FIELDS - 1]]
    more = rest[MAX_FIELDS - 1 :]
    return [first] + [more[i : i + MAX_FIELDS] for i in range(0, len(more), MAX_FIELDS)]


class _Boundary:
    """Dedupe across re-windows with memory bounded by one second's records: the ids sent
    with the newest ``Modified_Time`` so far."""

    def __init__(self) -> None:
        self.time: dt.datetime | None = None
        self.ids: set[str] = set()

    def fresh(self, records: list[dict]) -> list[dict]:
        out = []
        for r in records:
            t = parse_time(r.get("Modified_Time"))
            rid = str(r.get("id"))
            if t is not None and t == self.time and rid in self.ids:
                continue
            out.append(r)
            if t is None:
                continue
            if self.time is None or t > self.time:
                self.time, self.ids = t, {rid}
            elif t == self.time:
                self.ids.add(rid)
        return out


def list_records(
    client: ZohoClient,
    module: str,
    fields: list[str],
    *,
    params: dict | None = None,
    since: str | None = None,
    token_limit: int | None = None,
) -> Iterator[list[dict]]:
    """Pages of ``module``'s records modified after ``since`` (all when None), oldest first."""
    token_limit = token_limit or TOKEN_LIMIT
    path = f"/crm/v8/{module}"
    batches = field_batches(fields)
    base = {
        **(params or {}),
        "fields": ",".join(batches[0]),
        "per_page": str(PER_PAGE),
        "sort_by": "Modified_Time",
        "sort_order": "asc",
    }
    boundary = _Boundary()
    window = since
    while True:
        page, token, got = 1, None, 0
        for_next_window = False
        while True:
            q = {**base, **({"page_token": token} if token else {"page": str(page)})}
            try:
                body = client.get(path, q, since=window)
            except ZohoError as e:
                if e.code != "PAGINATION_LIMIT_EXCEEDED" or boundary.time is None:
                    raise
                for_next_window = True
                break
            if body is None:
                return
            data = body.get("data") or []
            info = body.get("info") or {}
            got += len(data)
            records = boundary.fresh(data)
            if records and len(batches) > 1:
                records = _complete(client, path, records, batches[1:], params or {})
            if records:
                yield records
            if not info.get("more_records") or not data:
                return
            token = info.get("next_page_token")
            page += 1
            if got >= token_limit or (not token and (page - 1) * PER_PAGE >= DISCRETE_LIMIT):
                for_next_window = True
                break
        if not for_next_window:
            return
        if boundary.time is None:
            raise SourceError(
                f"ZOHO GET {path}: paging stopped at {got:,} records and none carried a "
                "readable Modified_Time to restart from; check the module's Modified_Time field."
            )
        nxt = boundary.time - dt.timedelta(seconds=1)
        old = parse_time(window) if window else None
        if old is not None and nxt <= old:
            raise SourceError(
                f"ZOHO GET {path}: more than {token_limit:,} records were modified within one "
                f"second ({http_time(boundary.time)}); paging cannot get past them. Extract "
                "this module with ZOHO's Bulk Read API instead."
            )
        window = http_time(nxt)


def _complete(
    client: ZohoClient, path: str, records: list[dict], batches: list[list[str]], params: dict
) -> list[dict]:
    """Fetch the fields beyond the first 50 for ``records`` and merge them by id; a record
    ZOHO no longer returns (deleted meanwhile) is left out."""
    by_id = {str(r["id"]): r for r in records}
    for batch in batches:
        found: set[str] = set()
        ids = list(by_id)
        for i in range(0, len(ids), IDS_PER_CALL):
            chunk = ids[i : i + IDS_PER_CALL]
            q = {**params, "ids": ",".join(chunk), "fields": ",".join(batch)}
            body = client.get(path, q) or {}
            for other in body.get("data") or []:
                rid = str(other.get("id"))
                if rid in by_id:
                    by_id[rid].update({k: v for k, v in other.items() if k != "id"})
                    found.add(rid)
        by_id = {k: v for k, v in by_id.items() if k in found}
    return list(by_id.values())


def _simple_pages(
    client: ZohoClient, path: str, params: dict, since: str | None, envelope: str
) -> Iterator[list[dict]]:
    page, token = 1, None
    while True:
        q = {**params, "per_page": str(PER_PAGE)}
        q.update({"page_token": token} if token else {"page": str(page)})
        body = client.get(path, q, since=since)
        if body is None:
            return
        data = body.get(envelope) or []
        if data:
            yield data
        info = body.get("info") or {}
        if not info.get("more_records") or not data:
            return
        token = info.get("next_page_token")
        page += 1


def deleted_records(client: ZohoClient, module: str, since: str | None) -> Iterator[list[dict]]:
    """Pages of ``module``'s deleted-records log (recycle bin and permanent) after ``since``."""
    return _simple_pages(client, f"/crm/v8/{module}/deleted", {"type": "all"}, since, "data")


def users(client: ZohoClient, since: str | None) -> Iterator[list[dict]]:
    """Pages of all users (active and deactivated) modified after ``since``."""
    return _simple_pages(client, "/crm/v8/users", {"type": "AllUsers"}, since, "users")


def related_records(
    client: ZohoClient, module: str, record_id: str, related: str, fields: list[str]
) -> list[dict]:
    """Every row of one record's related list (``[]`` when the record is gone)."""
    path = f"/crm/v8/{module}/{record_id}/{related}"
    try:
        return [
            r
            for page in _simple_pages(client, path, {"fields": ",".join(fields)}, None, "data")
            for r in page
        ]
    except ZohoError as e:
        if e.status == 404 or (e.code == "INVALID_DATA" and "not exist" in str(e)):
            return []  # the parent was deleted since it was listed
        raise
