"""A Huilianyi (汇联易) open-API client, written from the vendor's documentation and SDK
(source-protocol reference §4), pointed at the simulator or a real tenant by settings alone.

* Token: ``POST /oauth/token`` with ``Authorization: Basic base64(id:secret)`` and the form
  ``grant_type=client_credentials&scope=write``; renewed before it runs out (the SDK's 120 s,
  less for short-lived tokens) and again whenever a call answers 401 (expired or revoked).
* Calls: ``Authorization: Bearer <token>``; business errors are HTTP 200 bodies whose
  ``errorCode`` is not ``"0000"`` and are not retried (they name a bad request).
* ``expenseReport/v2``: POST body paging (``page`` from 1, ``size`` 100) until an empty array.
"""

from __future__ import annotations

import base64
import datetime as dt
import threading
import time
from collections.abc import Iterator

from extractors.http import AuthExpired, HttpClient, SourceError
from extractors.settings import ExtractSettings

BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
PAGE_SIZE = 100
V2 = "/gateway/api/open/expenseReport/v2"
DETAIL = "/gateway/api/open/expenseReport/detail"
TOKEN = "/oauth/token"
OK = "0000"
EPOCH = dt.datetime(2000, 1, 1, tzinfo=BEIJING)  # first run: from before any tenant existed


def beijing(t: dt.datetime) -> str:
    """A zone-aware time as the filter format: Beijing time ``YYYY-MM-DD HH:MM:SS``."""
    return t.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


class HuilianyiClient:
    """Token keeping and the calls the extractor needs. Safe to share between threads: each
    thread gets its own HTTP connection, the token is shared."""

    def __init__(self, settings: ExtractSettings):
        self.base = settings.url("expense")
        cid = settings["ZHONGTAI_EXPENSE_CLIENT_ID"]
        secret = settings["ZHONGTAI_EXPENSE_CLIENT_SECRET"]
        self._basic = "Basic " + base64.b64encode(f"{cid}:{secret}".encode()).decode()
        self._timeout = settings.timeout
        self.max_attempts = settings.max_attempts
        self._token: str | None = None
        self._renew_at = 0.0  # monotonic time after which the token is renewed first
        self._lock = threading.Lock()  # the token
        self._clients_lock = threading.Lock()
        self._local = threading.local()
        self._clients: list[HttpClient] = []
        self.logins = 0
        self.rejected = 0  # calls answered 401 (expired or revoked token)

    # ---- plumbing -----------------------------------------------------------------------------

    @property
    def http(self) -> HttpClient:
        c = getattr(self._local, "http", None)
        if c is None:
            c = self._local.http = HttpClient(timeout=self._timeout, max_attempts=self.max_attempts)
            with self._clients_lock:
                self._clients.append(c)
        return c

    @property
    def retries(self) -> int:
        return sum(c.retries for c in self._clients) + self.rejected

    def close(self) -> None:
        for c in self._clients:
            c.close()

    def __enter__(self) -> HuilianyiClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- token --------------------------------------------------------------------------------

    def token(self) -> str:
        with self._lock:
            if self._token is None or time.monotonic() >= self._renew_at:
                self._login()
            return self._token

    def _login(self) -> None:
        what = f"Huilianyi token ({self.base}{TOKEN})"
        doc, resp = self.http.request_json(
            "POST",
            self.base + TOKEN,
            what=what,
            data={"grant_type": "client_credentials", "scope": "write"},
            headers={"Authorization": self._basic},
        )
        if resp.status_code == 401:
            raise SourceError(
                f"{what}: credentials rejected ({_message(doc)}); check "
                "ZHONGTAI_EXPENSE_CLIENT_ID and ZHONGTAI_EXPENSE_CLIENT_SECRET"
            )
        if resp.status_code != 200 or not isinstance(doc, dict) or not doc.get("access_token"):
            raise SourceError(
                f"{what}: HTTP {resp.status_code}, no access_token "
                f"({_message(doc)}); is ZHONGTAI_EXPENSE_BASE_URL right?"
            )
        try:
            ttl = max(0.0, float(doc["expires_in"]))
        except (KeyError, TypeError, ValueError):
            ttl = 7200.0  # the documented lifetime (2 h)
        # Renew 120 s before expiry like the SDK; a short-lived token 10 % before.
        self._renew_at = time.monotonic() + ttl - min(120.0, ttl * 0.1)
        self._token = str(doc["access_token"])
        self.logins += 1

    def _forget(self, token: str) -> None:
        with self._lock:
            if self._token == token:
                self._token = None

    # ---- calls --------------------------------------------------------------------------------

    def _call_once(self, method: str, path: str, what: str, **kw):
        tok = self.token()
        doc, resp = self.http.request_json(
            method, self.base + path, what=what, headers={"Authorization": f"Bearer {tok}"}, **kw
        )
        if resp.status_code == 401:
            self._forget(tok)
            raise AuthExpired(f"{what}: {_message(doc)}")
        if resp.status_code != 200:
            raise SourceError(f"{what}: HTTP {resp.status_code} ({_message(doc)})")
        if isinstance(doc, dict) and "errorCode" in doc and str(doc["errorCode"]) != OK:
            raise SourceError(f"{what}: Huilianyi error {doc['errorCode']}: {doc.get('message')}")
        return doc

    def call(self, method: str, path: str, *, what: str, **kw):
        """The parsed body of a successful call; a 401 renews the token and repeats."""
        last = ""
        for _ in range(self.max_attempts):
            try:
                return self._call_once(method, path, what, **kw)
            except AuthExpired as e:
                self.rejected += 1
                last = str(e)
        raise SourceError(
            f"{last}: token rejected {self.max_attempts} times in a row; "
            "check the client's permissions on the Huilianyi open platform"
        )

    def expense_reports(
        self, start: dt.datetime, end: dt.datetime, *, with_history: bool
    ) -> Iterator[list[dict]]:
        """Pages of reports modified in [start, end] (all statuses, deleted ones too), in id
        order, until the first empty page."""
        body = {
            "size": PAGE_SIZE,
            "lastModifyStartDate": beijing(start),
            "lastModifyEndDate": beijing(end),
            "sortDTOList": [{"property": "id", "direction": "ASC"}],
            "withRealPaymentAmount": True,
            "withExpenseType": True,
            "withExpenseField": True,
        }
        if with_history:
            body["withApprovalHistory"] = True
        page, previous = 1, None
        while True:
            doc = self.call(
                "POST",
                V2,
                what=f"Huilianyi expenseReport/v2 page {page}",
                json={**body, "page": page},
            )
            rows = doc.get("data") if isinstance(doc, dict) else doc
            if not isinstance(rows, list):
                raise SourceError(
                    f"Huilianyi expenseReport/v2 page {page}: expected an array, "
                    f"got {type(rows).__name__}"
                )
            if not rows:
                return
            ids = [r.get("id") for r in rows]
            if ids == previous:
                raise SourceError(
                    f"Huilianyi expenseReport/v2 page {page} repeats page {page - 1}: the "
                    "server ignores `page`; stopping rather than looping"
                )
            previous = ids
            yield rows
            page += 1

    def approval_history(self, business_code: str) -> list[dict]:
        """``approvalHistorys`` of one report from ``expenseReport/detail``."""
        doc = self.call(
            "GET",
            DETAIL,
            what=f"Huilianyi expenseReport/detail {business_code}",
            params={"businessCode": business_code},
        )
        data = doc.get("data") if isinstance(doc, dict) else None
        return list((data or {}).get("approvalHistorys") or [])


def _message(doc) -> str:
    if isinstance(doc, dict):
        for k in ("error_description", "message", "error"):
            if doc.get(k):
                return str(doc[k])
    return "no message"
