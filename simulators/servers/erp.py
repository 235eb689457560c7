"""Kingdee K/3 Cloud (金蝶云星空) WebAPI simulator.

Every service is ``POST /K3Cloud/<ServiceName>.common.kdsvc`` (service and method names are
case-insensitive). Implemented, following shared/reference/source_protocols.md §2:

* ``Kingdee.BOS.WebApi.ServicesStub.AuthService.ValidateUser`` / ``ValidateUser2`` /
  ``LoginByAppSecret`` / ``Logout`` — login JSON and the ``kdservice-sessionid`` and
  ``ASP.NET_SessionId`` cookies. Bodies: JSON keys (``{"acctID", "username", ...}``), the Java
  SDK's ``{"parameters": [...]}``, the legacy ``{"format": 1, "useragent": ..., "parameters":
  "[...]"}`` and a form-encoded body (``acctID=...&username=...``).
* ``Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.ExecuteBillQuery`` (bare 2-D array in
  FieldKeys order) and ``...BillQuery`` (objects keyed by the FieldKeys as requested). Bodies:
  ``{"data": {...}}`` (object or JSON string), ``{"parameters": ["<json>"]}``, the legacy
  envelope, a bare query object and form-encoded ``data=<json>``.
* ``Kingdee.BOS.ServiceFacade.ServicesStub.Account.AccountService.GetDataCenterList``.
* Authentication by session cookie (or the ``SID`` / ``kdservice-sessionid`` header), or by
  the SDK's signed headers (``X-Kd-Appkey``, ``X-Kd-Appdata``, ``X-Kd-Signature``).

Choices where the reference is silent (inferences; listed in docs/decisions.md):

* ``Limit`` above 2000, 0 or missing is clamped to 2000 (no error); ``TopRowCount`` > 0 is
  the absolute end row, so a call returns rows ``[StartRow, min(StartRow + Limit,
  TopRowCount))``; ``StartRow`` past the end → ``[]``.
* Ties of any OrderString, and a missing one, are ordered by creation time then record key,
  so paging with ``FID ASC`` (not unique at entry level) is still stable. NULL sorts first
  ascending and last descending, text ignoring case (SQL Server); Chinese text sorts by code
  point, not by pinyin.
* FormId, FieldKeys, OrderString keys and JSON parameter names are case-insensitive; BillQuery
  echoes the keys as the client spelt them.
* BillQuery errors are the result object inside a one-element array ``[{"Result": ...}]``
  (ExecuteBillQuery's is inside a 2-D array, as the reference shows). Errors other than
  session loss carry ``MsgCode`` 9, session loss ``MsgCode`` 1.
* Login with an unknown acctID → ``LoginResultType`` 0 "数据中心不存在或已被禁用"; a wrong
  password, user, AppID or AppSecret → -1. No single-sign-on kick-off: many sessions of one
  user live side by side (``isKickOff`` is accepted and ignored).
* Signed-header calls need no login; a bad signature answers the service's error shape. Only
  ``X-Kd-Signature`` is verified (not ``X-Api-Signature`` nor the timestamp).
* ``LIKE`` on a date field matches its served text (``2025-06-30T00:00:00``); SQL Server would
  match its own datetime text. A base-data field asked for without a sub-key (``FCustId``)
  does not exist here: the world only keeps ``FCustId.FNumber`` / ``.FName``.
* Operations other than ExecuteBillQuery / BillQuery (Save, View, Audit, ...) answer the
  ``{"Result": {"ResponseStatus": ...}}`` error: the simulator is read-only.

Business errors are HTTP 200 bodies in each service's own shape; an idle session (more than
``session_idle_s``) or a missing one answers "会话信息已丢失，请重新登录". FilterString and
OrderString are compiled by ``simulators.servers.kd_filter`` into pyarrow masks and sort
indices; pages are sliced from cached, sorted row indices so paging stays cheap.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import pyarrow as pa
import pyarrow.compute as pc

from simulators.servers.faults import FaultInjector
from simulators.servers.http import App, Request, Response, json_response
from simulators.servers.kd_filter import (
    Column,
    FilterError,
    UnknownField,
    compile_filter,
    parse_filter,
    parse_filter_array,
    parse_order,
)
from simulators.servers.store import WorldStore
from simulators.world import schemas

MAX_LIMIT = 2000  # ExecuteBillQuery's row cap per call; larger (or 0) Limits are clamped
SESSION_LOST = "会话信息已丢失，请重新登录"
FORM_MISSING = "业务对象不存在"
ORG_NAME = "江苏中台生物科技有限公司"
DATA_CENTER = {"Number": "ZT01", "Name": "中台演示账套"}

_FORMS = {e.name: e for e in schemas.ERP}
_FORMS_CI = {name.lower(): name for name in _FORMS}
_TIME_KINDS = {"ts_kd", "date_kd"}

_SERVICE = re.compile(
    r"/K3Cloud/(?P<service>Kingdee\.BOS\.(?:WebApi|ServiceFacade)\.ServicesStub\.[\w.]+?)"
    r"\.(?P<method>\w+)\.common\.kdsvc"
)


# -- error shapes ---------------------------------------------------------------------------


def _status(message: str, *, code: int = 500, msg_code: int = 9) -> dict:
    return {
        "ErrorCode": code,
        "IsSuccess": False,
        "Errors": [{"FieldName": None, "Message": message, "DIndex": 0}],
        "SuccessEntitys": [],
        "SuccessMessages": [],
        "MsgCode": msg_code,
    }


def _error(method: str, message: str, *, msg_code: int = 9) -> Response:
    """A business error in the shape of ``method``'s normal answer, with HTTP 200."""
    result = {"Result": {"ResponseStatus": _status(message, msg_code=msg_code)}}
    m = method.lower()
    if m == "executebillquery":
        return json_response([[result]])  # List<List<object>> with the error as the cell
    if m == "billquery":
        return json_response([result])  # (inference) List<object> with the error object
    return json_response(result)


# -- per-form data --------------------------------------------------------------------------


class _FormData:
    """One FormId's live table with what queries need precomputed: columns by lower-case
    key, local seconds per date column, lower-cased text, the default order, and an LRU of
    selected+sorted row indices per (FilterString, OrderString)."""

    CACHE = 64

    def __init__(self, form: str, table: pa.Table):
        self.form = form
        self.table = table
        self.n = table.num_rows
        ent = _FORMS.get(form)
        kinds = {c: k for c, k in (ent.columns if ent else [])}
        self.columns = [c for c in table.column_names if not c.startswith("_")]
        self.by_lower = {c.lower(): c for c in self.columns}
        self.kind: dict[str, str] = {}
        for c in self.columns:
            t = table.schema.field(c).type
            if kinds.get(c) in _TIME_KINDS:
                self.kind[c] = "time"
            elif pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
                self.kind[c] = "num"
            else:
                self.kind[c] = "str"
        self._lock = threading.Lock()
        self._secs: dict[str, pa.Array] = {}
        self._lower: dict[str, pa.Array] = {}
        self._orders: dict[tuple, pa.Array] = {}
        self._selected: OrderedDict[tuple, pa.Array] = OrderedDict()

    def key(self, k: str) -> str:
        c = self.by_lower.get(k.strip().lower())
        if c is None:
            raise UnknownField(k.strip())
        return c

    def _array(self, c: str) -> pa.Array:
        return self.table.column(c).combine_chunks()

    def seconds(self, c: str) -> pa.Array:
        a = self._secs.get(c)
        if a is None:
            text = self._array(c)
            ts = pc.strptime(
                pc.utf8_slice_codeunits(text, 0, 19),
                format="%Y-%m-%dT%H:%M:%S",
                unit="s",
                error_is_null=True,
            )
            a = self._secs[c] = ts.cast(pa.int64())
        return a

    def lower(self, c: str) -> pa.Array:
        a = self._lower.get(c)
        if a is None:
            a = self._lower[c] = pc.utf8_lower(self._array(c))
        return a

    def resolve(self, k: str) -> Column:
        c = self.key(k)
        kind = self.kind[c]
        values = self.seconds(c) if kind == "time" else self._array(c)
        return Column(kind, values, lambda: self._array(c), lambda: self.lower(c))

    def order(self, spec: tuple[tuple[str, bool], ...]) -> pa.Array:
        """Row indices sorted by ``spec`` (SQL Server: NULL first ascending, last descending;
        text ignoring case), ties broken by the default order (creation time, key)."""
        with self._lock:
            got = self._orders.get(spec)
        if got is not None:
            return got
        arrays: dict[str, pa.Array] = {}
        keys: list[tuple[str, str]] = []
        for i, (c, asc) in enumerate(spec):
            arr = self.lower(c) if self.kind[c] == "str" else self._array(c)
            direction = "ascending" if asc else "descending"
            if arr.null_count:
                arrays[f"v{i}"] = pc.is_valid(arr)
                keys.append((f"v{i}", direction))
            arrays[f"k{i}"] = arr
            keys.append((f"k{i}", direction))
        arrays["_created"] = self._array("_created")
        arrays["_key"] = self._array("_key")
        keys += [("_created", "ascending"), ("_key", "ascending")]
        idx = pc.sort_indices(pa.table(arrays), sort_keys=keys)
        with self._lock:
            self._orders[spec] = idx
        return idx

    def select(self, filter_key, tree, spec) -> pa.Array:
        ck = (filter_key, spec)
        with self._lock:
            got = self._selected.get(ck)
            if got is not None:
                self._selected.move_to_end(ck)
                return got
        idx = self.order(spec)
        mask = compile_filter(tree, self.resolve, self.n)
        if mask is not None:
            idx = idx.filter(mask.take(idx))
        with self._lock:
            self._selected[ck] = idx
            while len(self._selected) > self.CACHE:
                self._selected.popitem(last=False)
        return idx


# -- sessions -------------------------------------------------------------------------------


@dataclass
class _Session:
    sid: str
    aspnet: str
    user: str
    acct: str
    lcid: int
    last: float = field(default_factory=time.monotonic)


class _BadRequest(Exception):
    """A body no Kingdee envelope matches (answered in the service's error shape)."""


def _cookies(req: Request) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in (req.header("cookie") or "").split(";"):
        if "=" in part:
            k, v = part.split("=", 1)
            out[k.strip()] = v.strip()
    return out


def _body(req: Request):
    """The request body as JSON, or a form-encoded body as a dict of strings."""
    raw = req.body.decode("utf-8-sig", "replace").strip()
    if not raw:
        return {}
    if raw[0] in "{[":
        try:
            return json.loads(raw)
        except json.JSONDecodeError as e:
            raise _BadRequest(f"请求数据不是合法的JSON格式：{e.msg}") from e
    return {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}


def _maybe_json(v):
    if isinstance(v, str) and v.strip()[:1] in ("{", "["):
        try:
            return json.loads(v)
        except json.JSONDecodeError as e:
            raise _BadRequest(f"请求数据不是合法的JSON格式：{e.msg}") from e
    return v


def _ci(d: dict) -> dict:
    return {str(k).lower(): v for k, v in d.items()}


class ErpApp(App):
    name = "erp"
    session_idle_s: float = 1200.0  # K/3 Cloud's default idle timeout (20 min)

    def __init__(self, store: WorldStore, creds, faults: FaultInjector | None = None):
        super().__init__(faults)
        self.store = store
        self.acct = creds["ZHONGTAI_ERP_ACCT_ID"]
        self.username = creds["ZHONGTAI_ERP_USERNAME"]
        self.password = creds["ZHONGTAI_ERP_PASSWORD"]
        self.app_id = creds["ZHONGTAI_ERP_APP_ID"]
        self.app_secret = creds["ZHONGTAI_ERP_APP_SECRET"]
        self._sessions: dict[str, _Session] = {}
        self._lock = threading.Lock()
        self._forms: dict[str, _FormData] = {}
        self._forms_lock = threading.Lock()
        self.route("POST", _SERVICE.pattern, self._service)

    # -- core hooks ---------------------------------------------------------------------

    def on_expire(self) -> None:
        with self._lock:
            self._sessions.clear()

    def rate_limited(self, retry_after: float) -> Response:
        # what the IIS front (Dynamic IP Restrictions / ARR throttling) answers: plain text
        return Response(
            429,
            b"Too Many Requests",
            {
                "Content-Type": "text/plain; charset=utf-8",
                "Retry-After": f"{max(1, round(retry_after))}",
            },
        )

    def not_found(self, req: Request) -> Response:
        body = (
            b"<!DOCTYPE html><html><head><title>404 - File or directory not found."
            b"</title></head><body><h2>404 - File or directory not found.</h2></body></html>"
        )
        return Response(404, body, {"Content-Type": "text/html"})

    # -- dispatch -----------------------------------------------------------------------

    def _service(self, req: Request, m: re.Match) -> Response:
        service = m.group("service").lower()
        method = m.group("method").lower()
        if service.endswith("authservice"):
            if method in ("validateuser", "validateuser2", "loginbyappsecret"):
                return self._login(req, method)
            if method == "logout":
                return self._logout(req)
            return self.not_found(req)
        if service.endswith("accountservice") and method == "getdatacenterlist":
            return json_response(
                [
                    {
                        "Id": self.acct,
                        "Number": DATA_CENTER["Number"],
                        "Name": DATA_CENTER["Name"],
                        "DatabaseType": 3,
                        "Lcid": 2052,
                    }
                ]
            )
        if not service.endswith("dynamicformservice"):
            return self.not_found(req)
        session, extra = self._authenticate(req)
        if session is None:
            return _error(method, extra or SESSION_LOST, msg_code=1)
        if method in ("executebillquery", "billquery"):
            resp = self._query(req, method)
        else:
            resp = _error(method, f"模拟器只提供查询接口，不支持操作 {m.group('method')}")
        if extra:
            resp.headers.update(extra)
        return resp

    # -- authentication -----------------------------------------------------------------

    def _new_session(self, user: str, acct: str, lcid: int) -> _Session:
        s = _Session(str(uuid.uuid4()), secrets.token_hex(12), user, acct, lcid)
        with self._lock:
            if len(self._sessions) > 20_000:  # signed-header clients that drop cookies
                now = time.monotonic()
                for k in [
                    k for k, v in self._sessions.items() if now - v.last > self.session_idle_s
                ]:
                    del self._sessions[k]
            self._sessions[s.sid] = s
            self._sessions[s.aspnet] = s
        return s

    @staticmethod
    def _cookie_headers(s: _Session) -> dict[str, str]:
        # two Set-Cookie lines: header names differ only in case, which HTTP ignores
        return {
            "Set-Cookie": f"kdservice-sessionid={s.sid}; path=/",
            "set-cookie": f"ASP.NET_SessionId={s.aspnet}; path=/; HttpOnly; SameSite=Lax",
        }

    def _live(self, sid: str | None) -> _Session | None:
        if not sid:
            return None
        now = time.monotonic()
        with self._lock:
            s = self._sessions.get(sid)
            if s is None:
                return None
            if now - s.last > self.session_idle_s:
                self._sessions.pop(s.sid, None)
                self._sessions.pop(s.aspnet, None)
                return None
            s.last = now
            return s

    def _authenticate(self, req: Request):
        """(session, extra headers) or (None, error message)."""
        ck = _cookies(req)
        for sid in (
            ck.get("kdservice-sessionid"),
            req.header("sid"),
            req.header("kdservice-sessionid"),
            ck.get("ASP.NET_SessionId"),
        ):
            s = self._live(sid)
            if s is not None:
                return s, {}
        if req.header("x-kd-appkey"):
            return self._signed(req)
        return None, None

    def _signed(self, req: Request):
        """The SDK's per-request signature: X-Kd-Signature = base64(hex(HMAC-SHA256(
        appSecret, appId + appData))), appData = "acctID,userName,lcid,orgNum"."""
        app_key = req.header("x-kd-appkey") or ""
        try:
            app_data = base64.b64decode(req.header("x-kd-appdata") or "").decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            app_data = ""
        digest = hmac.new(
            self.app_secret.encode(), (app_key + app_data).encode(), hashlib.sha256
        ).hexdigest()
        expected = base64.b64encode(digest.encode()).decode()
        parts = app_data.split(",")
        ok = (
            app_key == self.app_id
            and hmac.compare_digest(expected, req.header("x-kd-signature") or "")
            and len(parts) >= 2
            and parts[0] == self.acct
            and parts[1].lower() == self.username.lower()
        )
        if not ok:
            return None, "签名验证失败，请检查第三方系统登录授权的AppID、AppSecret和用户名"
        lcid = int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else 2052
        s = self._new_session(parts[1], parts[0], lcid)
        return s, self._cookie_headers(s)

    def _login_args(self, req: Request, method: str) -> dict:
        names = (
            ["acctid", "username", "appid", "appsecret", "lcid"]
            if method == "loginbyappsecret"
            else ["acctid", "username", "password", "lcid"]
        )
        body = _body(req)
        if isinstance(body, list):
            body = {"parameters": body}
        if not isinstance(body, dict):
            raise _BadRequest("登录参数格式不正确")
        d = _ci(body)
        params = _maybe_json(d.get("parameters"))
        if isinstance(params, list):
            return {n: params[i] for i, n in enumerate(names) if i < len(params)} | {
                "iskickoff": params[len(names)] if len(params) > len(names) else None
            }
        if isinstance(params, dict):
            d = _ci(params)
        return d

    def _login(self, req: Request, method: str) -> Response:
        try:
            a = self._login_args(req, method)
        except _BadRequest as e:
            return json_response(self._login_result(None, 0, str(e), 2052))
        try:
            lcid = int(a.get("lcid") or 2052)
        except (TypeError, ValueError):
            lcid = 2052
        acct = str(a.get("acctid") or "")
        user = str(a.get("username") or "")
        if acct != self.acct:
            return json_response(self._login_result(None, 0, "数据中心不存在或已被禁用", lcid))
        if method == "loginbyappsecret":
            if (
                str(a.get("appid") or "") != self.app_id
                or str(a.get("appsecret") or "") != self.app_secret
            ):
                return json_response(
                    self._login_result(
                        None, -1, "第三方系统登录授权验证失败：AppID或AppSecret不正确", lcid
                    )
                )
            if user.lower() != self.username.lower():
                return json_response(self._login_result(None, -1, "用户名或密码错误！", lcid))
        elif user.lower() != self.username.lower() or str(a.get("password") or "") != self.password:
            return json_response(self._login_result(None, -1, "用户名或密码错误！", lcid))
        s = self._new_session(self.username, acct, lcid)
        return json_response(self._login_result(s, 1, None, lcid), headers=self._cookie_headers(s))

    def _login_result(
        self, s: _Session | None, result: int, message: str | None, lcid: int
    ) -> dict:
        tz = {
            "OffsetTicks": 288000000000,
            "StandardName": "(UTC+08:00)北京，重庆，香港特别行政区，乌鲁木齐",
            "Id": 230,
            "Number": "1078_SYS",
            "CanBeUsed": True,
        }
        ctx = None
        if s is not None:
            ctx = {
                "UserLocale": "zh-CN",
                "LogLocale": "zh-CN",
                "DBId": s.acct,
                "DatabaseType": 3,
                "SessionId": s.sid,
                "UseLanguages": [{"LocaleId": 2052, "LocaleName": "中文(简体)", "Alias": "CN"}],
                "UserId": 100010,
                "UserName": s.user,
                "CustomName": ORG_NAME,
                "DisplayVersion": "8.2.0.20240112",
                "DataCenterName": DATA_CENTER["Name"],
                "UserToken": str(uuid.uuid5(uuid.NAMESPACE_OID, s.sid)),
                "CurrentOrganizationInfo": {
                    "ID": 1,
                    "AcctOrgType": "1",
                    "Name": ORG_NAME,
                    "FunctionIds": [101, 102, 103, 104, 107, 108, 109, 110, 111, 112, 113, 114],
                },
                "IsCH_ZH_AutoTrans": False,
                "ClientType": 32,
                "UTimeZone": tz,
                "STimeZone": tz,
                "GDCID": "",
                "Gsid": None,
                "TRLevel": 0,
                "ProductEdition": 0,
                "DataCenterNumber": DATA_CENTER["Number"],
            }
        return {
            "Message": message,
            "MessageCode": "CheckPasswordPolicy" if s else None,
            "LoginResultType": result,
            "Context": ctx,
            "KDSVCSessionId": s.sid if s else None,
            "FormId": None,
            "RedirectFormParam": None,
            "FormInputObject": None,
            "ErrorStackTrace": None,
            "Lcid": lcid,
            "AccessToken": None,
            "KdAccessResult": None,
            "IsSuccessByAPI": s is not None,
        }

    def _logout(self, req: Request) -> Response:
        ck = _cookies(req)
        for sid in (ck.get("kdservice-sessionid"), req.header("sid"), ck.get("ASP.NET_SessionId")):
            if sid:
                with self._lock:
                    s = self._sessions.pop(sid, None)
                    if s is not None:
                        self._sessions.pop(s.sid, None)
                        self._sessions.pop(s.aspnet, None)
        return json_response(True)

    # -- queries ------------------------------------------------------------------------

    def _form(self, form_id: str) -> _FormData | None:
        name = _FORMS_CI.get(form_id.strip().lower())
        if name is None:
            return None
        try:
            table = self.store.table("erp", name)
        except KeyError:
            return None
        with self._forms_lock:
            fd = self._forms.get(name)
            if fd is None or fd.table is not table:
                fd = self._forms[name] = _FormData(name, table)
        return fd

    @staticmethod
    def _query_args(req: Request) -> dict:
        body = _body(req)
        if isinstance(body, list):
            body = {"parameters": body}
        if not isinstance(body, dict):
            raise _BadRequest("请求参数格式不正确")
        d = _ci(body)
        outer_form = d.get("formid")
        if "data" in d:
            data = _maybe_json(d["data"])
        elif "parameters" in d:
            params = _maybe_json(d["parameters"])
            if not isinstance(params, list):
                params = [params]
            params = [_maybe_json(p) for p in params]
            objs = [p for p in params if isinstance(p, dict)]
            if not objs:
                raise _BadRequest("请求参数格式不正确：缺少查询参数")
            data = objs[-1]
            strs = [p for p in params if isinstance(p, str)]
            if strs and outer_form is None:
                outer_form = strs[0]
        else:
            data = body
        if not isinstance(data, dict):
            raise _BadRequest("请求参数格式不正确：data 必须是对象")
        q = _ci(data)
        if not q.get("formid") and outer_form:
            q["formid"] = outer_form
        return q

    def _query(self, req: Request, method: str) -> Response:
        try:
            q = self._query_args(req)
        except _BadRequest as e:
            return _error(method, str(e))
        form_id = str(q.get("formid") or "")
        if not form_id.strip():
            return _error(method, "FormId不能为空")
        fd = self._form(form_id)
        if fd is None:
            return _error(method, FORM_MISSING)
        raw_keys = q.get("fieldkeys")
        if isinstance(raw_keys, list):
            raw_keys = ",".join(str(k) for k in raw_keys)
        keys = [k.strip() for k in str(raw_keys or "").split(",") if k.strip()]
        if not keys:
            return _error(method, "FieldKeys不能为空")
        try:
            cols = [fd.key(k) for k in keys]
            spec = tuple((fd.key(k), asc) for k, asc in parse_order(q.get("orderstring")))
            flt = q.get("filterstring")
            if isinstance(flt, list):
                tree = parse_filter_array(flt)
                flt_key = json.dumps(flt, sort_keys=True, ensure_ascii=False)
            else:
                tree = parse_filter(flt)
                flt_key = str(flt or "").strip()
            idx = fd.select(flt_key, tree, spec)
        except FilterError as e:
            return _error(method, str(e))
        start, end = self._window(q, len(idx))
        page = idx.slice(start, max(0, end - start))
        values: dict[str, list] = {}
        if len(page):
            for c in dict.fromkeys(cols):
                values[c] = fd.table.column(c).take(page).to_pylist()
        else:
            values = {c: [] for c in cols}
        if method == "executebillquery":
            return json_response(list(zip(*(values[c] for c in cols), strict=True)))
        return json_response(
            [dict(zip(keys, r, strict=True)) for r in zip(*(values[c] for c in cols), strict=True)]
        )

    @staticmethod
    def _window(q: dict, total: int) -> tuple[int, int]:
        """[start, end) of the rows to answer: StartRow, Limit (0 or > 2000 → 2000) and
        TopRowCount as the absolute end row (0 = no cap)."""

        def num(name: str) -> int:
            v = q.get(name)
            try:
                return int(float(v)) if v not in (None, "") else 0
            except (TypeError, ValueError):
                return 0

        start = max(0, num("startrow"))
        limit = num("limit")
        if limit <= 0 or limit > MAX_LIMIT:
            limit = MAX_LIMIT
        end = start + limit
        top = num("toprowcount")
        if top > 0:
            end = min(end, top)
        return min(start, total), min(max(end, start), total)
