"""ZOHO CRM REST v8 simulator (see shared/reference/source_protocols.md §1).

Endpoints:

* ``POST /oauth/v2/token`` — refresh-token grant (params in query or form body, client
  credentials also as HTTP Basic) → ``{access_token, expires_in, api_domain, token_type}``.
* ``GET /crm/v8/{Module}`` — list records: mandatory ``fields`` (≤ 50), ``per_page`` ≤ 200,
  ``page`` (only the first 2,000 records), ``page_token`` past that, ``sort_by`` /
  ``sort_order``, ``If-Modified-Since`` (strictly after; 304 when nothing changed, 204 empty).
* ``GET /crm/v8/{Module}/deleted?type=all|recycle|permanent`` — the deleted-records log.
* ``GET /crm/v8/{Module}/actions/count`` — ``{"count": n}``.
* ``GET /crm/v8/Deals/{id}/Stage_History?fields=...`` — the stage-history related list.
* ``GET /crm/v8/users?type=AllUsers`` — users, envelope ``{"users": [...], "info": {...}}``.

Records are sliced out of the world's Arrow tables: a page is ``take`` of a cached sort order,
and only the page is converted to Python and JSON. A ``page_token`` names a snapshot (the
table and sort order it was cut from) and an offset, so paging stays stable while the world
advances underneath, until ``page_token_expiry``.
"""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import hashlib
import hmac
import http.client
import json
import math
import secrets
import struct
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from simulators.servers.faults import FaultInjector
from simulators.servers.http import App, Request, Response, json_response
from simulators.servers.store import WorldStore

MODULES = (
    "Leads",
    "Accounts",
    "Contacts",
    "Campaigns",
    "Deals",
    "Events",
    "Tasks",
    "Products",
    "Sales_Orders",
    "Invoices",
    "Sales_Targets",
)
_MODULE_BY_LOWER = {m.lower(): m for m in MODULES}
SORT_COLUMNS = {"id": None, "Created_Time": "_created", "Modified_Time": "_modified"}
MAX_FIELDS = 50
MAX_PER_PAGE = 200
DISCRETE_LIMIT = 2000  # records reachable with `page`
RECYCLE_BIN_DAYS = 60  # deleted records stay in the recycle bin this long, then "permanent"
USER_TYPES = (
    "AllUsers",
    "ActiveUsers",
    "DeactiveUsers",
    "AdminUsers",
    "ActiveConfirmedUsers",
    "ActiveConfirmedAdmins",
    "ConfirmedUsers",
    "AllActiveUsers",
    "CurrentUser",
)
LOCAL_TZ = dt.timezone(dt.timedelta(hours=8))
_UTC_SHIFT = 8 * 3600  # local seconds = UTC epoch seconds + 8 h
_EPOCH = dt.datetime(1970, 1, 1)


class _Fail(Exception):
    """Abort a handler with a ready response."""

    def __init__(self, resp: Response):
        super().__init__(resp.status)
        self.resp = resp


def _error(
    status: int, code: str, message: str, details: dict | None = None, headers: dict | None = None
) -> Response:
    return json_response(
        {"code": code, "details": details or {}, "message": message, "status": "error"},
        status,
        headers,
    )


def _fail(status: int, code: str, message: str, details: dict | None = None) -> _Fail:
    return _Fail(_error(status, code, message, details))


def local_iso(t: float) -> str:
    """Local seconds → ZOHO's ``2025-06-30T10:11:12+08:00``."""
    return (_EPOCH + dt.timedelta(seconds=int(t))).strftime("%Y-%m-%dT%H:%M:%S+08:00")


def parse_http_time(value: str) -> float:
    """``If-Modified-Since`` (ISO-8601 with offset, or RFC 1123) → local seconds.
    A time without an offset is read as Asia/Shanghai time."""
    s = value.strip()
    try:
        d = dt.datetime.fromisoformat(s)
    except ValueError:
        try:
            d = email.utils.parsedate_to_datetime(s)
        except (TypeError, ValueError, IndexError) as e:
            raise ValueError(f"unreadable time {value!r}") from e
    if d.tzinfo is None:
        d = d.replace(tzinfo=LOCAL_TZ)
    return d.timestamp() + _UTC_SHIFT


def _head(column: str) -> str:
    """The API field a column belongs to: ``Owner.id`` → ``Owner``."""
    if column.startswith("$"):
        return column
    return column.partition(".")[0]


def records(page: pa.Table) -> list[dict]:
    """Arrow rows → ZOHO records: dotted columns become nested lookups (NULL when all parts
    are NULL), like ``store.nest`` but column-wise, which is several times faster."""
    n = page.num_rows
    out: list[dict] = [{} for _ in range(n)]
    plan: list[tuple[str, list | None, list[tuple[str, list]] | None]] = []
    groups: dict[str, list[tuple[str, list]]] = {}
    for name, col in zip(page.column_names, page.columns, strict=True):
        vals = col.to_pylist()
        head = _head(name)
        if head == name:
            plan.append((name, vals, None))
        else:
            parts = groups.get(head)
            if parts is None:
                parts = groups[head] = []
                plan.append((head, None, parts))
            parts.append((name[len(head) + 1 :], vals))
    for key, vals, parts in plan:
        if parts is None:
            for rec, v in zip(out, vals, strict=True):
                rec[key] = v
        else:
            tails = [t for t, _ in parts]
            width = len(tails)
            for rec, row in zip(out, zip(*(v for _, v in parts), strict=True), strict=True):
                rec[key] = dict(zip(tails, row, strict=True)) if row.count(None) != width else None
    return out


def _converted_mask(table: pa.Table, converted: str | None) -> pa.Array | None:
    """Rows a Leads ``converted=true|false`` filter keeps (None: no filter)."""
    if converted not in ("true", "false") or "Converted__s" not in table.column_names:
        return None
    flag = pc.fill_null(table["Converted__s"], False)
    return flag if converted == "true" else pc.invert(flag)


@dataclass
class _Snapshot:
    """A sorted, filtered view of one table: what a chain of page tokens pages through."""

    id: int
    key: tuple
    table: pa.Table
    order: pa.Array  # row indices into ``table``
    sort_by: str
    sort_order: str
    ims: int | None
    expires: float  # epoch seconds


class CrmApp(App):
    name = "crm"
    token_ttl_s: float = 3600  # access-token lifetime
    page_token_ttl_s: float = 24 * 3600
    token_record_limit: int | None = 100_000  # records reachable through page tokens
    refresh_limit: tuple[int, float] | None = None  # e.g. (10, 600): refreshes per window
    max_snapshots = 64

    def __init__(self, store: WorldStore, creds, faults: FaultInjector | None = None):
        super().__init__(faults)
        self.store = store
        self.client_id = creds["ZHONGTAI_CRM_CLIENT_ID"]
        self.client_secret = creds["ZHONGTAI_CRM_CLIENT_SECRET"]
        self.refresh_token = creds["ZHONGTAI_CRM_REFRESH_TOKEN"]
        self._lock = threading.Lock()
        self._tokens: dict[str, float] = {}  # access token → monotonic expiry
        self._refreshes: deque[float] = deque()
        self._secret = secrets.token_bytes(16)
        self._snaps: OrderedDict[int, _Snapshot] = OrderedDict()
        self._snap_by_key: dict[tuple, int] = {}
        self._next_snap = 1
        self._stage_index: tuple[pa.Table, dict[str, list[int]]] | None = None
        self._deal_ids: tuple[pa.Table, set[str]] | None = None
        self._admin: tuple[pa.Table, dict] | None = None
        v8 = r"/crm/v8"
        self.route("POST", r"/oauth/v2/token", self.token)
        self.route("GET", v8 + r"/users", self.users)
        self.route("GET", v8 + r"/users/actions/count", self.users_count)
        self.route("GET", v8 + r"/(?P<module>[^/]+)", self.list_records)
        self.route("GET", v8 + r"/(?P<module>[^/]+)/deleted", self.deleted)
        self.route("GET", v8 + r"/(?P<module>[^/]+)/actions/count", self.count)
        self.route("GET", v8 + r"/(?P<module>[^/]+)/(?P<rid>[^/]+)/(?P<rel>[^/]+)", self.related)

    # ------------------------------------------------------------------ plumbing

    def dispatch(self, req: Request) -> Response:
        try:
            return super().dispatch(req)
        except _Fail as f:
            return f.resp

    def not_found(self, req: Request) -> Response:
        return _error(
            404, "INVALID_URL_PATTERN", "Please check if the URL trying to access is a correct one"
        )

    def rate_limited(self, retry_after: float) -> Response:
        body = {
            "code": "TOO_MANY_REQUESTS",
            "status": "error",
            "message": "You have made too many requests. Please try again after some time.",
            "details": {},
        }
        return json_response(body, 429, {"Retry-After": f"{max(1, round(retry_after))}"})

    def on_expire(self) -> None:
        with self._lock:
            self._tokens.clear()

    # ------------------------------------------------------------------ OAuth

    def token(self, req: Request, m) -> Response:
        p = req.form()
        cid, csecret = p.get("client_id"), p.get("client_secret")
        auth = req.header("authorization") or ""
        if auth[:6].lower() == "basic ":
            try:
                cid, _, csecret = base64.b64decode(auth[6:].strip()).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                cid = csecret = None
        if cid != self.client_id or csecret != self.client_secret:
            return json_response({"error": "invalid_client"})
        if p.get("grant_type") != "refresh_token" or p.get("refresh_token") != self.refresh_token:
            return json_response({"error": "invalid_code"})
        now = time.monotonic()
        with self._lock:
            if self.refresh_limit:
                limit, window = self.refresh_limit
                while self._refreshes and self._refreshes[0] <= now - window:
                    self._refreshes.popleft()
                if len(self._refreshes) >= limit:
                    return json_response(
                        {
                            "error": "Access Denied",
                            "error_description": "You have made too many requests continuously. "
                            "Please try again after some time.",
                            "status": "failure",
                        },
                        400,
                    )
                self._refreshes.append(now)
            for t in [t for t, exp in self._tokens.items() if exp <= now]:
                del self._tokens[t]
            tok = f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}"
            self._tokens[tok] = now + float(self.token_ttl_s)
        host = req.header("host") or "127.0.0.1"
        return json_response(
            {
                "access_token": tok,
                "expires_in": max(1, round(float(self.token_ttl_s))),
                "api_domain": f"http://{host}",
                "token_type": "Bearer",
            }
        )

    def _auth(self, req: Request) -> None:
        h = (req.header("authorization") or "").strip()
        if not h:
            raise _fail(401, "AUTHENTICATION_FAILURE", "Authentication failed")
        scheme, _, tok = h.partition(" ")
        tok = tok.strip()
        if scheme.lower() in ("zoho-oauthtoken", "bearer") and tok:
            now = time.monotonic()
            with self._lock:
                exp = self._tokens.get(tok)
                if exp is not None and exp > now:
                    return
                self._tokens.pop(tok, None)
        raise _fail(401, "INVALID_TOKEN", "invalid oauth token")

    # ------------------------------------------------------------------ parameters

    @staticmethod
    def _module(name: str) -> str:
        mod = _MODULE_BY_LOWER.get(name.lower())
        if mod is None:
            raise _fail(
                400,
                "INVALID_MODULE",
                "the module name given seems to be invalid",
                {"resource_path_index": 0},
            )
        return mod

    def _table(self, entity: str) -> pa.Table:
        return self.store.table("crm", entity)

    @staticmethod
    def _int(req: Request, name: str, default: int, maximum: int | None = None) -> int:
        raw = req.arg(name)
        if raw is None or raw == "":
            return default
        try:
            v = int(raw)
        except ValueError:
            v = 0
        if v < 1:
            raise _fail(400, "INVALID_DATA", "invalid data", {"param_name": name})
        if maximum is not None and v > maximum:
            raise _fail(
                400, "LIMIT_EXCEEDED", "limit exceeded", {"limit": maximum, "param_name": name}
            )
        return v

    @staticmethod
    def _fields(
        req: Request,
        table: pa.Table,
        required: bool = True,
        missing_message: str = "required param is missing",
    ) -> list[str]:
        """Columns to serve for the ``fields`` parameter (``id`` always)."""
        served = [c for c in table.column_names if not c.startswith("_")]
        raw = req.arg("fields")
        if raw is None or not raw.strip():
            if required:
                raise _fail(
                    400, "REQUIRED_PARAM_MISSING", missing_message, {"param_name": "fields"}
                )
            return served
        wanted = list(dict.fromkeys(f.strip() for f in raw.split(",") if f.strip()))
        if len(wanted) > MAX_FIELDS:
            raise _fail(
                400,
                "LIMIT_EXCEEDED",
                "limit exceeded",
                {"limit": MAX_FIELDS, "param_name": "fields"},
            )
        known = {_head(c) for c in served}
        for f in wanted:
            if f not in known:
                raise _fail(
                    400,
                    "INVALID_DATA",
                    "the field name given seems to be invalid",
                    {"param_name": "fields", "api_name": f},
                )
        want = set(wanted) | {"id"}
        if "What_Id" in want:
            want.add("$se_module")  # ZOHO sends the What_Id module along with the lookup
        return [c for c in served if _head(c) in want]

    @staticmethod
    def _converted(req: Request, module: str) -> str | None:
        """Leads only: ``converted`` as given (None when absent; the default is ``false``)."""
        if module != "Leads":
            return None
        v = req.arg("converted")
        if v is not None and v not in ("true", "false", "both"):
            raise _fail(
                400,
                "INVALID_DATA",
                "invalid data",
                {"param_name": "converted", "supported_values": ["true", "false", "both"]},
            )
        return v

    @staticmethod
    def _ims(req: Request) -> int | None:
        """``If-Modified-Since`` as an integer cut-off: records with ``_modified`` > it."""
        raw = req.header("if-modified-since")
        if raw is None or not raw.strip():
            return None
        try:
            return math.floor(parse_http_time(raw))
        except (ValueError, OverflowError):
            raise _fail(
                400, "INVALID_DATA", "invalid data", {"param_name": "If-Modified-Since"}
            ) from None

    # ------------------------------------------------------------------ snapshots & tokens

    @staticmethod
    def _sorted_order(
        table: pa.Table, sort_by: str, sort_order: str, ims: int | None, converted: str | None
    ) -> pa.Array:
        idx = None
        sub = table
        mask = _converted_mask(table, converted)
        if ims is not None:
            newer = pc.greater(table["_modified"], pa.scalar(ims, pa.int64()))
            mask = newer if mask is None else pc.and_(mask, newer)
        if mask is not None:
            idx = pc.indices_nonzero(pc.fill_null(mask, False))
            sub = table.select(["id", "_created", "_modified"]).take(idx)
        try:
            ids = pc.cast(sub["id"], pa.int64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            ids = sub["id"]
        keys = (
            {"k": ids}
            if SORT_COLUMNS[sort_by] is None
            else {"k": sub[SORT_COLUMNS[sort_by]], "i": ids}
        )
        direction = "ascending" if sort_order == "asc" else "descending"
        order = pc.sort_indices(pa.table(keys), sort_keys=[(k, direction) for k in keys])
        if idx is not None:
            order = idx.take(order)
        return order.cast(pa.int64())

    def _snapshot(
        self,
        module: str,
        table: pa.Table,
        sort_by: str,
        sort_order: str,
        ims: int | None,
        converted: str | None,
    ) -> _Snapshot:
        key = (module, sort_by, sort_order, ims, converted)
        now = time.time()
        with self._lock:
            sid = self._snap_by_key.get(key)
            snap = self._snaps.get(sid) if sid is not None else None
            if (
                snap is not None
                and snap.table is table
                and snap.expires - now > self.page_token_ttl_s / 2
            ):
                self._snaps.move_to_end(sid)
                return snap
        order = self._sorted_order(table, sort_by, sort_order, ims, converted)
        with self._lock:
            sid = self._next_snap
            self._next_snap += 1
            snap = _Snapshot(
                sid, key, table, order, sort_by, sort_order, ims, now + self.page_token_ttl_s
            )
            self._snaps[sid] = snap
            self._snap_by_key[key] = sid
            while len(self._snaps) > self.max_snapshots:
                old_id, old = self._snaps.popitem(last=False)
                if self._snap_by_key.get(old.key) == old_id:
                    del self._snap_by_key[old.key]
        return snap

    def _encode_token(self, snap: _Snapshot, offset: int, per_page: int) -> str:
        payload = struct.pack(">IIHI", snap.id, offset, per_page, int(snap.expires))
        sig = hmac.new(self._secret, payload, hashlib.sha256).digest()[:8]
        return (payload + sig).hex()

    def _decode_token(self, token: str) -> tuple[_Snapshot, int, int]:
        bad = _fail(
            400,
            "TOKEN_BOUND_DATA_MISMATCH",
            "The page_token given seems to be invalid or input param is added or "
            "altered or deleted",
            {"param_name": "page_token"},
        )
        try:
            raw = bytes.fromhex(token.strip())
        except ValueError:
            raise bad from None
        if len(raw) != 22:
            raise bad
        payload, sig = raw[:14], raw[14:]
        if not hmac.compare_digest(
            sig, hmac.new(self._secret, payload, hashlib.sha256).digest()[:8]
        ):
            raise bad
        sid, offset, per_page, expires = struct.unpack(">IIHI", payload)
        with self._lock:
            snap = self._snaps.get(sid)
        if expires <= time.time() or snap is None:
            raise _fail(
                400,
                "EXPIRED_VALUE",
                "Page token expired",
                {"api_name": "page_token", "json_path": "$.query.page_token"},
            )
        return snap, offset, per_page

    # ------------------------------------------------------------------ records

    def list_records(self, req: Request, m) -> Response:
        self._auth(req)
        module = self._module(m["module"])
        table = self._table(module)
        cols = self._fields(req, table)
        per_page = self._int(req, "per_page", MAX_PER_PAGE, MAX_PER_PAGE)
        page_arg, token_arg = req.arg("page"), req.arg("page_token")
        if page_arg is not None and token_arg is not None:
            raise _fail(
                400,
                "AMBIGUITY_DURING_PROCESSING",
                "Ambiguity while processing",
                {"ambiguity_due_to": [{"param_name": "page"}, {"param_name": "page_token"}]},
            )
        sort_by, sort_order = req.arg("sort_by"), req.arg("sort_order")
        if sort_by is not None and sort_by not in SORT_COLUMNS:
            raise _fail(
                400,
                "INVALID_DATA",
                "invalid data",
                {"param_name": "sort_by", "supported_values": list(SORT_COLUMNS)},
            )
        if sort_order is not None and sort_order not in ("asc", "desc"):
            raise _fail(
                400,
                "INVALID_DATA",
                "invalid data",
                {"param_name": "sort_order", "supported_values": ["asc", "desc"]},
            )
        ims = self._ims(req)
        converted = self._converted(req, module)
        if token_arg is not None:
            snap, offset, token_per_page = self._decode_token(token_arg)
            if (
                snap.key[0] != module
                or sort_by not in (None, snap.sort_by)
                or sort_order not in (None, snap.sort_order)
                or ims not in (None, snap.ims)
                or converted not in (None, snap.key[4])
            ):
                raise _fail(
                    400,
                    "TOKEN_BOUND_DATA_MISMATCH",
                    "The page_token given seems to be invalid or input param is added "
                    "or altered or deleted",
                    {"param_name": "page_token"},
                )
            if req.arg("per_page") is None:
                per_page = token_per_page
            if self.token_record_limit is not None and offset >= self.token_record_limit:
                raise _fail(
                    400,
                    "PAGINATION_LIMIT_EXCEEDED",
                    f"You can only get upto {self.token_record_limit} records using "
                    "page_token param",
                    {"param_name": "page_token"},
                )
        else:
            page = self._int(req, "page", 1)
            if page * per_page > DISCRETE_LIMIT:
                raise _fail(
                    400,
                    "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
                    "You can only get the first 2000 records without using page_token param",
                    {"limit": DISCRETE_LIMIT},
                )
            if module == "Leads":
                converted = converted or "false"
            snap = self._snapshot(
                module, table, sort_by or "id", sort_order or "desc", ims, converted
            )
            offset = (page - 1) * per_page
        total = len(snap.order)
        if total == 0:
            return Response(304 if ims is not None and snap.table.num_rows else 204)
        if offset >= total:
            return Response(204)
        rows = snap.order.slice(offset, per_page)
        data = records(snap.table.select(cols).take(rows))
        end = offset + len(data)
        more = end < total
        nxt = self._encode_token(snap, end, per_page) if more else None
        prev = self._encode_token(snap, max(0, offset - per_page), per_page) if offset else None
        info = {
            "per_page": per_page,
            "count": len(data),
            "page": offset // per_page + 1,
            "more_records": more,
            "next_page_token": nxt,
            "previous_page_token": prev,
            "page_token_expiry": local_iso(snap.expires + _UTC_SHIFT) if nxt or prev else None,
            "sort_by": snap.sort_by,
            "sort_order": snap.sort_order,
        }
        return json_response({"data": data, "info": info})

    def count(self, req: Request, m) -> Response:
        self._auth(req)
        module = self._module(m["module"])
        table = self._table(module)
        mask = _converted_mask(table, self._converted(req, module) or "false")
        if mask is None:
            return json_response({"count": table.num_rows})
        return json_response({"count": int(pc.sum(pc.fill_null(mask, False)).as_py() or 0)})

    # ------------------------------------------------------------------ deleted records

    def _admin_user(self) -> dict:
        """Who the deleted log names as deleter/creator: the first administrator."""
        users = self._table("users")
        with self._lock:
            if self._admin is not None and self._admin[0] is users:
                return self._admin[1]
        rows = users.select(["id", "full_name", "profile.name"]).to_pylist()
        rows.sort(key=lambda r: (r["profile.name"] != "Administrator", r["id"]))
        admin = {"name": rows[0]["full_name"], "id": rows[0]["id"]} if rows else None
        with self._lock:
            self._admin = (users, admin)
        return admin

    def deleted(self, req: Request, m) -> Response:
        self._auth(req)
        module = self._module(m["module"])
        kind = req.arg("type") or "all"
        if kind not in ("all", "recycle", "permanent"):
            return json_response(
                {
                    "data": [
                        {
                            "code": "PATTERN_NOT_MATCHED",
                            "details": {"param_name": "type"},
                            "message": "Please check whether the input values are correct",
                            "status": "error",
                        }
                    ]
                },
                400,
            )
        per_page = self._int(req, "per_page", MAX_PER_PAGE, MAX_PER_PAGE)
        page = self._int(req, "page", 1)
        ims = self._ims(req)
        try:
            dead = self.store.deleted("crm", module)
        except KeyError:
            dead = pa.table(
                {
                    "id": pa.array([], pa.string()),
                    "display_name": pa.array([], pa.string()),
                    "deleted_time": pa.array([], pa.int64()),
                }
            )
        if dead.num_rows == 0:
            return Response(204)
        rows = dead.select(["id", "display_name", "deleted_time"]).to_pylist()
        if ims is not None:
            rows = [r for r in rows if r["deleted_time"] > ims]
            if not rows:
                return Response(304)
        recycle_after = self.store.as_of_end - RECYCLE_BIN_DAYS * 86400
        for r in rows:
            r["type"] = "recycle" if r["deleted_time"] >= recycle_after else "permanent"
        if kind != "all":
            rows = [r for r in rows if r["type"] == kind]
        rows.sort(key=lambda r: (r["deleted_time"], r["id"]), reverse=True)
        offset = (page - 1) * per_page
        chunk = rows[offset : offset + per_page]
        if not chunk:
            return Response(204)
        admin = self._admin_user()
        data = []
        for r in chunk:
            rec = r["type"] == "recycle"
            data.append(
                {
                    "deleted_by": admin if rec else None,
                    "id": r["id"],
                    "display_name": r["display_name"] if rec else None,
                    "type": r["type"],
                    "created_by": admin if rec else None,
                    "deleted_time": local_iso(r["deleted_time"]),
                }
            )
        info = {
            "per_page": per_page,
            "count": len(data),
            "page": page,
            "more_records": offset + len(data) < len(rows),
        }
        return json_response({"data": data, "info": info})

    # ------------------------------------------------------------------ users

    def _users_rows(self, req: Request) -> tuple[pa.Table, pa.Array]:
        kind = req.arg("type") or "AllUsers"
        if kind not in USER_TYPES:
            raise _fail(
                400,
                "INVALID_DATA",
                "invalid data",
                {"param_name": "type", "supported_values": list(USER_TYPES)},
            )
        users = self._table("users")
        mask = pa.array([True] * users.num_rows, pa.bool_())
        active = pc.equal(users["status"], "active")
        admin = pc.equal(users["profile.name"], "Administrator")
        if kind in ("ActiveUsers", "ActiveConfirmedUsers", "AllActiveUsers"):
            mask = active
        elif kind == "DeactiveUsers":
            mask = pc.invert(active)
        elif kind == "AdminUsers":
            mask = admin
        elif kind == "ActiveConfirmedAdmins":
            mask = pc.and_(active, admin)
        elif kind == "CurrentUser":
            me = (self._admin_user() or {}).get("id")
            mask = pc.equal(users["id"], me or "")
        mask = pc.fill_null(mask, False)
        return users, mask

    def users(self, req: Request, m) -> Response:
        self._auth(req)
        users, mask = self._users_rows(req)
        cols = self._fields(req, users, required=False)
        per_page = self._int(req, "per_page", MAX_PER_PAGE, MAX_PER_PAGE)
        page = self._int(req, "page", 1)
        ims = self._ims(req)
        if users.num_rows == 0:
            return Response(204)
        if ims is not None:
            mask = pc.and_(mask, pc.greater(users["_modified"], pa.scalar(ims, pa.int64())))
        idx = pc.indices_nonzero(mask)
        if len(idx) == 0:
            return Response(304 if ims is not None else 204)
        sub = users.take(idx)
        order = pc.sort_indices(sub, sort_keys=[("id", "ascending")])
        offset = (page - 1) * per_page
        if offset >= len(order):
            return Response(204)
        data = records(sub.select(cols).take(order.slice(offset, per_page)))
        info = {
            "per_page": per_page,
            "count": len(data),
            "page": page,
            "more_records": offset + len(data) < len(order),
        }
        return json_response({"users": data, "info": info})

    def users_count(self, req: Request, m) -> Response:
        self._auth(req)
        _, mask = self._users_rows(req)
        return json_response({"count": int(pc.sum(pc.cast(mask, pa.int64())).as_py() or 0)})

    # ------------------------------------------------------------------ stage history

    def _deal_exists(self, deal_id: str) -> bool:
        deals = self._table("Deals")
        with self._lock:
            cached = self._deal_ids
        if cached is None or cached[0] is not deals:
            cached = (deals, set(deals["id"].to_pylist()))
            with self._lock:
                self._deal_ids = cached
        return deal_id in cached[1]

    def _history_rows(self, deal_id: str) -> tuple[pa.Table, list[int]]:
        hist = self._table("Stage_History")
        with self._lock:
            cached = self._stage_index
        if cached is None or cached[0] is not hist:
            index: dict[str, list[int]] = {}
            for i, d in enumerate(hist["Deal_Id"].to_pylist()):
                index.setdefault(d, []).append(i)
            cached = (hist, index)
            with self._lock:
                self._stage_index = cached
        return hist, cached[1].get(deal_id, [])

    def related(self, req: Request, m) -> Response:
        self._auth(req)
        module = self._module(m["module"])
        if module != "Deals" or m["rel"].lower() != "stage_history":
            raise _fail(
                400,
                "INVALID_DATA",
                "the related list name given seems to be invalid",
                {"resource_path_index": 2},
            )
        if not self._deal_exists(m["rid"]):
            raise _fail(404, "INVALID_DATA", "The record does not exist")
        hist, rows = self._history_rows(m["rid"])
        cols = self._fields(req, hist, missing_message="One of the expected parameter is missing")
        per_page = self._int(req, "per_page", MAX_PER_PAGE, MAX_PER_PAGE)
        page = self._int(req, "page", 1)
        ims = self._ims(req)
        if ims is not None and rows:
            mod = hist["_modified"].take(pa.array(rows, pa.int64())).to_pylist()
            newer = [r for r, t in zip(rows, mod, strict=True) if t > ims]
            if not newer:
                return Response(304)
            rows = newer
        offset = (page - 1) * per_page
        chunk = rows[offset : offset + per_page]
        if not chunk:
            return Response(204)
        data = records(hist.select(cols).take(pa.array(chunk, pa.int64())))
        info = {
            "per_page": per_page,
            "count": len(data),
            "page": page,
            "more_records": offset + len(data) < len(rows),
            "next_page_token": None,
            "previous_page_token": None,
            "page_token_expiry": None,
        }
        return json_response({"data": data, "info": info})


# ---------------------------------------------------------------------- benchmark


def bench_crm(
    world: Path, module: str = "Events", max_records: int = 100_000, fields: str | None = None
) -> float:
    """Page ``module`` with page tokens over one keep-alive connection (the way an extractor
    does) against an in-process simulator; return records per second (client JSON decoding
    included)."""
    from simulators.servers.http import RunningServer
    from simulators.servers.sources import Credentials

    creds = Credentials.from_env()
    app = CrmApp(WorldStore(Path(world)), creds)
    srv = RunningServer(app, port=0, log=False)
    try:
        conn = http.client.HTTPConnection(srv.host, srv.port, timeout=30)
        q = (
            f"/oauth/v2/token?grant_type=refresh_token&client_id={creds['ZHONGTAI_CRM_CLIENT_ID']}"
            f"&client_secret={creds['ZHONGTAI_CRM_CLIENT_SECRET']}"
            f"&refresh_token={creds['ZHONGTAI_CRM_REFRESH_TOKEN']}"
        )
        conn.request("POST", q)
        tok = json.loads(conn.getresponse().read())["access_token"]
        headers = {"Authorization": f"Zoho-oauthtoken {tok}"}
        if fields is None:
            cols = app.store.table("crm", module).column_names
            fields = ",".join(dict.fromkeys(_head(c) for c in cols if not c.startswith("_")))
        base = f"/crm/v8/{module}?fields={fields}&per_page=200&sort_by=id&sort_order=asc"
        app.store.table("crm", module)  # load outside the timing
        n, page, token = 0, 1, None
        t0 = time.perf_counter()
        while n < max_records:
            url = base + (f"&page_token={token}" if token else f"&page={page}")
            conn.request("GET", url, headers=headers)
            resp = conn.getresponse()
            body = resp.read()
            if resp.status != 200:
                break
            doc = json.loads(body)
            n += len(doc["data"])
            info = doc["info"]
            if not info["more_records"]:
                break
            token = info["next_page_token"]
            page += 1
        elapsed = time.perf_counter() - t0
        conn.close()
        return n / elapsed if elapsed else 0.0
    finally:
        srv.stop()
