"""HTTP with the robustness every source needs: timeouts, retries with exponential backoff and
full jitter that honour Retry-After, and bodies that must parse as JSON.

Protocol clients call ``HttpClient.request_json``; what counts as a protocol-level failure
(an expired token inside HTTP 200, a lost Kingdee session) is theirs to detect — they raise
``AuthExpired`` and the caller re-authenticates and retries.

dlt's ``requests`` helper retries too, but without jitter and without treating a cut-off JSON
body as retryable; both matter against the flaky and hostile simulators (docs/decisions.md).
"""

from __future__ import annotations

import json
import random
import time
import urllib.request
from collections.abc import Callable
from email.utils import parsedate_to_datetime

import requests

RETRY_STATUS = {429, 500, 502, 503, 504}


class SourceError(Exception):
    """A source failed in a way retrying did not fix; the message names the call."""


class AuthExpired(Exception):
    """The token or session is no longer valid: log in again and repeat the call."""


class HttpClient:
    def __init__(
        self,
        *,
        timeout: float = 60.0,
        max_attempts: int = 8,
        base_delay: float = 0.2,
        max_delay: float = 30.0,
        seed: int | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.session = requests.Session()
        # Proxy settings are read once here instead of from the environment on every call
        # (about a fifth of a small request's client time).
        self.session.proxies.update(urllib.request.getproxies())
        self.session.trust_env = False
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._rng = random.Random(seed)
        self._sleep = sleep
        self.retries = 0

    def close(self) -> None:
        self.session.close()

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        if retry_after:
            try:
                return min(self.max_delay, max(0.0, float(retry_after)))
            except ValueError:
                try:
                    when = parsedate_to_datetime(retry_after).timestamp()
                    return min(self.max_delay, max(0.0, when - time.time()))
                except (TypeError, ValueError):
                    pass
        # full jitter: uniform in [0, base * 2^attempt], capped
        return self._rng.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))

    def request(self, method: str, url: str, *, what: str = "", **kw) -> requests.Response:
        """A response with a non-retryable status; retries transport errors, 429 and 5xx."""
        kw.setdefault("timeout", self.timeout)
        last = ""
        for attempt in range(self.max_attempts):
            try:
                resp = self.session.request(method, url, **kw)
                _ = resp.content  # read the whole body now: a reset mid-body raises here
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,
            ) as e:
                last = f"{type(e).__name__}: {e}"
                self.retries += 1
                self._sleep(self._delay(attempt, None))
                continue
            if resp.status_code in RETRY_STATUS:
                last = f"HTTP {resp.status_code}"
                self.retries += 1
                self._sleep(self._delay(attempt, resp.headers.get("Retry-After")))
                continue
            return resp
        raise SourceError(
            f"{what or method + ' ' + url}: gave up after {self.max_attempts} "
            f"attempts ({last}); is the source up? check its URL in .env"
        )

    def request_json(
        self, method: str, url: str, *, what: str = "", empty_ok: tuple[int, ...] = (204, 304), **kw
    ):
        """Parsed JSON (None for 204/304); a body that does not parse is retried like a
        transport error (a proxy or the source cut it short)."""
        last = ""
        for attempt in range(self.max_attempts):
            resp = self.request(method, url, what=what, **kw)
            if resp.status_code in empty_ok:
                return None, resp
            try:
                return json.loads(resp.content), resp
            except ValueError as e:
                last = f"unparseable JSON ({e}); HTTP {resp.status_code}"
                self.retries += 1
                self._sleep(self._delay(attempt, None))
        raise SourceError(
            f"{what or method + ' ' + url}: {last} after {self.max_attempts} attempts"
        )
