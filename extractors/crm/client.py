"""ZOHO CRM v8 over HTTP: the OAuth refresh-token flow and authenticated GET calls.

* ``ZohoAuth`` holds one access token for every thread: refreshed at
  ``{ACCOUNTS_URL or BASE_URL}/oauth/v2/token`` (form body, ``grant_type=refresh_token``)
  when missing, shortly before its ``expires_in`` runs out, or after the API said
  ``INVALID_TOKEN``; ZOHO's refresh throttling ("too many requests continuously") is waited
  out. A refresh answered with ``{"error": ...}`` is a configuration problem and says so.
* ``ZohoClient`` sends ``Authorization: Zoho-oauthtoken <token>`` and, for incremental calls,
  ``If-Modified-Since``. 204 and 304 mean "nothing": ``None``. Transport errors, 429 (with
  Retry-After) and 5xx are retried by ``HttpClient``; a 401 ``INVALID_TOKEN`` raises
  ``AuthExpired`` inside, and the call is repeated with a fresh token. Other errors raise
  ``ZohoError`` carrying ZOHO's ``code`` (callers react to ``PAGINATION_LIMIT_EXCEEDED``).

One ``ZohoClient`` (one keep-alive connection) per thread; ``ZohoAuth`` is shared.
"""

from __future__ import annotations

import random
import threading
import time

from extractors.http import AuthExpired, HttpClient, SourceError
from extractors.settings import ExtractSettings

TOKEN_MARGIN_S = 120.0  # refresh this long before the stated expiry (at most 10% of it)
AUTH_CODES = {"INVALID_TOKEN", "AUTHENTICATION_FAILURE"}


class ZohoError(SourceError):
    """ZOHO answered with an error body: ``code`` is ZOHO's (e.g. ``INVALID_DATA``)."""

    def __init__(self, what: str, status: int, code: str | None, message: str, details):
        self.status, self.code, self.details = status, code, details
        super().__init__(f"{what}: HTTP {status} {code or ''} {message} {details or ''}".strip())


def http_client(settings: ExtractSettings) -> HttpClient:
    """An ``HttpClient`` with the run's timeout and attempts. The backoff base and cap
    (``ZHONGTAI_HTTP_BASE_DELAY_S``, ``ZHONGTAI_HTTP_MAX_DELAY_S``) may be overridden, e.g.
    by tests against simulators that ask for Retry-After: 1."""
    v = settings.values
    return HttpClient(
        timeout=settings.timeout,
        max_attempts=settings.max_attempts,
        base_delay=float(v.get("ZHONGTAI_HTTP_BASE_DELAY_S") or 0.2),
        max_delay=float(v.get("ZHONGTAI_HTTP_MAX_DELAY_S") or 30.0),
    )


def _error_fields(body) -> tuple[str | None, str, object]:
    """ZOHO errors come as ``{code, message, details}`` or wrapped in ``data: [...]``."""
    if isinstance(body, dict):
        inner = body.get("data")
        if "code" not in body and isinstance(inner, list) and inner and isinstance(inner[0], dict):
            body = inner[0]
        return body.get("code"), str(body.get("message", "")), body.get("details")
    return None, str(body)[:200], None


class ZohoAuth:
    """The shared, cached access token (thread-safe)."""

    def __init__(self, settings: ExtractSettings):
        accounts = settings["ZHONGTAI_CRM_ACCOUNTS_URL"].strip() or settings.url("crm")
        self.url = accounts.rstrip("/") + "/oauth/v2/token"
        self._form = {
            "grant_type": "refresh_token",
            "client_id": settings["ZHONGTAI_CRM_CLIENT_ID"],
            "client_secret": settings["ZHONGTAI_CRM_CLIENT_SECRET"],
            "refresh_token": settings["ZHONGTAI_CRM_REFRESH_TOKEN"],
        }
        self._http = http_client(settings)
        self._lock = threading.Lock()
        self._token: str | None = None
        self._renew_at = 0.0  # monotonic
        self.refreshes = 0

    def token(self) -> str:
        with self._lock:
            if self._token is None or time.monotonic() >= self._renew_at:
                self._refresh()
            assert self._token is not None
            return self._token

    def invalidate(self, token: str) -> None:
        """The API rejected ``token``: the next ``token()`` refreshes (once, for all threads)."""
        with self._lock:
            if self._token == token:
                self._token = None

    def _refresh(self) -> None:
        what = f"ZOHO token refresh at {self.url}"
        last = ""
        for attempt in range(self._http.max_attempts):
            body, resp = self._http.request_json("POST", self.url, data=self._form, what=what)
            if isinstance(body, dict) and body.get("access_token"):
                ttl = float(body.get("expires_in") or 3600)
                self._token = str(body["access_token"])
                self._renew_at = time.monotonic() + ttl - min(TOKEN_MARGIN_S, ttl / 10)
                self.refreshes += 1
                return
            err = body.get("error") if isinstance(body, dict) else None
            desc = str(body.get("error_description", "")) if isinstance(body, dict) else ""
            last = f"HTTP {resp.status_code} {err or body!r} {desc}".strip()
            if "too many requests" in desc.lower():  # refresh throttling: wait, try again
                cap = min(self._http.max_delay, self._http.base_delay * 2**attempt)
                time.sleep(random.uniform(cap / 2, cap))
                continue
            raise SourceError(
                f"{what} refused: {last}. Check ZHONGTAI_CRM_CLIENT_ID, "
                "ZHONGTAI_CRM_CLIENT_SECRET and ZHONGTAI_CRM_REFRESH_TOKEN, and that "
                "ZHONGTAI_CRM_ACCOUNTS_URL is your data centre's accounts server."
            )
        raise SourceError(f"{what}: still throttled after {self._http.max_attempts} tries ({last})")


class ZohoClient:
    """Authenticated GETs against ``{BASE_URL}/crm/v8``; one per thread."""

    def __init__(self, settings: ExtractSettings, auth: ZohoAuth):
        self.base = settings.url("crm")
        self.auth = auth
        self.http = http_client(settings)
        self.max_attempts = settings.max_attempts

    def close(self) -> None:
        self.http.close()

    def get(self, path: str, params: dict | None = None, *, since: str | None = None):
        """The JSON body of ``GET {base}{path}``, or None for 204/304 (nothing to send)."""
        what = f"ZOHO GET {path}"
        for _ in range(self.max_attempts):
            token = self.auth.token()
            try:
                return self._get(what, path, params, token, since)
            except AuthExpired:
                self.auth.invalidate(token)
        raise SourceError(
            f"{what}: the access token was rejected {self.max_attempts} times in a row even "
            "right after refreshing; check the refresh token's scopes (ZohoCRM.modules.ALL, "
            "ZohoCRM.users.READ) and ZHONGTAI_CRM_BASE_URL (the API domain of its data centre)."
        )

    def _get(self, what: str, path: str, params, token: str, since: str | None):
        headers = {"Authorization": f"Zoho-oauthtoken {token}"}
        if since:
            headers["If-Modified-Since"] = since
        body, resp = self.http.request_json(
            "GET", self.base + path, params=params, headers=headers, what=what
        )
        status = resp.status_code
        if status in (204, 304):
            return None
        if status == 200 and isinstance(body, dict):
            return body
        code, message, details = _error_fields(body)
        if status == 401 and code in AUTH_CODES:
            raise AuthExpired(f"{what}: {code}")
        raise ZohoError(what, status, code, message, details)
