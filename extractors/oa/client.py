"""Weaver e-cology 9 (泛微 E9) REST client: dev-auth login and the ``paService`` / HRM calls.

Protocol (shared reference §3.1, client ``wccdev/oa-workflow-api``):

* ``POST /api/ec/dev/auth/regist`` with headers ``appid`` and ``cpk`` (our RSA public key)
  → ``spk`` (the server's RSA public key, base64 X.509 DER) and ``secrit`` (sic).
* ``POST /api/ec/dev/auth/applytoken`` with ``appid``, ``secret`` =
  base64(RSA-PKCS1v1.5(spk, secrit)) and ``time`` → ``token``.
* Business calls carry ``appid``, ``token`` and ``userid`` = base64(RSA(spk, user id)); no
  cookies (an old E9 session cookie would override ``userid``).

Errors come back as HTTP 200 JSON. ``token不存在或者超时`` (code -1) and ``登录信息超时``
(errorCode 002) mean the token is gone: apply for a new one and repeat the call. A failure to
decrypt ``secret`` or ``userid`` means the server's keys changed (a restart): ``regist`` again.
Anything else (unknown appid, wrong secret, a user the OA rejects) is a configuration error
and stops the entity with a message saying what to check.

``WeaverAuth`` is shared by all worker threads (one token for the run, renewed once however
many threads see it expire); each thread has its own ``WeaverClient`` (own HTTP session).
"""

from __future__ import annotations

import base64
import http.cookiejar
import json
import threading

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from extractors.http import AuthExpired, HttpClient, SourceError
from extractors.oa.transport import client_for
from extractors.settings import ExtractSettings

PA = "/api/workflow/paService/"
REGIST = "/api/ec/dev/auth/regist"
APPLYTOKEN = "/api/ec/dev/auth/applytoken"
HRM_PATHS = {
    "HrmResource": "/api/hrm/resful/getHrmUserInfoWithPage",
    "HrmDepartment": "/api/hrm/resful/getHrmdepartmentWithPage",
}
TOKEN_TTL_S = "10800"  # what wccdev's client asks for; E9 decides
_AUTH_ATTEMPTS = 6  # token renewals for one call before giving up (at least)


class KeysChanged(AuthExpired):
    """The server no longer decrypts what we encrypt with its key: ``regist`` again."""


class RequestGone(Exception):
    """The request no longer exists on the OA (deleted between listing and fetching)."""


class _NoCookies(http.cookiejar.DefaultCookiePolicy):
    def set_ok(self, cookie, request):
        return False

    def return_ok(self, cookie, request):
        return False


def _encrypt(key, text: str) -> str:
    return base64.b64encode(key.encrypt(text.encode("utf-8"), padding.PKCS1v15())).decode()


def _load_spk(spk: str):
    """E9 sends the key as bare base64 DER; some deployments send PEM."""
    spk = spk.strip()
    if spk.startswith("-----BEGIN"):
        return serialization.load_pem_public_key(spk.encode())
    return serialization.load_der_public_key(base64.b64decode(spk))


def _auth_failure(body, what: str) -> None:
    """Raise if ``body`` is one of E9's HTTP-200 authentication errors."""
    if not isinstance(body, dict) or body.get("status") is not False:
        return
    msg = str(body.get("msg") or "")
    if body.get("errorCode") == "002" or "登录信息超时" in msg or "token不存在" in msg:
        raise AuthExpired(f"{what}: {msg}")
    if "解密失败" in msg:
        raise KeysChanged(f"{what}: {msg}")
    if body.get("code") == -1:
        raise SourceError(
            f"{what}: the OA refused the login: {msg!r}. Check ZHONGTAI_OA_APPID (registered "
            "in ECOLOGY_BIZ_EC) and ZHONGTAI_OA_USER_ID (an active user with monitor rights)."
        )


class WeaverAuth:
    """Login state shared by the worker threads: server key, token, encrypted user id."""

    def __init__(self, settings: ExtractSettings):
        self.base = settings.url("oa")
        self.appid = settings["ZHONGTAI_OA_APPID"]
        self.user_id = settings["ZHONGTAI_OA_USER_ID"]
        self._lock = threading.Lock()
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.cpk = base64.b64encode(
            self._key.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        ).decode()
        self._spk = None
        self._secrit = ""
        self._headers: dict[str, str] | None = None
        self.logins = 0  # applytoken calls (tests and the summary read it)
        self.regists = 0

    def _post(self, http: HttpClient, path: str, headers: dict, what: str) -> dict:
        body, resp = http.request_json("POST", self.base + path, headers=headers, what=what)
        if not isinstance(body, dict):
            raise SourceError(f"{what}: unexpected answer (HTTP {resp.status_code}): {body!r}")
        return body

    def _regist(self, http: HttpClient) -> None:
        body = self._post(http, REGIST, {"appid": self.appid, "cpk": self.cpk}, "OA regist")
        if not body.get("status") or not body.get("spk") or not body.get("secrit"):
            raise SourceError(
                f"OA regist failed: {body.get('msg') or body!r}. Check ZHONGTAI_OA_BASE_URL and "
                "that ZHONGTAI_OA_APPID is registered on the OA (ECOLOGY_BIZ_EC)."
            )
        self._spk = _load_spk(body["spk"])
        self._secrit = str(body["secrit"])
        self.regists += 1

    def _applytoken(self, http: HttpClient) -> str:
        headers = {
            "appid": self.appid,
            "secret": _encrypt(self._spk, self._secrit),
            "time": TOKEN_TTL_S,
        }
        body = self._post(http, APPLYTOKEN, headers, "OA applytoken")
        _auth_failure(body, "OA applytoken")
        if not body.get("status") or not body.get("token"):
            raise SourceError(f"OA applytoken failed: {body.get('msg') or body!r}")
        self.logins += 1
        return str(body["token"])

    def _login(self, http: HttpClient, *, regist: bool) -> None:
        if regist or self._spk is None:
            self._regist(http)
        try:
            token = self._applytoken(http)
        except KeysChanged:
            self._regist(http)
            token = self._applytoken(http)
        self._headers = {
            "appid": self.appid,
            "token": token,
            "userid": _encrypt(self._spk, self.user_id),
        }

    def headers(self, http: HttpClient) -> dict[str, str]:
        h = self._headers
        if h is not None:
            return h
        with self._lock:
            if self._headers is None:
                self._login(http, regist=False)
            return self._headers

    def renew(self, http: HttpClient, stale: dict[str, str], *, regist: bool) -> None:
        """Log in again unless another thread already replaced the ``stale`` headers."""
        with self._lock:
            if self._headers is stale or self._headers is None:
                self._login(http, regist=regist)


class WeaverClient:
    """One thread's connection to the OA: business calls with token renewal."""

    def __init__(self, auth: WeaverAuth, settings: ExtractSettings):
        self.auth = auth
        self.http = client_for(
            auth.base, timeout=settings.timeout, max_attempts=settings.max_attempts
        )
        self.http.session.cookies.set_policy(_NoCookies())
        self.calls = 0
        # other threads' calls may see the token revoked again before this one uses it
        self.auth_attempts = max(_AUTH_ATTEMPTS, settings.max_attempts)

    def close(self) -> None:
        self.http.close()

    def call(self, method: str, path: str, what: str, **kw):
        """The parsed JSON answer of a business call, logging in again when needed."""
        url = self.auth.base + path
        for _ in range(self.auth_attempts):
            headers = self.auth.headers(self.http)
            body, resp = self.http.request_json(method, url, headers=headers, what=what, **kw)
            self.calls += 1
            try:
                _auth_failure(body, what)
            except KeysChanged:
                self.auth.renew(self.http, headers, regist=True)
                continue
            except AuthExpired:
                self.auth.renew(self.http, headers, regist=False)
                continue
            if resp.status_code != 200:
                raise SourceError(f"{what}: HTTP {resp.status_code}: {resp.text[:300]}")
            return body
        raise SourceError(
            f"{what}: the OA kept rejecting fresh tokens ({self.auth_attempts} "
            "logins in a row); is its clock or token store broken?"
        )

    # -- paService ------------------------------------------------------------------------
    def count(self, kind: str, conditions: dict) -> int | None:
        """``get<kind>WorkflowRequestCount`` (a bare integer). Only a progress hint: a body
        cut short by a proxy still parses as a (wrong) number."""
        body = self.call(
            "POST",
            f"{PA}get{kind}WorkflowRequestCount",
            f"OA {kind} count",
            data={"conditions": json.dumps(conditions, ensure_ascii=False)},
        )
        return body if isinstance(body, int) else None

    def list_page(self, kind: str, conditions: dict, page_no: int, page_size: int) -> list:
        what = f"OA get{kind}WorkflowRequestList page {page_no}"
        body = self.call(
            "POST",
            f"{PA}get{kind}WorkflowRequestList",
            what,
            data={
                "pageNo": str(page_no),
                "pageSize": str(page_size),
                "conditions": json.dumps(conditions, ensure_ascii=False),
            },
        )
        if not isinstance(body, list):
            raise SourceError(f"{what}: expected a JSON array, got {str(body)[:300]}")
        return body

    def _envelope(self, body, what: str, request_id: str):
        if isinstance(body, dict) and body.get("code") == "SUCCESS":
            return body.get("data")
        if isinstance(body, dict) and body.get("code") == "PARAM_ERROR":
            text = json.dumps(body.get("errMsg"), ensure_ascii=False)
            if "不存在" in text or "删除" in text:
                raise RequestGone(request_id)
        if isinstance(body, dict) and body.get("code") == "NO_PERMISSION":
            raise SourceError(
                f"{what}: NO_PERMISSION — ZHONGTAI_OA_USER_ID must be a user with "
                "monitor rights over every workflow (the administrator is 1)"
            )
        raise SourceError(f"{what}: unexpected answer {str(body)[:300]}")

    def request_logs(self, request_id: str, page_size: int = 1000) -> list[dict]:
        """Every approval-log row of a request (``getRequestLog``, paged to the end)."""
        out: list[dict] = []
        page = 1
        while True:
            what = f"OA getRequestLog {request_id} page {page}"
            other = json.dumps({"pageSize": page_size, "pageNumber": page})
            body = self.call(
                "GET",
                PA + "getRequestLog",
                what,
                params={"requestId": request_id, "otherParams": other},
            )
            data = self._envelope(body, what, request_id) or []
            out.extend(data)
            if len(data) < page_size:
                return out
            page += 1

    def operators(self, request_id: str) -> list[dict]:
        what = f"OA getRequestOperatorInfo {request_id}"
        body = self.call(
            "GET", PA + "getRequestOperatorInfo", what, params={"requestid": request_id}
        )
        return self._envelope(body, what, request_id) or []

    def detail(self, request_id: str) -> dict:
        what = f"OA getWorkflowRequest {request_id}"
        body = self.call("GET", PA + "getWorkflowRequest", what, params={"requestId": request_id})
        return self._envelope(body, what, request_id) or {}

    # -- HRM --------------------------------------------------------------------------------
    def hrm_page(self, entity: str, page: int, page_size: int, modified: str = "") -> tuple:
        """(rows, totalSize) of one HRM sync page; ``modified`` keeps rows changed since."""
        params: dict = {"curpage": page, "pagesize": page_size}
        if modified:
            params["modified"] = modified
        what = f"OA {entity} page {page}"
        body = self.call(
            "POST", HRM_PATHS[entity], what, data={"params": json.dumps(params, ensure_ascii=False)}
        )
        if not isinstance(body, dict) or str(body.get("code")) != "1":
            raise SourceError(f"{what}: unexpected answer {str(body)[:300]}")
        data = body.get("data") or {}
        return list(data.get("dataList") or []), data.get("totalSize")
