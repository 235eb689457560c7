"""The Huilianyi (汇联易) expense simulator against the protocol reference (§4) and the world.

The client here is written from the protocol notes (token via Basic auth, Bearer calls, v2 POST
body paging until an empty page, ``errorCode`` envelopes), not from any extractor.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import shutil
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pyarrow.parquet as pq
import pytest

from simulators.servers.sources import start_sources, stop_sources
from simulators.world.generate import advance, summary

CLIENT_ID = "demo-expense-client"
CLIENT_SECRET = "demo-expense-secret"
V2 = "/gateway/api/open/expenseReport/v2"
V1 = "/gateway/api/open/expenseReport"
DETAIL = "/gateway/api/open/expenseReport/detail"
SDK_STATUSES = [1001, 1002, 1003, 1004, 1005, 1007, 1008, 1015]  # HLY_ExpenseStatus
SDK_FLAGS = {
    "withExpenseType": True,
    "withExpenseField": True,
    "withCustomFormValue": True,
    "withApplication": True,
    "withInvoice": True,
    "withExpenseReportLabel": True,
    "withRealPaymentAmount": True,
}
UTC_Z = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\Z")


# ---- a small client written from the protocol notes ----------------------------------------


def basic(cid: str = CLIENT_ID, secret: str = CLIENT_SECRET) -> str:
    return "Basic " + base64.b64encode(f"{cid}:{secret}".encode()).decode()


def token_response(c: httpx.Client, url: str, auth: str | None = None, **form) -> httpx.Response:
    data = {"grant_type": "client_credentials", "scope": "write", **form}
    headers = {"Authorization": auth or basic()}
    return c.post(f"{url}/oauth/token", data=data, headers=headers)


def get_token(c: httpx.Client, url: str) -> str:
    r = token_response(c, url)
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def bearer(tok: str) -> dict:
    return {"Authorization": f"Bearer {tok}"}


def v2(c: httpx.Client, url: str, tok: str, **body) -> httpx.Response:
    return c.post(f"{url}{V2}", json=body, headers=bearer(tok))


def page_all(c: httpx.Client, url: str, tok: str, **body) -> list[dict]:
    """Page 1, 2, … with size 100 until the server returns an empty array."""
    out, page = [], 1
    while True:
        r = v2(c, url, tok, page=page, size=100, **body)
        assert r.status_code == 200, r.text
        rows = r.json()
        assert isinstance(rows, list), rows  # a bare array, not an envelope
        if not rows:
            return out
        out.extend(rows)
        page += 1


def local_str(t: int) -> str:
    """Local seconds (Asia/Shanghai) → the filter format "YYYY-MM-DD HH:MM:SS" (Beijing)."""
    return (dt.datetime(1970, 1, 1) + dt.timedelta(seconds=int(t))).strftime("%Y-%m-%d %H:%M:%S")


def utc_z(t: int) -> str:
    """Local seconds → the payload format (UTC, 'Z')."""
    return (dt.datetime(1970, 1, 1) + dt.timedelta(seconds=int(t) - 8 * 3600)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


def world_reports(world: Path) -> list[dict]:
    return pq.read_table(world / "expense" / "expenseReport.parquet").to_pylist()


@pytest.fixture(scope="module")
def url(sources) -> str:
    return sources["expense"]


@pytest.fixture(scope="module")
def client():
    with httpx.Client(timeout=30) as c:
        yield c


@pytest.fixture(scope="module")
def tok(client, url) -> str:
    return get_token(client, url)


@pytest.fixture(scope="module")
def reports(world) -> list[dict]:
    return world_reports(world)


@pytest.fixture(scope="module")
def everything(client, url, tok) -> list[dict]:
    return page_all(client, url, tok)


def own_server(world: Path, **kw):
    return start_sources(world, ports={"expense": 0}, only=["expense"], log=False, **kw)


# ---- token ----------------------------------------------------------------------------------


def test_token_request_and_response_shape(client, url):
    r = token_response(client, url)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope", "tenantId"}
    uuid.UUID(body["access_token"])
    assert body["token_type"] == "bearer" and body["scope"] == "write"
    assert isinstance(body["expires_in"], int) and 0 < body["expires_in"] <= 7200
    assert isinstance(body["tenantId"], str) and body["tenantId"]
    # A live token is handed out again (remaining lifetime), as Spring's token services do.
    again = token_response(client, url).json()
    assert again["access_token"] == body["access_token"]
    assert again["expires_in"] <= body["expires_in"]


def test_bad_credentials_give_the_spring_401_body(client, url):
    for auth in (basic(secret="wrong"), basic(cid="someone-else"), "Basic not-base64!"):
        r = token_response(client, url, auth=auth)
        assert r.status_code == 401
        body = r.json()
        assert set(body) == {"timestamp", "status", "error", "message"}
        assert body["status"] == 401 and body["error"] == "Unauthorized"
        assert body["message"] == "Bad credentials"
        assert UTC_Z.match(body["timestamp"])
    r = client.post(f"{url}/oauth/token", data={"grant_type": "client_credentials"})
    assert r.status_code == 401 and r.json()["error"] == "Unauthorized"
    r = token_response(client, url, grant_type="password")
    assert r.status_code == 400 and r.json()["error"] == "unsupported_grant_type"
    r = token_response(client, url, scope="read")
    assert r.status_code == 400 and r.json()["error"] == "invalid_scope"


def test_calls_need_a_valid_bearer_token(client, url):
    r = client.post(f"{url}{V2}", json={"page": 1, "size": 10})
    assert r.status_code == 401 and r.json()["error"] == "unauthorized"
    r = v2(client, url, str(uuid.uuid4()), page=1, size=10)
    assert r.status_code == 401
    body = r.json()
    assert body["error"] == "invalid_token" and "Invalid access token" in body["error_description"]
    assert r.headers["www-authenticate"].startswith("Bearer")
    r = client.get(f"{url}{DETAIL}", params={"businessCode": "ER1"}, headers=bearer("x"))
    assert r.status_code == 401


def test_token_expiry_then_a_new_token_works(world):
    running = own_server(world)
    app = running["expense"].app
    app.token_ttl_s = 1
    try:
        with httpx.Client(timeout=10) as c:
            u = running["expense"].url
            old = get_token(c, u)
            assert v2(c, u, old, page=1, size=1).status_code == 200
            time.sleep(1.2)
            r = v2(c, u, old, page=1, size=1)
            assert r.status_code == 401
            body = r.json()
            assert body["error"] == "invalid_token" and "expired" in body["error_description"]
            new = get_token(c, u)
            assert new != old
            r = v2(c, u, new, page=1, size=1)
            assert r.status_code == 200 and len(r.json()) == 1
            app.on_expire()  # the core's ``expire`` fault: every token revoked
            assert v2(c, u, new, page=1, size=1).status_code == 401
    finally:
        stop_sources(running)


# ---- listing, paging, completeness ---------------------------------------------------------


def test_paging_returns_every_report_once_as_bare_arrays(
    everything, reports, world, client, url, tok
):
    n = summary(world)["expense"]["expenseReport"]
    assert len(everything) == n == len(reports)
    ids = [r["id"] for r in everything]
    assert len(set(ids)) == n
    assert set(ids) == {r["id"] for r in reports}
    assert ids == sorted(ids, key=int)  # default order: id ascending
    served = {k for k in reports[0] if not k.startswith("_")}
    for r in everything:
        assert set(r) == served  # no helper columns, no with* lists unless asked
    # page past the end → []
    last = (n + 99) // 100
    assert v2(client, url, tok, page=last + 1, size=100).json() == []
    assert v2(client, url, tok, page=last + 50, size=100).json() == []


def test_values_are_the_worlds(everything, reports):
    by_id = {r["id"]: r for r in reports}
    for r in everything:
        w = by_id[r["id"]]
        want = {k: v for k, v in w.items() if not k.startswith("_")}
        want["realPaymentAmount"] = None  # only with withRealPaymentAmount
        assert r == want
        if w["lastModifiedDate"] != "not-a-date":
            assert w["lastModifiedDate"] == utc_z(w["_modified"])


def test_sdk_request_body_and_flags(client, url, tok, reports):
    by_id = {r["id"]: r for r in reports}
    body = {
        "page": 1,
        "size": 100,
        "lastModifyStartDate": "2020-01-01 00:00:00",
        "lastModifyEndDate": "2040-12-31 00:00:00",
        "statusList": SDK_STATUSES,
        "sortDTOList": [{"property": "id", "direction": "ASC"}],
        **SDK_FLAGS,
    }
    rows = v2(client, url, tok, **body).json()
    assert len(rows) == 100
    for r in rows:
        w = by_id[r["id"]]
        assert r["realPaymentAmount"] == w["realPaymentAmount"]
        (vo,) = r["expenseTypeVOList"]
        assert set(vo) == {"id", "expenseTypeOID", "name", "code"}
        assert vo["code"] == w["expenseTypeCode"] and vo["name"] == w["expenseTypeName"]
        for k in (
            "customFormValueVOList",
            "invoiceVOList",
            "expenseReportApplicationVOList",
            "expenseReportLabelVOList",
            "expenseFieldVOList",
        ):
            assert isinstance(r[k], list)
        assert r["status"] in SDK_STATUSES
    # same expense type → same VO
    vos = {}
    for r in rows:
        vo = r["expenseTypeVOList"][0]
        assert vos.setdefault(vo["code"], vo) == vo


def test_lastmodify_window_is_exact_and_inclusive(client, url, tok, reports):
    """Window strings are Beijing time; both bounds inclusive; filter = true modification time
    (records with a planted "not-a-date" lastModifiedDate are found by that time too)."""
    times = sorted({r["_modified"] for r in reports})
    cases = [
        (times[len(times) // 4], times[len(times) // 2]),
        (times[10], times[10]),  # a one-second window
        (times[-30], times[-1] + 3600),
    ]
    bad = [r for r in reports if r["lastModifiedDate"] == "not-a-date"]
    assert bad, "the world plants malformed lastModifiedDate values"
    cases += [(r["_modified"], r["_modified"]) for r in bad]
    for lo, hi in cases:
        got = page_all(
            client, url, tok, lastModifyStartDate=local_str(lo), lastModifyEndDate=local_str(hi)
        )
        want = {r["id"] for r in reports if lo <= r["_modified"] <= hi}
        assert want, (lo, hi)
        assert {r["id"] for r in got} == want
        assert len(got) == len(want)
        for r in got:
            if r["lastModifiedDate"] != "not-a-date":
                assert utc_z(lo) <= r["lastModifiedDate"] <= utc_z(hi)
    # bounds: a record exactly at start and exactly at end is included; one second off is not
    t = times[len(times) // 3]
    at_t = {r["id"] for r in reports if r["_modified"] == t}
    for lo, hi, inside in (
        (t, t + 1, True),
        (t - 1, t, True),
        (t + 1, t + 5, False),
        (t - 5, t - 1, False),
    ):
        got = {
            r["id"]
            for r in page_all(
                client, url, tok, lastModifyStartDate=local_str(lo), lastModifyEndDate=local_str(hi)
            )
        }
        assert (at_t <= got) is inside
    # only a start: everything from there on
    got = page_all(client, url, tok, lastModifyStartDate=local_str(times[-50]))
    assert {r["id"] for r in got} == {r["id"] for r in reports if r["_modified"] >= times[-50]}
    # start after end → nothing
    assert (
        page_all(
            client,
            url,
            tok,
            lastModifyStartDate=local_str(times[-1]),
            lastModifyEndDate=local_str(times[0]),
        )
        == []
    )


def test_status_filter_and_deleted_reports_are_visible(client, url, tok, reports, everything):
    deleted = {r["id"] for r in reports if r["status"] == 1010}
    assert deleted, "the world has deleted (1010) reports"
    assert deleted <= {r["id"] for r in everything}  # no statusList: all statuses
    got = page_all(client, url, tok, statusList=[1010])
    assert {r["id"] for r in got} == deleted and all(r["status"] == 1010 for r in got)
    got = page_all(client, url, tok, statusList=SDK_STATUSES)
    assert {r["id"] for r in got} == {r["id"] for r in reports if r["status"] in SDK_STATUSES}
    got = page_all(client, url, tok, statusList=[1005, 1010])
    assert {r["id"] for r in got} == {r["id"] for r in reports if r["status"] in (1005, 1010)}


def test_sort_by_last_modified(client, url, tok, reports):
    got = page_all(
        client, url, tok, sortDTOList=[{"property": "lastModifiedDate", "direction": "DESC"}]
    )
    mod = {r["id"]: r["_modified"] for r in reports}
    keys = [(-mod[r["id"]], int(r["id"])) for r in got]
    assert keys == sorted(keys) and len(got) == len(reports)


def test_business_errors_use_the_errorcode_envelope(client, url, tok):
    bad_bodies = [
        {"page": 1, "size": 100, "lastModifyStartDate": "2025-06-30T00:00:00Z"},
        {"page": 1, "size": 100, "lastModifyEndDate": "2025-13-01 00:00:00"},
        {"page": 1, "size": 101},
        {"page": 0, "size": 10},
        {"page": 1, "size": 10, "statusList": ["paid"]},
        {"page": 1, "size": 10, "sortDTOList": [{"property": "title", "direction": "ASC"}]},
    ]
    for body in bad_bodies:
        r = v2(client, url, tok, **body)
        assert r.status_code == 200, body
        env = r.json()
        assert set(env) == {"message", "errorCode", "data"}, body
        assert env["errorCode"] != "0000" and env["message"], body
    r = client.get(f"{url}{DETAIL}", params={"businessCode": "ER-NOPE"}, headers=bearer(tok))
    assert r.status_code == 200 and r.json()["errorCode"] != "0000"
    r = client.get(f"{url}{V1}", params={"startDate": "2025/01/01"}, headers=bearer(tok))
    assert r.status_code == 200 and r.json()["errorCode"] != "0000"
    # framework-level errors keep Spring's shape
    r = client.post(f"{url}{V2}", content=b"{not json", headers=bearer(tok))
    assert r.status_code == 400 and r.json()["error"] == "Bad Request"
    r = client.get(f"{url}{V2}", headers=bearer(tok))
    assert r.status_code == 405 and r.json()["status"] == 405
    r = client.get(f"{url}/gateway/api/open/nothing", headers=bearer(tok))
    assert r.status_code == 404 and r.json()["error"] == "Not Found"


def test_v1_list_pages_the_same_window(client, url, tok, reports):
    times = sorted(r["_modified"] for r in reports)
    lo, hi = times[len(times) // 2], times[-1]
    out, page = [], 1
    while True:
        r = client.get(
            f"{url}{V1}",
            headers=bearer(tok),
            params={
                "startDate": local_str(lo),
                "endDate": local_str(hi),
                "page": page,
                "size": 100,
            },
        )
        rows = r.json()
        assert isinstance(rows, list)
        if not rows:
            break
        out += rows
        page += 1
    assert {r["id"] for r in out} == {r["id"] for r in reports if lo <= r["_modified"] <= hi}


def test_detail_for_every_report_gives_all_approval_history(client, url, tok, world, reports):
    n_hist = summary(world)["expense"]["approvalHistory"]

    def detail(code: str) -> dict:
        r = client.get(f"{url}{DETAIL}", params={"businessCode": code}, headers=bearer(tok))
        assert r.status_code == 200
        return r.json()

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(detail, [r["businessCode"] for r in reports]))
    total = 0
    for w, env in zip(reports, answers, strict=True):
        assert env["message"] == "成功" and env["errorCode"] == "0000"
        data = env["data"]
        assert data["businessCode"] == w["businessCode"] and data["id"] == w["id"]
        hist = data["approvalHistorys"]
        assert all(h["businessCode"] == w["businessCode"] for h in hist)
        assert all(h["expenseReportOID"] == w["expenseReportOID"] for h in hist)
        keys = [(h["createdDate"], h["id"]) for h in hist]
        assert keys == sorted(keys)
        total += len(hist)
    assert total == n_hist


def test_v2_with_approval_history_embeds_the_same_rows(client, url, tok, world):
    rows = page_all(client, url, tok, withApprovalHistory=True)
    assert (
        sum(len(r["approvalHistorys"]) for r in rows)
        == (summary(world)["expense"]["approvalHistory"])
    )
    some = next(r for r in rows if len(r["approvalHistorys"]) > 2)
    d = client.get(
        f"{url}{DETAIL}", params={"businessCode": some["businessCode"]}, headers=bearer(tok)
    ).json()["data"]
    assert d["approvalHistorys"] == some["approvalHistorys"]


# ---- faults ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["error", "rate_limit", "slow", "reset", "truncate", "expire"])
def test_each_fault_kind(world, kind):
    knobs = {f"{kind}_rate": "1"}
    if kind == "slow":
        knobs["slow_s"] = "0.3"
    if kind == "rate_limit":
        knobs["retry_after_s"] = "2"
    running = own_server(world, knobs=knobs)
    u = running["expense"].url
    try:
        with httpx.Client(timeout=10) as c:
            if kind == "error":
                r = token_response(c, u)
                assert r.status_code in (500, 502, 503)
                assert r.headers["content-type"].startswith("text/html")
            elif kind == "rate_limit":
                r = v2(c, u, "x", page=1, size=10)
                assert r.status_code == 429 and r.headers["retry-after"] == "2"
                assert r.json()["status"] == 429
            elif kind == "slow":
                t0 = time.perf_counter()
                tok = get_token(c, u)
                assert len(v2(c, u, tok, page=1, size=10).json()) == 10
                assert time.perf_counter() - t0 >= 0.6
            elif kind == "reset":
                with pytest.raises(httpx.TransportError):
                    token_response(c, u)
            elif kind == "truncate":
                r = token_response(c, u)
                assert r.status_code == 200
                with pytest.raises(json.JSONDecodeError):
                    json.loads(r.content)
            else:  # expire: tokens revoked before every request, token call itself succeeds
                tok = get_token(c, u)
                r = v2(c, u, tok, page=1, size=10)
                assert r.status_code == 401 and r.json()["error"] == "invalid_token"
        assert running["expense"].app.faults.counts[kind] >= 1
    finally:
        stop_sources(running)


def test_faults_are_deterministic_per_seed(world):
    knobs = {
        "error_rate": "0.25",
        "rate_limit_rate": "0.1",
        "rate_limit_burst": "2",
        "expire_rate": "0.1",
    }

    def statuses(seed: int) -> list[int]:
        running = own_server(world, knobs=knobs, fault_seed=seed)
        u = running["expense"].url
        try:
            with httpx.Client(timeout=10) as c:
                tok = None
                out = []
                for i in range(24):
                    if tok is None or i % 8 == 0:
                        r = token_response(c, u)
                        tok = r.json()["access_token"] if r.status_code == 200 else None
                    else:
                        r = v2(c, u, tok, page=1, size=5)
                        if r.status_code == 401:
                            tok = None
                    out.append(r.status_code)
                return out
        finally:
            stop_sources(running)

    a, b, c = statuses(3), statuses(3), statuses(4)
    assert a == b
    assert a != c
    assert {500, 502, 503} & set(a) and 429 in a and 200 in a


# ---- the world moves on -----------------------------------------------------------------------


def test_advance_is_visible_without_restart(world, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(world.parent, copy)
    running = own_server(copy / "world")
    u = running["expense"].url
    try:
        with httpx.Client(timeout=30) as c:
            tok = get_token(c, u)
            before = {r["id"]: r for r in page_all(c, u, tok)}
            advance(copy / "world", days=3, workers=1)
            time.sleep(0.6)
            after = {r["id"]: r for r in page_all(c, u, tok)}
        assert len(after) == summary(copy / "world")["expense"]["expenseReport"]
        new = set(after) - set(before)
        changed = {
            i
            for i in set(before) & set(after)
            if after[i]["lastModifiedDate"] != before[i]["lastModifiedDate"]
        }
        assert new, "new reports appear"
        assert changed, "changed reports show a new lastModifiedDate"
        want = {r["id"]: r for r in world_reports(copy / "world")}
        for i in new | changed:
            assert after[i]["status"] == want[i]["status"]
            assert after[i]["lastModifiedDate"] == want[i]["lastModifiedDate"]
    finally:
        stop_sources(running)
