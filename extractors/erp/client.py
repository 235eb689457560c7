"""A Kingdee K/3 Cloud WebAPI client: cookie-session login and ``ExecuteBillQuery``.

Written from the protocol (shared/reference/source_protocols.md §2), so it talks to a real
K/3 Cloud as it talks to the simulator:

* every service is ``POST {base}/{ServiceName}.common.kdsvc`` with a JSON body; the base URL
  ends in ``/K3Cloud``;
* ``AuthService.ValidateUser`` with ``{"acctID", "username", "password", "lcid": 2052}``
  answers the login JSON (``LoginResultType`` 1 = success) and sets the
  ``kdservice-sessionid`` / ``ASP.NET_SessionId`` cookies the session keeps;
* ``DynamicFormService.ExecuteBillQuery`` with ``{"data": {FormId, FieldKeys, FilterString,
  OrderString, StartRow, Limit, TopRowCount}}`` answers a bare 2-D array in FieldKeys order;
* business errors come with HTTP 200 as ``[[{"Result": {"ResponseStatus": {"IsSuccess":
  false, "Errors": [{"Message": ...}], "MsgCode": ...}}}]]``; "会话信息已丢失" (MsgCode 1)
  means the session is gone (idle timeout, server recycle): log in again and repeat.

Transport robustness (timeouts, retries with jittered backoff, Retry-After, cut-off JSON) is
``extractors.http.HttpClient``'s.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator

import requests

from extractors.http import AuthExpired, HttpClient, SourceError
from extractors.settings import ExtractSettings

AUTH = "Kingdee.BOS.WebApi.ServicesStub.AuthService."
FORM = "Kingdee.BOS.WebApi.ServicesStub.DynamicFormService."
MAX_LIMIT = 2000  # K/3 Cloud's documented row cap per ExecuteBillQuery call
SESSION_LOST = "会话信息已丢失"
LCID = 2052  # zh-CN


class KingdeeError(SourceError):
    """K/3 Cloud refused the call (bad FormId or field key, filter syntax, permissions)."""


def _service(name: str) -> str:
    return f"{name}.common.kdsvc"


def response_status(body) -> dict | None:
    """The ``ResponseStatus`` of an error answer, or None for a result.

    ExecuteBillQuery wraps its error object in a 2-D array (``[[{"Result": ...}]]``); other
    services answer ``{"Result": {"ResponseStatus": ...}}``; ``BillQuery`` a 1-element list.
    """
    cell = body
    while isinstance(cell, list) and len(cell) == 1:
        cell = cell[0]
    if isinstance(cell, dict) and isinstance(cell.get("Result"), dict):
        status = cell["Result"].get("ResponseStatus")
        if isinstance(status, dict) and status.get("IsSuccess") is False:
            return status
    return None


def error_message(status: dict) -> str:
    errors = status.get("Errors") or []
    msgs = [str(e.get("Message")) for e in errors if isinstance(e, dict) and e.get("Message")]
    return "; ".join(msgs) or f"ErrorCode {status.get('ErrorCode')}"


def _checked(body, what: str):
    """``body`` if it is a result; ``AuthExpired`` for a lost session, else ``KingdeeError``."""
    status = response_status(body)
    if status is None:
        return body
    msg = error_message(status)
    if SESSION_LOST in msg or status.get("MsgCode") == 1:
        raise AuthExpired(msg)
    raise KingdeeError(f"{what}: K/3 Cloud says: {msg}")


class KingdeeClient:
    """One logged-in session. Not thread-safe: use one client per thread."""

    def __init__(
        self, settings: ExtractSettings, http: HttpClient | None = None, max_relogins: int = 5
    ):
        self.base = settings.url("erp")
        self.acct = settings["ZHONGTAI_ERP_ACCT_ID"]
        self.username = settings["ZHONGTAI_ERP_USERNAME"]
        self.password = settings["ZHONGTAI_ERP_PASSWORD"]
        self.http = http or HttpClient(timeout=settings.timeout, max_attempts=settings.max_attempts)
        self.max_relogins = max_relogins
        self.logged_in = False
        self.logins = 0
        self.login_error: SourceError | None = None

    # -- session ----------------------------------------------------------------------------

    def login(self) -> None:
        """Open a session. A failure is final for this client: the forms after the first
        fail at once instead of each waiting out the retries again."""
        if self.login_error is not None:
            raise self.login_error
        try:
            body = self._login_body()
        except SourceError as e:
            self.login_error = e
            raise
        if not isinstance(body, dict) or body.get("LoginResultType") != 1:
            msg = body.get("Message") if isinstance(body, dict) else repr(body)[:200]
            kind = body.get("LoginResultType") if isinstance(body, dict) else None
            self.login_error = SourceError(
                f"ERP login as {self.username!r} to data centre {self.acct!r} failed "
                f"(LoginResultType {kind}): {msg}; check ZHONGTAI_ERP_ACCT_ID, "
                "ZHONGTAI_ERP_USERNAME and ZHONGTAI_ERP_PASSWORD"
            )
            raise self.login_error
        self.logged_in = True
        self.logins += 1

    def _login_body(self):
        url = f"{self.base}/{_service(AUTH + 'ValidateUser')}"
        what = "ERP login (AuthService.ValidateUser)"
        self.http.session.cookies.clear()
        for attempt in range(self.http.max_attempts):
            resp = self.http.request(
                "POST",
                url,
                what=what,
                json={
                    "acctID": self.acct,
                    "username": self.username,
                    "password": self.password,
                    "lcid": LCID,
                },
            )
            if resp.status_code >= 400:  # 404: not a K/3 Cloud root; no use retrying
                raise SourceError(
                    f"{what}: HTTP {resp.status_code} from {url}; is "
                    "ZHONGTAI_ERP_BASE_URL the K/3 Cloud root (…/K3Cloud)?"
                )
            try:
                return json.loads(resp.content)
            except ValueError:  # cut short on the way: retry like a transport error
                self.http.retries += 1
                time.sleep(min(2.0, 0.1 * 2**attempt))
        raise SourceError(f"{what}: no parseable answer after {self.http.max_attempts} attempts")

    def logout(self) -> None:
        """End the session (K/3 Cloud counts sessions against licences); never raises."""
        if not self.logged_in:
            return
        self.logged_in = False
        with contextlib.suppress(requests.RequestException):  # the session idles out anyway
            self.http.session.post(
                f"{self.base}/{_service(AUTH + 'Logout')}",
                json={},
                timeout=min(5.0, self.http.timeout),
            )

    def close(self) -> None:
        self.logout()
        self.http.close()

    def _call(self, service: str, payload: dict, what: str):
        """POST ``payload`` to a DynamicFormService method, logging in (again) as needed."""
        relogins = 0
        while True:
            if not self.logged_in:
                self.login()
            body, _resp = self.http.request_json(
                "POST", f"{self.base}/{_service(FORM + service)}", what=what, json=payload
            )
            try:
                return _checked(body, what)
            except AuthExpired as e:
                self.logged_in = False
                relogins += 1
                if relogins > self.max_relogins:
                    raise SourceError(
                        f"{what}: session lost {relogins} times in a row ({e}); "
                        "is the ERP recycling or kicking this user?"
                    ) from e

    # -- queries ----------------------------------------------------------------------------

    def execute_bill_query(
        self,
        form_id: str,
        field_keys: list[str],
        *,
        filter_string: str = "",
        order_string: str = "",
        start_row: int = 0,
        limit: int = MAX_LIMIT,
    ) -> list[list]:
        """One ExecuteBillQuery call: rows as lists in ``field_keys`` order."""
        what = f"ERP {form_id} ExecuteBillQuery [{filter_string or 'all rows'}]"
        body = self._call(
            "ExecuteBillQuery",
            {
                "data": {
                    "FormId": form_id,
                    "FieldKeys": ",".join(field_keys),
                    "FilterString": filter_string,
                    "OrderString": order_string,
                    "TopRowCount": 0,
                    "StartRow": start_row,
                    "Limit": limit,
                    "SubSystemId": "",
                }
            },
            what,
        )
        if not isinstance(body, list) or any(
            not isinstance(r, list) or len(r) != len(field_keys) for r in body
        ):
            raise KingdeeError(
                f"{what}: expected a 2-D array of {len(field_keys)} columns, got {str(body)[:200]}"
            )
        return body

    def scan(
        self,
        form_id: str,
        field_keys: list[str],
        key: str,
        *,
        where: str = "",
        page_size: int = MAX_LIMIT,
    ) -> Iterator[list[dict]]:
        """Every row of ``form_id`` matching ``where``, in pages of dicts, ordered by ``key``.

        Keyset paging: each call asks for ``key > <last key seen>`` from row 0, ordered by
        the key, so rows inserted or deleted while we page shift nothing (StartRow offsets
        would skip or repeat rows then). A short page ends the scan only once the server has
        shown it honours our ``Limit`` (a full page came back); otherwise one more call must
        come back empty, since a server may cap rows per call below what we asked.
        """
        if key not in field_keys:
            raise ValueError(f"the key {key} must be among the FieldKeys")
        limit = max(1, min(page_size, MAX_LIMIT))
        ki = field_keys.index(key)
        last = None
        honoured = False
        while True:
            flt = where
            if last is not None:
                after = f"{key} > {_literal(last)}"
                flt = f"({where}) AND {after}" if where else after
            rows = self.execute_bill_query(
                form_id, field_keys, filter_string=flt, order_string=f"{key} ASC", limit=limit
            )
            if not rows:
                return
            new_last = rows[-1][ki]
            if new_last is None or (last is not None and not _after(new_last, last)):
                raise KingdeeError(
                    f"ERP {form_id}: paging by {key} did not advance "
                    f"(last {last!r}, got {new_last!r})"
                )
            yield [dict(zip(field_keys, r, strict=True)) for r in rows]
            last = new_last
            if len(rows) >= limit:
                honoured = True
            elif honoured:
                return


def _after(a, b) -> bool:
    try:
        return a > b
    except TypeError:
        return str(a) > str(b)


def _literal(v) -> str:
    """A FilterString literal: numbers bare, text quoted (SQL Server: '' escapes ')."""
    if isinstance(v, bool):
        return str(int(v))
    if isinstance(v, (int, float)):
        return str(v)
    return "'" + str(v).replace("'", "''") + "'"
