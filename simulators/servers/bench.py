"""How fast the simulators serve plain paging: ``zhongtai sources bench``.

Each benchmark starts one simulator in this process on a free port and pages its largest
entity over one keep-alive connection the way an extractor does, decoding every page. Client
and server share this process (and its GIL), so the figures are a lower bound of what a
server does on one core.
"""

from __future__ import annotations

import base64
import http.client
import json
import time
from collections.abc import Callable
from pathlib import Path

from simulators.servers.http import RunningServer
from simulators.servers.sources import Credentials, make_app
from simulators.servers.store import WorldStore

MAX_SECONDS = 10.0


def _start(system: str, world: Path) -> tuple[RunningServer, http.client.HTTPConnection, dict]:
    from simulators.servers.faults import PROFILES, FaultInjector

    creds = Credentials.from_env()
    app = make_app(system, WorldStore(world), creds, FaultInjector(PROFILES["none"]))
    srv = RunningServer(app, port=0, log=False)
    return srv, http.client.HTTPConnection(srv.host, srv.port, timeout=60), creds.values


def _call(conn, method, url, body=None, headers=None):
    conn.request(method, url, body=body, headers=headers or {})
    resp = conn.getresponse()
    data = resp.read()
    return resp, data


def bench_crm(world: Path) -> tuple[str, int, float]:
    from simulators.servers.crm import bench_crm as crm

    n_fields = "Events"
    rate = crm(world, module=n_fields, max_records=100_000)
    return "crm: Events (200/page, page_token)", 0, rate


def bench_erp(world: Path) -> tuple[str, int, float]:
    srv, conn, c = _start("erp", world)
    try:
        login = {
            "acctID": c["ZHONGTAI_ERP_ACCT_ID"],
            "username": c["ZHONGTAI_ERP_USERNAME"],
            "password": c["ZHONGTAI_ERP_PASSWORD"],
            "lcid": 2052,
        }
        resp, _ = _call(
            conn,
            "POST",
            "/K3Cloud/Kingdee.BOS.WebApi.ServicesStub.AuthService.ValidateUser.common.kdsvc",
            json.dumps(login),
            {"Content-Type": "application/json"},
        )
        cookies = "; ".join(
            v.split(";")[0] for k, v in resp.getheaders() if k.lower() == "set-cookie"
        )
        keys = [
            k
            for k in srv.app.store.table("erp", "SAL_SaleOrder").column_names
            if not k.startswith("_")
        ]
        n, start, t0 = 0, 0, time.perf_counter()
        while time.perf_counter() - t0 < MAX_SECONDS:
            q = {
                "data": {
                    "FormId": "SAL_SaleOrder",
                    "FieldKeys": ",".join(keys),
                    "FilterString": "",
                    "OrderString": "FID ASC",
                    "StartRow": start,
                    "Limit": 2000,
                    "TopRowCount": 0,
                }
            }
            _r, body = _call(
                conn,
                "POST",
                "/K3Cloud/Kingdee.BOS.WebApi.ServicesStub."
                "DynamicFormService.ExecuteBillQuery.common.kdsvc",
                json.dumps(q),
                {"Content-Type": "application/json", "Cookie": cookies},
            )
            rows = json.loads(body)
            n += len(rows)
            start += len(rows)
            if len(rows) < 2000:
                break
        return "erp: SAL_SaleOrder rows (Limit 2000)", len(keys), n / (time.perf_counter() - t0)
    finally:
        conn.close()
        srv.stop()


def bench_expense(world: Path) -> tuple[str, int, float]:
    srv, conn, c = _start("expense", world)
    try:
        basic = base64.b64encode(
            f"{c['ZHONGTAI_EXPENSE_CLIENT_ID']}:{c['ZHONGTAI_EXPENSE_CLIENT_SECRET']}".encode()
        ).decode()
        _r, body = _call(
            conn,
            "POST",
            "/oauth/token",
            "grant_type=client_credentials&scope=write",
            {
                "Authorization": f"Basic {basic}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        token = json.loads(body)["access_token"]
        h = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        n, page, t0 = 0, 1, time.perf_counter()
        while time.perf_counter() - t0 < MAX_SECONDS:
            q = {
                "page": page,
                "size": 100,
                "lastModifyStartDate": "2000-01-01 00:00:00",
                "lastModifyEndDate": "2100-01-01 00:00:00",
            }
            _r, body = _call(conn, "POST", "/gateway/api/open/expenseReport/v2", json.dumps(q), h)
            rows = json.loads(body)
            if not rows:
                break
            n += len(rows)
            page += 1
        return "expense: expenseReport (v2, 100/page)", 0, n / (time.perf_counter() - t0)
    finally:
        conn.close()
        srv.stop()


def bench_oa(world: Path) -> tuple[str, int, float]:
    from simulators.servers.oa import bench_client_headers

    srv, conn, c = _start("oa", world)
    try:
        h = bench_client_headers(conn, c)
        h["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
        n, page, t0 = 0, 1, time.perf_counter()
        size = 1000
        while time.perf_counter() - t0 < MAX_SECONDS:
            body = f"pageNo={page}&pageSize={size}&conditions=%7B%7D"
            _r, data = _call(
                conn, "POST", "/api/workflow/paService/getAllWorkflowRequestList", body, h
            )
            rows = json.loads(data)
            if not rows:
                break
            n += len(rows)
            page += 1
        return f"oa: workflow requests ({size}/page)", 0, n / (time.perf_counter() - t0)
    finally:
        conn.close()
        srv.stop()


BENCHES: dict[str, Callable[[Path], tuple[str, int, float]]] = {
    "crm": bench_crm,
    "erp": bench_erp,
    "oa": bench_oa,
    "expense": bench_expense,
}
