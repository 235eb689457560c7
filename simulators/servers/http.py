"""A small HTTP/1.1 (keep-alive) server core shared by the protocol simulators.

Each simulator is an ``App``: a list of routes and handlers taking a ``Request`` and returning
a ``Response``. The core adds the request log (stderr), fault injection and clean start/stop.
Plain standard library: the simulators must start anywhere the project installs.
"""

from __future__ import annotations

import json
import re
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from simulators.servers.faults import PROFILES, FaultInjector


class SourceServerError(Exception):
    """A simulator could not start (port taken, no world…); the message says what to do."""


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    client: str = ""

    def arg(self, name: str, default: str | None = None) -> str | None:
        v = self.query.get(name)
        return v[0] if v else default

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)

    def form(self) -> dict[str, str]:
        """Form-encoded body (and query string) as single values."""
        out = {k: v[0] for k, v in self.query.items()}
        ctype = self.header("content-type", "") or ""
        if self.body and "json" not in ctype:
            for k, v in parse_qs(
                self.body.decode("utf-8", "replace"), keep_blank_values=True
            ).items():
                out[k] = v[0]
        return out

    def json(self):
        return json.loads(self.body.decode("utf-8")) if self.body else None


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_response(obj, status: int = 200, headers: dict | None = None) -> Response:
    body = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    h = {"Content-Type": "application/json;charset=UTF-8"}
    h.update(headers or {})
    return Response(status, body, h)


Handler = Callable[[Request, re.Match], Response]


class App:
    """Routes of one simulated system. Subclasses add routes in ``__init__``."""

    name = "app"

    def __init__(self, faults: FaultInjector | None = None):
        self.routes: list[tuple[str, re.Pattern, Handler]] = []
        self.faults = faults if faults is not None else FaultInjector(PROFILES["none"])

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self.routes.append((method.upper(), re.compile(pattern + r"\Z", re.I), handler))

    def on_expire(self) -> None:
        """Revoke every live token or session (the ``expire`` fault). Protocols override."""

    def rate_limited(self, retry_after: float) -> Response:
        return json_response(
            {"error": "too many requests"}, 429, {"Retry-After": f"{max(1, round(retry_after))}"}
        )

    def not_found(self, req: Request) -> Response:
        return json_response({"error": f"no such endpoint: {req.method} {req.path}"}, 404)

    def dispatch(self, req: Request) -> Response:
        for method, pat, handler in self.routes:
            if method != req.method:
                continue
            m = pat.match(req.path)
            if m:
                return handler(req, m)
        return self.not_found(req)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle's algorithm on, the second waits for
    # the client's delayed ACK (~40 ms a response). TCP_NODELAY lifts paging 3x.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format, *args):
        pass  # our own request log below

    def _handle(self) -> None:
        app = self.server.app
        t0 = time.perf_counter()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        req = Request(
            self.command.upper(),
            parts.path,
            parse_qs(parts.query, keep_blank_values=True),
            {k.lower(): v for k, v in self.headers.items()},
            body,
            self.client_address[0],
        )
        fault = app.faults.draw()
        if fault == "expire":
            app.on_expire()
            fault = None
        if fault == "error":
            resp = Response(
                app.faults.error_status(),
                b"<html><body>Service Unavailable</body></html>",
                {"Content-Type": "text/html"},
            )
        elif fault == "rate_limit":
            resp = app.rate_limited(app.faults.config.retry_after_s)
        else:
            try:
                resp = app.dispatch(req)
            except Exception:  # noqa: BLE001 - a simulator bug must answer, not hang the client
                traceback.print_exc(file=sys.stderr)
                resp = json_response({"error": "simulator internal error"}, 500)
        if fault == "slow":
            time.sleep(app.faults.config.slow_s)
        body = resp.body
        if fault == "truncate" and len(body) > 2:
            body = body[: len(body) // 2]
        self.send_response(resp.status)
        for k, v in resp.headers.items():
            self.send_header(k, v)
        if fault == "reset":
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
            self.close_connection = True
        else:
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD" and body:
                self.wfile.write(body)
        if self.server.log:
            ms = (time.perf_counter() - t0) * 1000
            tag = f" fault={fault}" if fault else ""
            print(
                f"[{app.name}] {req.client} {req.method} {self.path[:160]} {resp.status} "
                f"{len(body)}B {ms:.1f}ms{tag}",
                file=sys.stderr,
                flush=True,
            )

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, addr, app: App, log: bool):
        self.app = app
        self.log = log
        super().__init__(addr, _Handler)


class RunningServer:
    """A simulator listening on host:port in a background thread."""

    def __init__(self, app: App, host: str = "127.0.0.1", port: int = 0, log: bool = True):
        try:
            self.httpd = _Server((host, port), app, log)
        except OSError as e:
            raise SourceServerError(
                f"cannot start the {app.name} simulator on {host}:{port}: {e.strerror}. "
                f"Another process probably uses the port; pick another with "
                f"--{app.name}-port or stop that process."
            ) from e
        self.app = app
        self.host = host
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, name=f"sim-{app.name}", daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)
