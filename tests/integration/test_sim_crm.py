"""The ZOHO CRM v8 simulator against the protocol (shared/reference/source_protocols.md §1).

The client here is written from the protocol docs with plain httpx, not with any extractor:
token flow, response shapes, the 2,000-record page cap and page tokens, If-Modified-Since,
deleted records, stage history, faults, completeness against the world's counts, and new
records becoming visible after ``world advance`` without a restart.
"""

from __future__ import annotations

import http.client
import json
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from simulators.servers.faults import PROFILES, FaultInjector
from simulators.servers.http import SourceServerError
from simulators.servers.sources import Credentials, start_sources, stop_sources
from simulators.servers.store import WorldStore, nest
from simulators.world.generate import advance, summary

MODULES = [
    "Leads",
    "Accounts",
    "Contacts",
    "Campaigns",
    "Deals",
    "Events",
    "Tasks",
    "Products",
    "Sales_Orders",
    "Invoices",
    "Sales_Targets",
]
CREDS = Credentials.from_env()
INVALID_TOKEN = {
    "code": "INVALID_TOKEN",
    "details": {},
    "message": "invalid oauth token",
    "status": "error",
}
DISCRETE = {
    "code": "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
    "details": {"limit": 2000},
    "message": "You can only get the first 2000 records without using page_token param",
    "status": "error",
}
BOTH = {"converted": "both"}  # Leads hide converted leads unless asked (ignored elsewhere)
INFO_KEYS = {
    "per_page",
    "count",
    "page",
    "more_records",
    "next_page_token",
    "previous_page_token",
    "page_token_expiry",
    "sort_by",
    "sort_order",
}


# ---------------------------------------------------------------------- a small ZOHO client


def token_params() -> dict[str, str]:
    return {
        "grant_type": "refresh_token",
        "client_id": CREDS["ZHONGTAI_CRM_CLIENT_ID"],
        "client_secret": CREDS["ZHONGTAI_CRM_CLIENT_SECRET"],
        "refresh_token": CREDS["ZHONGTAI_CRM_REFRESH_TOKEN"],
    }


class Zoho:
    """Refresh-token auth and the paging loop of the docs (page, then page_token)."""

    def __init__(self, url: str):
        self.http = httpx.Client(base_url=url, timeout=30)
        self.access = ""
        self.refresh()

    def refresh(self) -> dict:
        doc = self.http.post("/oauth/v2/token", params=token_params()).json()
        self.access = doc["access_token"]
        return doc

    def get(self, path: str, params: dict | None = None, headers: dict | None = None):
        h = {"Authorization": f"Zoho-oauthtoken {self.access}", **(headers or {})}
        return self.http.get(path, params=params, headers=h)

    def pages(self, path: str, params: dict, headers: dict | None = None, key: str = "data"):
        """Yield every page's records: ``page`` while it may, ``page_token`` after."""
        params = dict(params)
        while True:
            r = self.get(path, params, headers)
            if r.status_code in (204, 304):
                assert r.content == b""
                return
            assert r.status_code == 200, r.text
            doc = r.json()
            yield doc[key]
            info = doc["info"]
            if not info["more_records"]:
                return
            if info.get("next_page_token"):
                params.pop("page", None)
                params["page_token"] = info["next_page_token"]
            else:
                params["page"] = int(params.get("page", 1)) + 1

    def all(self, path: str, params: dict, headers: dict | None = None, key: str = "data"):
        return [rec for page in self.pages(path, params, headers, key) for rec in page]

    def close(self) -> None:
        self.http.close()


def heads(table: pa.Table) -> list[str]:
    """API field names of a world table (``Owner.id`` → ``Owner``), helpers left out."""
    out = []
    for c in table.column_names:
        if c.startswith("_"):
            continue
        h = c if c.startswith("$") else c.partition(".")[0]
        if h not in out:
            out.append(h)
    return out


def served(row: dict) -> dict:
    return nest({k: v for k, v in row.items() if not k.startswith("_")})


def crm_table(world: Path, entity: str) -> pa.Table:
    return pq.read_table(world / "crm" / f"{entity}.parquet")


def local_iso(t: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+08:00", time.gmtime(t))


@pytest.fixture(scope="module")
def crm(request, world):
    """URL of the CRM simulator: the shared ``sources`` fixture (all simulators); if the other
    simulators cannot start in this checkout, a CRM-only server on the same world."""
    try:
        yield request.getfixturevalue("sources")["crm"]
        return
    except (ImportError, SourceServerError):
        pass
    running = start_sources(world, ports={"crm": 0}, only=["crm"], log=False)
    try:
        yield running["crm"].url
    finally:
        stop_sources(running)


@pytest.fixture(scope="module")
def zoho(crm):
    z = Zoho(crm)
    yield z
    z.close()


def own_crm(world: Path, **kw):
    """A CRM simulator of its own (for faults, token lifetime, modified worlds)."""
    return start_sources(world, ports={"crm": 0}, only=["crm"], log=False, **kw)


# ---------------------------------------------------------------------- conformance


def test_token_flow_and_auth_errors(crm):
    with httpx.Client(base_url=crm, timeout=10) as c:
        by_query = c.post("/oauth/v2/token", params=token_params())
        assert by_query.status_code == 200
        doc = by_query.json()
        assert set(doc) == {"access_token", "expires_in", "api_domain", "token_type"}
        assert doc["expires_in"] == 3600 and doc["token_type"] == "Bearer"
        assert doc["api_domain"].startswith("http")
        by_form = c.post("/oauth/v2/token", data=token_params()).json()
        assert by_form["access_token"] != doc["access_token"]
        basic = {k: v for k, v in token_params().items() if not k.startswith("client")}
        auth = (CREDS["ZHONGTAI_CRM_CLIENT_ID"], CREDS["ZHONGTAI_CRM_CLIENT_SECRET"])
        assert "access_token" in c.post("/oauth/v2/token", data=basic, auth=auth).json()
        bad = c.post("/oauth/v2/token", params={**token_params(), "refresh_token": "nope"})
        assert bad.status_code == 200 and bad.json() == {"error": "invalid_code"}
        bad = c.post("/oauth/v2/token", params={**token_params(), "client_secret": "x"})
        assert bad.status_code == 200 and bad.json() == {"error": "invalid_client"}

        q = {"fields": "Deal_Name"}
        r = c.get("/crm/v8/Deals", params=q)
        assert r.status_code == 401 and r.json()["code"] == "AUTHENTICATION_FAILURE"
        r = c.get("/crm/v8/Deals", params=q, headers={"Authorization": "Zoho-oauthtoken 1000.x"})
        assert r.status_code == 401 and r.json() == INVALID_TOKEN
        for scheme in ("Zoho-oauthtoken", "Bearer"):
            h = {"Authorization": f"{scheme} {doc['access_token']}"}
            assert c.get("/crm/v8/Deals", params=q, headers=h).status_code == 200


def test_record_shape_matches_the_world(zoho, world):
    r = zoho.get("/crm/v8/Deals", {"fields": "Deal_Name,Owner,Stage,Amount,Modified_Time"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    doc = r.json()
    assert set(doc) == {"data", "info"}
    info = doc["info"]
    assert set(info) == INFO_KEYS
    total = crm_table(world, "Deals").num_rows
    assert info["per_page"] == 200 and info["page"] == 1 and info["count"] == 200
    assert info["sort_by"] == "id" and info["sort_order"] == "desc"
    assert info["more_records"] is (total > 200)
    assert isinstance(info["next_page_token"], str) and info["previous_page_token"] is None
    assert info["page_token_expiry"].endswith("+08:00")
    ids = [rec["id"] for rec in doc["data"]]
    assert ids == sorted(ids, key=int, reverse=True)

    rows = {row["id"]: served(row) for row in crm_table(world, "Deals").to_pylist()}
    for rec in doc["data"]:
        assert set(rec) == {"id", "Deal_Name", "Owner", "Stage", "Amount", "Modified_Time"}
        want = rows[rec["id"]]
        assert rec == {k: want[k] for k in rec}
        assert set(rec["Owner"]) == {"id", "name", "email"}
    # a lookup whose parts are all NULL is served as null
    with_lookup = zoho.all("/crm/v8/Deals", {"fields": "Campaign_Source", "sort_order": "asc"})
    assert any(rec["Campaign_Source"] is None for rec in with_lookup[:2000])


def test_parameter_errors(zoho):
    def err(path, params, status=400, headers=None):
        r = zoho.get(path, params, headers)
        assert r.status_code == status, r.text
        return r.json()

    assert err("/crm/v8/Deals", {}) == {
        "code": "REQUIRED_PARAM_MISSING",
        "details": {"param_name": "fields"},
        "message": "required param is missing",
        "status": "error",
    }
    too_many = ",".join(f"F{i}" for i in range(51))
    assert err("/crm/v8/Deals", {"fields": too_many}) == {
        "code": "LIMIT_EXCEEDED",
        "details": {"limit": 50, "param_name": "fields"},
        "message": "limit exceeded",
        "status": "error",
    }
    bad_field = err("/crm/v8/Deals", {"fields": "Deal_Name,No_Such_Field"})
    assert bad_field["code"] == "INVALID_DATA"
    assert bad_field["details"]["api_name"] == "No_Such_Field"
    assert err("/crm/v8/Nope", {"fields": "id"}) == {
        "code": "INVALID_MODULE",
        "details": {"resource_path_index": 0},
        "message": "the module name given seems to be invalid",
        "status": "error",
    }
    sort = err("/crm/v8/Deals", {"fields": "id", "sort_by": "Deal_Name"})
    assert sort["code"] == "INVALID_DATA" and sort["details"]["param_name"] == "sort_by"
    assert err("/crm/v8/Deals", {"fields": "id", "per_page": 201})["code"] == "LIMIT_EXCEEDED"
    amb = err("/crm/v8/Deals", {"fields": "id", "page": 1, "page_token": "abc"})
    assert amb["code"] == "AMBIGUITY_DURING_PROCESSING"
    bad_tok = err("/crm/v8/Deals", {"fields": "id", "page_token": "00ff"})
    assert bad_tok["code"] == "TOKEN_BOUND_DATA_MISMATCH"
    ims = err("/crm/v8/Deals", {"fields": "id"}, headers={"If-Modified-Since": "yesterday"})
    assert ims["code"] == "INVALID_DATA"
    r = zoho.get("/crm/v8/Deals/1/2/3/4", {})
    assert r.status_code == 404 and r.json()["code"] == "INVALID_URL_PATTERN"


def test_2000_by_page_then_only_by_page_token(zoho, world):
    ids = sorted(crm_table(world, "Events")["id"].to_pylist(), key=int)
    assert len(ids) > 2200, "the test world should have more than 2,000 events"
    q = {"fields": "Event_Title", "sort_by": "id", "sort_order": "asc", "per_page": 200}
    got, token = [], None
    for page in range(1, 11):
        doc = zoho.get("/crm/v8/Events", {**q, "page": page}).json()
        got += [r["id"] for r in doc["data"]]
        token = doc["info"]["next_page_token"]
        assert doc["info"]["page"] == page and doc["info"]["more_records"]
    assert got == ids[:2000]
    r = zoho.get("/crm/v8/Events", {**q, "page": 11})
    assert r.status_code == 400 and r.json() == DISCRETE
    r = zoho.get("/crm/v8/Events", {**q, "per_page": 150, "page": 14})
    assert r.status_code == 400 and r.json() == DISCRETE
    doc = zoho.get("/crm/v8/Events", {**q, "page_token": token}).json()
    assert doc["data"][0]["id"] == ids[2000]
    assert doc["info"]["page"] == 11 and doc["info"]["previous_page_token"]
    # the same token gives the same page again (stable until page_token_expiry)
    again = zoho.get("/crm/v8/Events", {**q, "page_token": token}).json()
    assert again["data"] == doc["data"]
    # a token is bound to the query it came from
    r = zoho.get("/crm/v8/Events", {**q, "sort_order": "desc", "page_token": token})
    assert r.status_code == 400 and r.json()["code"] == "TOKEN_BOUND_DATA_MISMATCH"
    # and to its module
    r = zoho.get("/crm/v8/Leads", {"fields": "id", "page_token": token})
    assert r.status_code == 400 and r.json()["code"] == "TOKEN_BOUND_DATA_MISMATCH"
    # page past the end: 204
    r = zoho.get("/crm/v8/Products", {"fields": "id", "page": 10})
    assert r.status_code == 204 and r.content == b""


@pytest.mark.parametrize("sort_by", ["Created_Time", "Modified_Time"])
def test_sort_by_time(zoho, world, sort_by):
    col = "_created" if sort_by == "Created_Time" else "_modified"
    t = crm_table(world, "Leads")
    want = sorted(zip(t[col].to_pylist(), map(int, t["id"].to_pylist()), strict=True))
    q = {"fields": sort_by, "sort_by": sort_by, "sort_order": "asc", **BOTH}
    got = zoho.all("/crm/v8/Leads", q)
    assert [int(r["id"]) for r in got] == [i for _, i in want]


def test_if_modified_since_window_304_and_rfc1123(zoho, world):
    t = crm_table(world, "Deals")
    mods = sorted(t["_modified"].to_pylist())
    newest = mods[-1]
    assert local_iso(newest) == max(t["Modified_Time"].to_pylist())
    r = zoho.get("/crm/v8/Deals", {"fields": "id"}, {"If-Modified-Since": local_iso(newest)})
    assert r.status_code == 304 and r.content == b""

    cut = mods[len(mods) // 2]
    ids, mod = t["id"].to_pylist(), t["_modified"].to_pylist()
    want = {i for i, m in zip(ids, mod, strict=True) if m > cut}
    q = {"fields": "Modified_Time", "sort_by": "Modified_Time", "sort_order": "asc"}
    got = zoho.all("/crm/v8/Deals", q, {"If-Modified-Since": local_iso(cut)})
    assert {r["id"] for r in got} == want and len(got) == len(want)
    assert all(r["Modified_Time"] > local_iso(cut) for r in got)
    # the same instant in UTC, in ISO and in RFC 1123 (HTTP-date) form
    utc = time.gmtime(cut - 8 * 3600)
    for h in (
        time.strftime("%Y-%m-%dT%H:%M:%SZ", utc),
        time.strftime("%a, %d %b %Y %H:%M:%S GMT", utc),
    ):
        assert len(zoho.all("/crm/v8/Deals", q, {"If-Modified-Since": h})) == len(want)


def test_leads_hide_converted_unless_asked(zoho, world):
    t = crm_table(world, "Leads")
    flags = dict(zip(t["id"].to_pylist(), t["Converted__s"].to_pylist(), strict=True))
    assert any(flags.values()) and not all(flags.values())
    q = {"fields": "Converted__s"}
    default = zoho.all("/crm/v8/Leads", q)
    assert {r["id"] for r in default} == {i for i, c in flags.items() if not c}
    conv = zoho.all("/crm/v8/Leads", {**q, "converted": "true"})
    assert {r["id"] for r in conv} == {i for i, c in flags.items() if c}
    assert len(zoho.all("/crm/v8/Leads", {**q, **BOTH})) == len(flags)
    count = zoho.get("/crm/v8/Leads/actions/count").json()["count"]
    assert count == len(default)
    r = zoho.get("/crm/v8/Leads", {**q, "converted": "maybe"})
    assert r.status_code == 400 and r.json()["details"]["param_name"] == "converted"


def test_counts_and_users(zoho, world):
    counts = summary(world)["crm"]
    for module in MODULES:
        r = zoho.get(f"/crm/v8/{module}/actions/count", BOTH)
        assert r.status_code == 200 and r.json() == {"count": counts[module]}
    r = zoho.get("/crm/v8/users", {"type": "AllUsers"})
    doc = r.json()
    assert set(doc) == {"users", "info"}
    assert set(doc["info"]) == {"per_page", "count", "page", "more_records"}
    users = zoho.all("/crm/v8/users", {"type": "AllUsers"}, key="users")
    assert len(users) == counts["users"]
    u = users[0]
    assert {"id", "full_name", "email", "status", "role", "profile"} <= set(u)
    assert set(u["role"]) == {"name", "id"}
    admins = zoho.all("/crm/v8/users", {"type": "AdminUsers"}, key="users")
    assert admins and all(a["profile"]["name"] == "Administrator" for a in admins)
    r = zoho.get("/crm/v8/users/actions/count", {"type": "AllUsers"})
    assert r.json() == {"count": counts["users"]}


def test_stage_history_equals_world_rows(zoho, world):
    hist = crm_table(world, "Stage_History")
    fields = ",".join(heads(hist))
    by_deal: dict[str, list[dict]] = {}
    for row in hist.to_pylist():
        by_deal.setdefault(row["Deal_Id"], []).append(served(row))
    busiest = sorted(by_deal, key=lambda d: (-len(by_deal[d]), d))[:5]
    for deal in busiest:
        got = zoho.all(f"/crm/v8/Deals/{deal}/Stage_History", {"fields": fields})
        assert got == by_deal[deal]
    r = zoho.get(f"/crm/v8/Deals/{busiest[0]}/Stage_History", {"fields": "Stage", "per_page": 1})
    doc = r.json()
    assert doc["info"]["count"] == 1 and doc["info"]["more_records"]
    assert set(doc["data"][0]) == {"id", "Stage"}
    r = zoho.get(f"/crm/v8/Deals/{busiest[0]}/Stage_History", {})
    assert r.status_code == 400 and r.json()["code"] == "REQUIRED_PARAM_MISSING"
    r = zoho.get("/crm/v8/Deals/4150040000000000000/Stage_History", {"fields": "Stage"})
    assert r.status_code == 404 and r.json() == {
        "code": "INVALID_DATA",
        "details": {},
        "message": "The record does not exist",
        "status": "error",
    }


def test_deleted_log_matches_world(zoho, world):
    for module in MODULES:
        dead = pq.read_table(world / "crm" / "_deleted" / f"{module}.parquet")
        want = {
            i: local_iso(t)
            for i, t in zip(dead["id"].to_pylist(), dead["deleted_time"].to_pylist(), strict=True)
        }
        got = zoho.all(f"/crm/v8/{module}/deleted", {"type": "all"})
        assert {r["id"]: r["deleted_time"] for r in got} == want
        assert len(got) == len(want)


@pytest.fixture(scope="module")
def edited_world(world, tmp_path_factory):
    """A copy of the CRM part of the world with an empty module and some deleted deals."""
    root = tmp_path_factory.mktemp("crm_edit") / "world"
    (root / "crm").mkdir(parents=True)
    shutil.copy(world / "world.json", root / "world.json")
    shutil.copytree(world / "crm", root / "crm", dirs_exist_ok=True)
    camp = pq.read_table(root / "crm" / "Campaigns.parquet")
    pq.write_table(camp.schema.empty_table(), root / "crm" / "Campaigns.parquet")
    end = WorldStore(root).as_of_end  # local seconds of the end of the world's day
    dead = pa.table(
        {
            "id": ["4150040000000000001", "4150040000000000002", "4150040000000000003"],
            "display_name": ["recent deal", "older deal", "ancient deal"],
            "deleted_time": [end - 3600, end - 30 * 86400, end - 200 * 86400],
            "_created": [end - 90 * 86400] * 3,
        }
    )
    pq.write_table(dead, root / "crm" / "_deleted" / "Deals.parquet")
    return root, end


def test_empty_module_and_deleted_records(edited_world):
    root, end = edited_world
    running = own_crm(root)
    z = Zoho(running["crm"].url)
    try:
        r = z.get("/crm/v8/Campaigns", {"fields": "Campaign_Name"})
        assert r.status_code == 204 and r.content == b""
        r = z.get("/crm/v8/Campaigns", {"fields": "id"}, {"If-Modified-Since": local_iso(0)})
        assert r.status_code == 204
        assert z.get("/crm/v8/Campaigns/actions/count").json() == {"count": 0}

        doc = z.get("/crm/v8/Deals/deleted", {"type": "all"}).json()
        assert doc["info"] == {"per_page": 200, "count": 3, "page": 1, "more_records": False}
        admin = doc["data"][0]["deleted_by"]
        assert set(admin) == {"name", "id"}
        assert doc["data"] == [
            {
                "deleted_by": admin,
                "id": "4150040000000000001",
                "display_name": "recent deal",
                "type": "recycle",
                "created_by": admin,
                "deleted_time": local_iso(end - 3600),
            },
            {
                "deleted_by": admin,
                "id": "4150040000000000002",
                "display_name": "older deal",
                "type": "recycle",
                "created_by": admin,
                "deleted_time": local_iso(end - 30 * 86400),
            },
            {
                "deleted_by": None,
                "id": "4150040000000000003",
                "display_name": None,
                "type": "permanent",
                "created_by": None,
                "deleted_time": local_iso(end - 200 * 86400),
            },
        ]
        recycle = z.all("/crm/v8/Deals/deleted", {"type": "recycle"})
        assert [r["id"][-1] for r in recycle] == ["1", "2"]
        perm = z.all("/crm/v8/Deals/deleted", {"type": "permanent"})
        assert [r["id"][-1] for r in perm] == ["3"]
        since = z.all("/crm/v8/Deals/deleted", {}, {"If-Modified-Since": local_iso(end - 86400)})
        assert [r["id"][-1] for r in since] == ["1"]
        r = z.get("/crm/v8/Deals/deleted", {}, {"If-Modified-Since": local_iso(end)})
        assert r.status_code == 304
        assert z.get("/crm/v8/Contacts/deleted", {}).status_code == 204  # never deleted
        r = z.get("/crm/v8/Deals/deleted", {"type": "bin"})
        assert r.status_code == 400 and r.json()["data"][0]["code"] == "PATTERN_NOT_MATCHED"
    finally:
        z.close()
        stop_sources(running)


def test_expired_token_then_refresh(world):
    running = own_crm(world)
    running["crm"].app.token_ttl_s = 0.3
    z = Zoho(running["crm"].url)
    try:
        assert z.get("/crm/v8/Products", {"fields": "Product_Name"}).status_code == 200
        time.sleep(0.5)
        r = z.get("/crm/v8/Products", {"fields": "Product_Name"})
        assert r.status_code == 401 and r.json() == INVALID_TOKEN
        z.refresh()
        assert z.get("/crm/v8/Products", {"fields": "Product_Name"}).status_code == 200
    finally:
        z.close()
        stop_sources(running)


# ---------------------------------------------------------------------- faults


def test_fault_error(world):
    running = own_crm(world, faults="none", knobs={"error_rate": "1"})
    try:
        r = httpx.post(running["crm"].url + "/oauth/v2/token", params=token_params())
        assert r.status_code in (500, 502, 503)
    finally:
        stop_sources(running)


def test_fault_reset(world):
    running = own_crm(world, faults="none", knobs={"reset_rate": "1"})
    try:
        with pytest.raises(httpx.TransportError):
            httpx.post(running["crm"].url + "/oauth/v2/token", params=token_params())
    finally:
        stop_sources(running)


def test_fault_truncate(world):
    running = own_crm(world, faults="none", knobs={"truncate_rate": "1"})
    try:
        r = httpx.post(running["crm"].url + "/oauth/v2/token", params=token_params())
        assert r.status_code == 200
        with pytest.raises(json.JSONDecodeError):
            json.loads(r.content)
    finally:
        stop_sources(running)


def test_fault_rate_limit(world):
    running = own_crm(world, faults="none", knobs={"rate_limit_rate": "1", "retry_after_s": "2"})
    try:
        r = httpx.get(running["crm"].url + "/crm/v8/Deals", params={"fields": "id"})
        assert r.status_code == 429 and r.headers["Retry-After"] == "2"
        assert r.json() == {
            "code": "TOO_MANY_REQUESTS",
            "status": "error",
            "message": "You have made too many requests. Please try again after some time.",
            "details": {},
        }
    finally:
        stop_sources(running)


def test_fault_expire_then_refresh_works(world):
    running = own_crm(world, faults="none", knobs={"expire_rate": "1"})
    z = Zoho(running["crm"].url)  # the refresh itself is served (after the revocation)
    try:
        r = z.get("/crm/v8/Deals", {"fields": "id"})
        assert r.status_code == 401 and r.json() == INVALID_TOKEN
        running["crm"].app.faults = FaultInjector(PROFILES["none"])
        assert "access_token" in z.refresh()
        assert z.get("/crm/v8/Deals", {"fields": "id"}).status_code == 200
    finally:
        z.close()
        stop_sources(running)


def test_faults_are_deterministic_per_seed(world):
    knobs = {"error_rate": "0.3", "rate_limit_rate": "0.2", "rate_limit_burst": "2"}

    def statuses(seed: int) -> list[int]:
        running = own_crm(world, faults="none", knobs=knobs, fault_seed=seed)
        try:
            out = []
            for _ in range(40):  # a fresh connection each time: faults may close it
                conn = http.client.HTTPConnection("127.0.0.1", running["crm"].port, timeout=10)
                conn.request("GET", "/crm/v8/Deals?fields=id")
                out.append(conn.getresponse().status)
                conn.close()
            return out
        finally:
            stop_sources(running)

    a, b = statuses(5), statuses(5)
    assert a == b
    assert {401, 429} <= set(a) and set(a) & {500, 502, 503}
    assert statuses(6) != a


# ---------------------------------------------------------------------- completeness


def test_a_client_reads_everything(zoho, world):
    counts = summary(world)["crm"]
    for module in MODULES:
        q = {"fields": "Modified_Time", "sort_order": "asc", **BOTH}
        recs = zoho.all(f"/crm/v8/{module}", q)
        assert len(recs) == counts[module], module
        assert len({r["id"] for r in recs}) == len(recs)
        deleted = zoho.all(f"/crm/v8/{module}/deleted", {"type": "all"})
        assert (
            len(deleted)
            == pq.read_metadata(world / "crm" / "_deleted" / f"{module}.parquet").num_rows
        )
    users = zoho.all("/crm/v8/users", {"type": "AllUsers", "per_page": 20}, key="users")
    assert len(users) == counts["users"]
    deals = [d["id"] for d in zoho.all("/crm/v8/Deals", {"fields": "id"})]

    def stage_rows(deal: str) -> int:
        return len(zoho.all(f"/crm/v8/Deals/{deal}/Stage_History", {"fields": "Stage"}))

    with ThreadPoolExecutor(16) as pool:  # N+1 calls, in parallel as an extractor would
        history = sum(pool.map(stage_rows, deals))
    assert history == counts["Stage_History"]


def test_advance_is_visible_without_restart(world, tmp_path):
    shutil.copytree(world.parent, tmp_path / "copy")
    w = tmp_path / "copy" / "world"
    meta = json.loads((w / "world.json").read_text())
    meta["inbox"] = str(tmp_path / "copy" / "inbox" / "bank")  # advance writes bank files there
    (w / "world.json").write_text(json.dumps(meta))
    running = own_crm(w)
    z = Zoho(running["crm"].url)
    try:
        before = {m: z.get(f"/crm/v8/{m}/actions/count", BOTH).json()["count"] for m in MODULES}
        newest = max(
            z.all("/crm/v8/Events", {"fields": "Modified_Time"}), key=lambda r: r["Modified_Time"]
        )
        newest_t = max(crm_table(w, "Events")["_modified"].to_pylist())
        assert newest["Modified_Time"] == local_iso(newest_t)
        advance(w, days=3, workers=1)
        time.sleep(0.6)
        after = summary(w)["crm"]
        got = {m: z.get(f"/crm/v8/{m}/actions/count", BOTH).json()["count"] for m in MODULES}
        assert got == {m: after[m] for m in MODULES}
        assert got["Events"] > before["Events"]
        listed = z.all("/crm/v8/Events", {"fields": "Modified_Time"})
        assert len(listed) == after["Events"]
        ims = {"If-Modified-Since": newest["Modified_Time"]}
        fresh = z.all("/crm/v8/Events", {"fields": "Modified_Time"}, ims)
        ev = crm_table(w, "Events")
        want = {
            i
            for i, m in zip(ev["id"].to_pylist(), ev["_modified"].to_pylist(), strict=True)
            if m > newest_t
        }
        assert want and {r["id"] for r in fresh} == want
    finally:
        z.close()
        stop_sources(running)
