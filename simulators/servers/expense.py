"""Huilianyi (汇联易) expense open API simulator.

Protocol (source-protocol reference §4; SDK ``fangqk1991/fc-kits:packages/huilianyi-sdk``):

* ``POST /oauth/token`` — ``Authorization: Basic base64(client_id:client_secret)``, form body
  ``grant_type=client_credentials&scope=write`` → ``{"access_token","token_type":"bearer",
  "expires_in","scope":"write","tenantId"}``; bad credentials → 401 ``{"timestamp","status":401,
  "error":"Unauthorized","message":"Bad credentials"}``.
* Every other call: ``Authorization: Bearer <token>``. Unknown, revoked or expired tokens → 401
  in the Spring Security OAuth2 shape ``{"error":"invalid_token","error_description":...}``.
* ``POST /gateway/api/open/expenseReport/v2`` — JSON body ``{page, size, lastModifyStartDate,
  lastModifyEndDate, statusList, sortDTOList, with*…}`` → a **bare array** of reports; a page
  past the end is ``[]``.
* ``GET /gateway/api/open/expenseReport?startDate=&endDate=&page=&size=[&status=]`` — the
  deprecated v1 list, same filter semantics, bare array.
* ``GET /gateway/api/open/expenseReport/detail?businessCode=`` → ``{"message":"成功",
  "errorCode":"0000","data":{...report..., "approvalHistorys":[...]}}``.
* Business errors (bad parameters, unknown report) are HTTP 200 with
  ``{"message","errorCode","data":null}`` and ``errorCode`` ≠ ``"0000"``.

Choices where the reference is silent (inferences; listed in docs/decisions.md):

* Window strings ``"YYYY-MM-DD HH:MM:SS"`` are Beijing time (Asia/Shanghai, UTC+8): the SDK's
  own sync turns the last UTC ``lastModifiedDate`` into ``utcOffset('+08:00')`` strings. Both
  bounds are inclusive (SQL ``BETWEEN``), at whole-second resolution.
* The window filters on the record's true modification time. The handful of records whose
  ``lastModifiedDate`` is planted as ``"not-a-date"`` are served as is, and are selected by the
  time the record really changed (the database column is fine; the rendering is broken).
* ``size`` is 1..100 (default 100), ``page`` ≥ 1 (default 1); out of range → ``errorCode``
  ``"100001"``. Default order ``id`` ASC; ties are always broken by ``id`` ASC.
* No ``statusList`` (or an empty one) → every status, deleted reports (1010) included.
* ``realPaymentAmount`` is filled only with ``withRealPaymentAmount: true`` (else ``null``).
* Approval history (``approvalHistorys``) on the detail call and with ``withApprovalHistory``
  on v2: the SDK types it only on ``expenseApplication``; element = the world's
  ``approvalHistory`` row, ordered by ``createdDate`` then ``id``.
* A new token request while the client's token is alive returns the same token with the
  remaining lifetime (Spring ``DefaultTokenServices``).
"""

from __future__ import annotations

import base64
import binascii
import calendar
import datetime as dt
import hashlib
import hmac
import re
import threading
import time
import uuid
from collections import OrderedDict
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from simulators.servers.faults import FaultInjector
from simulators.servers.http import App, Request, Response, json_response
from simulators.servers.store import WorldStore, served_columns

SYSTEM = "expense"
REPORTS = "expenseReport"
HISTORY = "approvalHistory"

MAX_SIZE = 100
DEFAULT_SIZE = 100
DELETED = 1010

OK_CODE = "0000"
ERR_PARAM = "100001"  # invalid request parameter (inference)
ERR_NOT_FOUND = "100002"  # no such expense report (inference)

_TS_RE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\Z")
_SORT_PROPS = {"id", "lastModifiedDate", "createdDate"}
_SELECT_CACHE = 256

# Expense-type VO for ``withExpenseType`` (one type per report in the world).
_NS = uuid.UUID("6f1d3c1e-5b8a-4d0e-9c61-7e2b9a4f0c11")


def _now_utc() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _spring_error(
    status: int, error: str, message: str, path: str | None = None, headers: dict | None = None
) -> Response:
    body = {"timestamp": _now_utc(), "status": status, "error": error, "message": message}
    if path is not None:
        body["path"] = path
    return json_response(body, status, headers)


def _biz_error(message: str, code: str = ERR_PARAM) -> Response:
    return json_response({"message": message, "errorCode": code, "data": None})


class _BadParam(Exception):
    """A request parameter Huilianyi would reject (answered in its errorCode envelope)."""


def _parse_local(value, name: str) -> int | None:
    """``"YYYY-MM-DD HH:MM:SS"`` (Beijing time) → local seconds; None/"" → no bound."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _TS_RE.match(value):
        raise _BadParam(f"{name}格式错误，应为yyyy-MM-dd HH:mm:ss: {value}")
    try:
        d = dt.datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    except ValueError as e:
        raise _BadParam(f"{name}格式错误，应为yyyy-MM-dd HH:mm:ss: {value}") from e
    return calendar.timegm(d.timetuple())


def _parse_int(value, name: str, default: int, lo: int, hi: int | None) -> int:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise _BadParam(f"{name}参数错误: {value}")
    try:
        n = int(value)
    except (TypeError, ValueError) as e:
        raise _BadParam(f"{name}参数错误: {value}") from e
    if isinstance(value, float) and n != value:
        raise _BadParam(f"{name}参数错误: {value}")
    if n < lo:
        raise _BadParam(f"{name}不能小于{lo}")
    if hi is not None and n > hi:
        raise _BadParam(f"{name}不能大于{hi}")
    return n


def _parse_statuses(value) -> tuple[int, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [v for v in value.split(",") if v.strip()]
    if not isinstance(value, list):
        raise _BadParam(f"statusList参数错误: {value}")
    out = set()
    for v in value:
        if isinstance(v, bool):
            raise _BadParam(f"statusList参数错误: {v}")
        try:
            out.add(int(str(v).strip()) if isinstance(v, str) else int(v))
        except (TypeError, ValueError) as e:
            raise _BadParam(f"statusList参数错误: {v}") from e
    return tuple(sorted(out)) or None


def _parse_sort(value) -> tuple[tuple[str, bool], ...]:
    """``[{"property","direction"}]`` → ((property, descending), ...)."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _BadParam("sortDTOList参数错误")
    out = []
    for s in value:
        if not isinstance(s, dict):
            raise _BadParam("sortDTOList参数错误")
        prop = s.get("property")
        if prop not in _SORT_PROPS:
            raise _BadParam(f"不支持的排序字段: {prop}")
        direction = str(s.get("direction") or "ASC").upper()
        if direction not in ("ASC", "DESC"):
            raise _BadParam(f"排序方向错误: {s.get('direction')}")
        out.append((prop, direction == "DESC"))
    return tuple(out)


def _flag(body: dict, name: str) -> bool:
    v = body.get(name)
    if isinstance(v, str):
        return v.lower() == "true"
    return bool(v)


@cache
def _type_ids(code: str) -> tuple[str, str]:
    num = int.from_bytes(hashlib.blake2b(code.encode(), digest_size=4).digest(), "big")
    return str(100000 + num % 900000), str(uuid.uuid5(_NS, code))


def _expense_type_vo(code: str | None, name: str | None) -> list[dict]:
    if code is None:
        return []
    tid, oid = _type_ids(code)
    return [{"id": tid, "expenseTypeOID": oid, "name": name, "code": code}]


_CUSTOMER_FIELD_OID = str(uuid.uuid5(_NS, "field:customerName"))


def _expense_field_vo(customer: str | None) -> list[dict]:
    if not customer:
        return []
    return [
        {
            "fieldOID": _CUSTOMER_FIELD_OID,
            "fieldType": "TEXT",
            "name": "客户名称",
            "value": customer,
            "showValue": customer,
            "sequence": 0,
            "required": False,
        }
    ]


class _View:
    """Indexes over one loaded version of the world's expense tables."""

    def __init__(self, reports: pa.Table, history: pa.Table):
        self.reports = reports
        self.history_src = history
        self.served = reports.select(served_columns(reports))
        self.n = reports.num_rows
        self.modified = np.asarray(reports["_modified"].to_numpy(), dtype=np.int64)
        self.created = np.asarray(reports["_created"].to_numpy(), dtype=np.int64)
        self.status = np.asarray(reports["status"].to_numpy(), dtype=np.int64)
        ids = reports["id"]
        try:
            self.id_key = np.asarray(pc.cast(ids, pa.int64()).to_numpy(), dtype=np.int64)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            # Non-numeric ids: order by (length, string), numeric-like.
            rank = pc.sort_indices(
                pa.table({"l": pc.utf8_length(ids), "s": ids}),
                sort_keys=[("l", "ascending"), ("s", "ascending")],
            )
            key = np.empty(self.n, dtype=np.int64)
            key[rank.to_numpy()] = np.arange(self.n)
            self.id_key = key
        codes = reports["businessCode"].to_pylist()
        self.by_code = {c: i for i, c in enumerate(codes)}
        # Approval history grouped by businessCode, each group ordered by time then id.
        hs = history.select(served_columns(history))
        if hs.num_rows:
            order = pc.sort_indices(
                hs,
                sort_keys=[
                    ("businessCode", "ascending"),
                    ("createdDate", "ascending"),
                    ("id", "ascending"),
                ],
            )
            hs = hs.take(order)
        self.history = hs
        self.hist_span: dict[str, tuple[int, int]] = {}
        if hs.num_rows:
            hc = np.asarray(hs["businessCode"].to_numpy(zero_copy_only=False), dtype=object)
            starts = np.concatenate(([0], np.flatnonzero(hc[1:] != hc[:-1]) + 1))
            ends = np.concatenate((starts[1:], [len(hc)]))
            for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
                self.hist_span[hc[s]] = (s, e - s)
        self._orders: dict[tuple, np.ndarray] = {}
        self._selects: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def order(self, sort: tuple[tuple[str, bool], ...]) -> np.ndarray:
        o = self._orders.get(sort)
        if o is None:
            cols = {
                "id": self.id_key,
                "lastModifiedDate": self.modified,
                "createdDate": self.created,
            }
            keys = [(-cols[p] if desc else cols[p]) for p, desc in sort]
            keys.append(self.id_key)
            # np.lexsort sorts by the last key first.
            o = np.lexsort(tuple(reversed(keys))).astype(np.int64)
            self._orders[sort] = o
        return o

    def select(
        self,
        start: int | None,
        end: int | None,
        statuses: tuple[int, ...] | None,
        sort: tuple[tuple[str, bool], ...],
        corporate: bool,
    ) -> np.ndarray:
        key = (start, end, statuses, sort, corporate)
        with self._lock:
            sel = self._selects.get(key)
            if sel is not None:
                self._selects.move_to_end(key)
                return sel
        order = self.order(sort)
        if corporate:  # every report in the world is a personal one
            sel = order[:0]
        else:
            mask = np.ones(self.n, dtype=bool)
            if start is not None:
                mask &= self.modified >= start
            if end is not None:
                mask &= self.modified <= end
            if statuses is not None:
                mask &= np.isin(self.status, np.asarray(statuses, dtype=np.int64))
            sel = order[mask[order]]
        with self._lock:
            self._selects[key] = sel
            while len(self._selects) > _SELECT_CACHE:
                self._selects.popitem(last=False)
        return sel

    def rows(self, idx: np.ndarray) -> list[dict]:
        if len(idx) == 0:
            return []
        return self.served.take(pa.array(idx, type=pa.int64())).to_pylist()

    def histories(self, codes: list[str]) -> list[list[dict]]:
        spans = [self.hist_span.get(c, (0, 0)) for c in codes]
        take = [np.arange(s, s + n, dtype=np.int64) for s, n in spans if n]
        if not take:
            return [[] for _ in codes]
        flat = self.history.take(pa.array(np.concatenate(take))).to_pylist()
        out, pos = [], 0
        for _s, n in spans:
            out.append(flat[pos : pos + n])
            pos += n
        return out


class ExpenseApp(App):
    """The Huilianyi open API over the world's ``expense`` tables."""

    name = "expense"
    token_ttl_s: float = 7200

    def __init__(self, store: WorldStore, creds, faults: FaultInjector | None = None):
        super().__init__(faults)
        self.store = store
        self.client_id = creds["ZHONGTAI_EXPENSE_CLIENT_ID"]
        self.client_secret = creds["ZHONGTAI_EXPENSE_CLIENT_SECRET"]
        digest = hashlib.sha256(f"hly-tenant:{self.client_id}".encode()).digest()
        self.tenant_id = str(10**18 + int.from_bytes(digest[:8], "big") % (9 * 10**17))
        self._tokens: dict[str, float] = {}  # token -> monotonic expiry
        self._current: str | None = None
        self._token_lock = threading.Lock()
        self._view: _View | None = None
        self._view_lock = threading.Lock()
        self.route("POST", r"/oauth/token", self.token)
        self.route("POST", r"/gateway/api/open/expenseReport/v2", self.list_v2)
        self.route("GET", r"/gateway/api/open/expenseReport/detail", self.detail)
        self.route("GET", r"/gateway/api/open/expenseReport", self.list_v1)

    # ---- core hooks -------------------------------------------------------------------------

    def on_expire(self) -> None:
        with self._token_lock:
            self._tokens.clear()
            self._current = None

    def rate_limited(self, retry_after: float) -> Response:
        return _spring_error(
            429,
            "Too Many Requests",
            "请求过于频繁，请稍后再试",
            headers={"Retry-After": f"{max(1, round(retry_after))}"},
        )

    def not_found(self, req: Request) -> Response:
        if any(pat.match(req.path) for _m, pat, _h in self.routes):
            return _spring_error(
                405, "Method Not Allowed", f"Request method '{req.method}' not supported", req.path
            )
        return _spring_error(404, "Not Found", "No message available", req.path)

    # ---- auth -------------------------------------------------------------------------------

    def token(self, req: Request, _m) -> Response:
        auth = req.header("authorization") or ""
        www = {"WWW-Authenticate": 'Basic realm="oauth2/client"'}
        if auth[:6].lower() != "basic ":
            return _spring_error(
                401,
                "Unauthorized",
                "Full authentication is required to access this resource",
                headers=www,
            )
        try:
            raw = base64.b64decode(auth[6:].strip(), validate=True).decode("utf-8")
            cid, secret = raw.split(":", 1)
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return _spring_error(401, "Unauthorized", "Bad credentials", headers=www)
        if not (
            hmac.compare_digest(cid.encode(), self.client_id.encode())
            and hmac.compare_digest(secret.encode(), self.client_secret.encode())
        ):
            return _spring_error(401, "Unauthorized", "Bad credentials", headers=www)
        form = req.form()
        grant = form.get("grant_type")
        if not grant:
            return json_response(
                {"error": "invalid_request", "error_description": "Missing grant type"}, 400
            )
        if grant != "client_credentials":
            return json_response(
                {
                    "error": "unsupported_grant_type",
                    "error_description": f"Unsupported grant type: {grant}",
                },
                400,
            )
        scope = form.get("scope") or "write"
        if set(scope.split()) - {"write"}:
            return json_response(
                {
                    "error": "invalid_scope",
                    "error_description": f"Invalid scope: {scope}",
                    "scope": "write",
                },
                400,
            )
        now = time.monotonic()
        with self._token_lock:
            tok = self._current
            exp = self._tokens.get(tok) if tok else None
            if tok is None or exp is None or exp <= now:
                if tok is not None:
                    self._tokens.pop(tok, None)
                tok = str(uuid.uuid4())
                exp = now + float(self.token_ttl_s)
                self._tokens[tok] = exp
                self._current = tok
        return json_response(
            {
                "access_token": tok,
                "token_type": "bearer",
                "expires_in": max(0, int(exp - now)),
                "scope": "write",
                "tenantId": self.tenant_id,
            },
            headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
        )

    def _unauthorized(self, error: str, description: str) -> Response:
        return json_response(
            {"error": error, "error_description": description},
            401,
            {
                "WWW-Authenticate": f'Bearer realm="oauth2-resource", error="{error}", '
                f'error_description="{description}"'
            },
        )

    def _check_bearer(self, req: Request) -> Response | None:
        auth = req.header("authorization") or ""
        tok = auth[7:].strip() if auth[:7].lower() == "bearer " else req.arg("access_token")
        if not tok:
            return self._unauthorized(
                "unauthorized", "Full authentication is required to access this resource"
            )
        with self._token_lock:
            exp = self._tokens.get(tok)
            if exp is not None and exp <= time.monotonic():
                self._tokens.pop(tok, None)
                if self._current == tok:
                    self._current = None
                return self._unauthorized("invalid_token", f"Access token expired: {tok}")
        if exp is None:
            return self._unauthorized("invalid_token", f"Invalid access token: {tok}")
        return None

    # ---- data -------------------------------------------------------------------------------

    def view(self) -> _View:
        reports = self.store.table(SYSTEM, REPORTS)
        v = self._view
        if v is not None and v.reports is reports:
            return v
        with self._view_lock:
            v = self._view
            if v is None or v.reports is not reports:
                v = self._view = _View(reports, self.store.table(SYSTEM, HISTORY))
            return v

    def _page(self, v: _View, start, end, statuses, sort, corporate, page, size) -> np.ndarray:
        sel = v.select(start, end, statuses, sort, corporate)
        lo = (page - 1) * size
        return sel[lo : lo + size]

    def list_v2(self, req: Request, _m) -> Response:
        denied = self._check_bearer(req)
        if denied:
            return denied
        try:
            body = req.json()
        except (ValueError, UnicodeDecodeError) as e:
            return _spring_error(400, "Bad Request", f"JSON parse error: {e}", req.path)
        if body is None:
            body = {}
        if not isinstance(body, dict):
            return _spring_error(
                400, "Bad Request", "JSON parse error: expected an object", req.path
            )
        try:
            page = _parse_int(body.get("page"), "page", 1, 1, None)
            size = _parse_int(body.get("size"), "size", DEFAULT_SIZE, 1, MAX_SIZE)
            start = _parse_local(body.get("lastModifyStartDate"), "lastModifyStartDate")
            end = _parse_local(body.get("lastModifyEndDate"), "lastModifyEndDate")
            statuses = _parse_statuses(body.get("statusList"))
            sort = _parse_sort(body.get("sortDTOList"))
        except _BadParam as e:
            return _biz_error(str(e))
        corporate = body.get("corporateFlag") is True
        v = self.view()
        rows = v.rows(self._page(v, start, end, statuses, sort, corporate, page, size))
        if rows:
            self._decorate(v, rows, body)
        return json_response(rows)

    def _decorate(self, v: _View, rows: list[dict], body: dict) -> None:
        real = _flag(body, "withRealPaymentAmount")
        etype = _flag(body, "withExpenseType")
        efield = _flag(body, "withExpenseField")
        lists = [
            k
            for f, k in (
                ("withCustomFormValue", "customFormValueVOList"),
                ("withInvoice", "invoiceVOList"),
                ("withApplication", "expenseReportApplicationVOList"),
                ("withExpenseReportLabel", "expenseReportLabelVOList"),
            )
            if _flag(body, f)
        ]
        hist = (
            v.histories([r["businessCode"] for r in rows])
            if _flag(body, "withApprovalHistory")
            else None
        )
        for i, r in enumerate(rows):
            if not real:
                r["realPaymentAmount"] = None
            if etype:
                r["expenseTypeVOList"] = _expense_type_vo(
                    r.get("expenseTypeCode"), r.get("expenseTypeName")
                )
            if efield:
                r["expenseFieldVOList"] = _expense_field_vo(r.get("customerName"))
            for k in lists:
                r[k] = []
            if hist is not None:
                r["approvalHistorys"] = hist[i]

    def list_v1(self, req: Request, _m) -> Response:
        denied = self._check_bearer(req)
        if denied:
            return denied
        try:
            page = _parse_int(req.arg("page"), "page", 1, 1, None)
            size = _parse_int(req.arg("size"), "size", DEFAULT_SIZE, 1, MAX_SIZE)
            start = _parse_local(req.arg("startDate"), "startDate")
            end = _parse_local(req.arg("endDate"), "endDate")
            statuses = _parse_statuses(req.arg("status"))
        except _BadParam as e:
            return _biz_error(str(e))
        v = self.view()
        return json_response(v.rows(self._page(v, start, end, statuses, (), False, page, size)))

    def detail(self, req: Request, _m) -> Response:
        denied = self._check_bearer(req)
        if denied:
            return denied
        code = req.arg("businessCode")
        if not code:
            return _biz_error("businessCode不能为空")
        v = self.view()
        i = v.by_code.get(code)
        if i is None:
            return _biz_error(f"报销单不存在: {code}", ERR_NOT_FOUND)
        row = v.rows(np.asarray([i], dtype=np.int64))[0]
        row["expenseTypeVOList"] = _expense_type_vo(
            row.get("expenseTypeCode"), row.get("expenseTypeName")
        )
        row["approvalHistorys"] = v.histories([code])[0]
        return json_response({"message": "成功", "errorCode": OK_CODE, "data": row})
