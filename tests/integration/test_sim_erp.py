"""The Kingdee K/3 Cloud WebAPI simulator, tested with a small client written from the
protocol reference (shared/reference/source_protocols.md §2), not with the extractor.

Covers: login in every envelope (JSON keys, Java ``parameters``, legacy ``format/useragent``,
form-encoded) and its cookies; signed-header mode; ExecuteBillQuery 2-D arrays and BillQuery
objects; the HTTP-200 wrapped errors; the FilterString evaluator against DuckDB on the world's
parquet; ordering and paging edges; session expiry; every fault kind and fault determinism;
completeness per FormId against ``summary``; changes of ``world advance`` seen without restart.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import http.client
import json
import shutil
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from simulators.servers.sources import Credentials, start_sources, stop_sources
from simulators.world.generate import advance, summary
from simulators.world.workcal import DAY, day_of_date

CREDS = Credentials.from_env()
ACCT = CREDS["ZHONGTAI_ERP_ACCT_ID"]
USER = CREDS["ZHONGTAI_ERP_USERNAME"]
PASSWORD = CREDS["ZHONGTAI_ERP_PASSWORD"]
APP_ID = CREDS["ZHONGTAI_ERP_APP_ID"]
APP_SECRET = CREDS["ZHONGTAI_ERP_APP_SECRET"]

STUB = "/K3Cloud/Kingdee.BOS.WebApi.ServicesStub."
VALIDATE = STUB + "AuthService.ValidateUser.common.kdsvc"
BY_SECRET = STUB + "AuthService.LoginByAppSecret.common.kdsvc"
EBQ = STUB + "DynamicFormService.ExecuteBillQuery.common.kdsvc"
BQ = STUB + "DynamicFormService.BillQuery.common.kdsvc"
SESSION_LOST = "会话信息已丢失，请重新登录"

FORMS = [
    "BD_MATERIAL",
    "BD_Customer",
    "SAL_SaleOrder",
    "SAL_OUTSTOCK",
    "IV_SALESIC",
    "IV_SALESOC",
    "AR_receivable",
    "AR_RECEIVEBILL",
    "STK_Inventory",
]
DOC_ID = {"BD_MATERIAL": "FMATERIALID", "BD_Customer": "FCUSTID"}  # others: FID


def wrapped(message: str, msg_code: int = 9) -> list:
    """ExecuteBillQuery's error: a 2-D array whose single cell is the result object."""
    return [
        [
            {
                "Result": {
                    "ResponseStatus": {
                        "ErrorCode": 500,
                        "IsSuccess": False,
                        "Errors": [{"FieldName": None, "Message": message, "DIndex": 0}],
                        "SuccessEntitys": [],
                        "SuccessMessages": [],
                        "MsgCode": msg_code,
                    }
                }
            }
        ]
    ]


class Kd:
    """A minimal K/3 Cloud client on one keep-alive connection."""

    def __init__(self, url: str):
        u = urlsplit(url)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        self.cookies: dict[str, str] = {}

    def close(self) -> None:
        self.conn.close()

    def post(self, path: str, body, headers: dict | None = None, form: bool = False):
        if form:
            data = urlencode(body).encode()
            h = {"Content-Type": "application/x-www-form-urlencoded"}
        else:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            h = {"Content-Type": "application/json"}
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        h.update(headers or {})
        self.conn.request("POST", path, body=data, headers=h)
        resp = self.conn.getresponse()
        raw = resp.read()
        for k, v in resp.getheaders():
            if k.lower() == "set-cookie":
                name, val = v.split(";", 1)[0].split("=", 1)
                self.cookies[name.strip()] = val.strip()
        return resp, raw

    def login(self, body=None, path: str = VALIDATE, form: bool = False) -> dict:
        body = body or {"acctID": ACCT, "username": USER, "password": PASSWORD, "lcid": 2052}
        resp, raw = self.post(path, body, form=form)
        assert resp.status == 200
        return json.loads(raw)

    def query(self, path: str = EBQ, **data):
        resp, raw = self.post(path, {"data": data})
        assert resp.status == 200, raw[:200]
        return json.loads(raw)

    def all_rows(self, limit: int = 2000, **data) -> list:
        out, start = [], 0
        while True:
            rows = self.query(StartRow=start, Limit=limit, **data)
            assert not (rows and rows[0] and isinstance(rows[0][0], dict)), rows
            out += rows
            if len(rows) < limit:
                return out
            start += limit


@pytest.fixture(scope="module")
def erp_url(sources) -> str:
    return sources["erp"]


@pytest.fixture
def kd(erp_url):
    c = Kd(erp_url)
    c.login()
    yield c
    c.close()


def sql(world: Path, form: str, query: str) -> list[tuple]:
    with duckdb.connect() as con:
        return con.execute(
            query.replace("{t}", f"read_parquet('{world / 'erp' / (form + '.parquet')}')")
        ).fetchall()


def served_columns(world: Path, form: str) -> list[str]:
    names = pq.read_schema(world / "erp" / f"{form}.parquet").names
    return [c for c in names if not c.startswith("_")]


# -- login ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "form"),
    [
        (VALIDATE, {"acctID": ACCT, "username": USER, "password": PASSWORD, "lcid": 2052}, False),
        (
            STUB + "AuthService.ValidateUser2.common.kdsvc",
            {
                "acctID": ACCT,
                "username": USER,
                "password": PASSWORD,
                "lcid": 2052,
                "isKickOff": False,
            },
            False,
        ),
        (VALIDATE, {"parameters": [ACCT, USER, PASSWORD, 2052]}, False),
        (
            VALIDATE,
            {
                "format": 1,
                "useragent": "ApiClient",
                "rid": "1f0c6a",
                "parameters": json.dumps([ACCT, USER, PASSWORD, 2052]),
                "timestamp": "1751241600000",
                "v": "1.0",
            },
            False,
        ),
        (VALIDATE, {"acctID": ACCT, "username": USER, "password": PASSWORD, "lcid": "2052"}, True),
        (
            BY_SECRET,
            {
                "acctID": ACCT,
                "username": USER,
                "appid": APP_ID,
                "appsecret": APP_SECRET,
                "lcid": 2052,
            },
            False,
        ),
        (BY_SECRET, {"parameters": [ACCT, USER, APP_ID, APP_SECRET, "2052"]}, False),
        (
            BY_SECRET,
            {
                "format": 1,
                "useragent": "ApiClient",
                "rid": "x",
                "parameters": json.dumps([ACCT, USER, APP_ID, APP_SECRET, 2052]),
                "timestamp": "1751241600000",
                "v": "1.0",
            },
            False,
        ),
    ],
    ids=[
        "json",
        "validate2",
        "java",
        "legacy",
        "form",
        "secret-json",
        "secret-java",
        "secret-legacy",
    ],
)
def test_login_envelopes_answer_login_json_and_session_cookies(erp_url, path, body, form):
    c = Kd(erp_url)
    resp, raw = c.post(path, body, form=form)
    assert resp.status == 200
    r = json.loads(raw)
    assert r["LoginResultType"] == 1 and r["IsSuccessByAPI"] is True
    for k in (
        "Message",
        "MessageCode",
        "Context",
        "KDSVCSessionId",
        "FormId",
        "RedirectFormParam",
        "FormInputObject",
        "ErrorStackTrace",
        "Lcid",
        "AccessToken",
        "KdAccessResult",
    ):
        assert k in r
    ctx = r["Context"]
    assert ctx["UserName"] == USER and ctx["DBId"] == ACCT and ctx["UserToken"]
    assert isinstance(ctx["UserId"], int)
    set_cookies = [v for k, v in resp.getheaders() if k.lower() == "set-cookie"]
    names = {v.split("=", 1)[0] for v in set_cookies}
    assert names == {"kdservice-sessionid", "ASP.NET_SessionId"}
    assert c.cookies["kdservice-sessionid"] == r["KDSVCSessionId"]
    # the cookies authenticate later calls
    rows = c.query(FormId="BD_MATERIAL", FieldKeys="FNumber", Limit=1)
    assert len(rows) == 1 and isinstance(rows[0][0], str)
    c.close()


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (VALIDATE, {"acctID": ACCT, "username": USER, "password": "wrong", "lcid": 2052}),
        (VALIDATE, {"acctID": ACCT, "username": "nobody", "password": PASSWORD, "lcid": 2052}),
        (BY_SECRET, {"parameters": [ACCT, USER, APP_ID, "wrong-secret", 2052]}),
    ],
)
def test_bad_credentials_give_login_result_minus_one_and_no_cookie(erp_url, path, body):
    c = Kd(erp_url)
    resp, raw = c.post(path, body)
    r = json.loads(raw)
    assert resp.status == 200 and r["LoginResultType"] == -1 and r["Message"]
    assert r["Context"] is None and r["KDSVCSessionId"] is None and r["IsSuccessByAPI"] is False
    assert not c.cookies
    assert c.query(FormId="BD_MATERIAL", FieldKeys="FNumber") == wrapped(SESSION_LOST, 1)
    c.close()


def test_sid_header_and_aspnet_cookie_also_authenticate(erp_url):
    c = Kd(erp_url)
    r = c.login()
    sid, aspnet = c.cookies["kdservice-sessionid"], c.cookies["ASP.NET_SessionId"]
    other = Kd(erp_url)
    _, raw = other.post(
        EBQ,
        {"data": {"FormId": "BD_MATERIAL", "FieldKeys": "FNumber", "Limit": 1}},
        headers={"SID": sid},
    )
    assert len(json.loads(raw)) == 1 and r["KDSVCSessionId"] == sid
    other.cookies = {"ASP.NET_SessionId": aspnet}
    assert len(other.query(FormId="BD_MATERIAL", FieldKeys="FNumber", Limit=1)) == 1
    c.close(), other.close()


def _signed_headers(app_id: str, secret: str, user: str = USER) -> dict:
    app_data = f"{ACCT},{user},2052,100"
    digest = hmac.new(secret.encode(), (app_id + app_data).encode(), hashlib.sha256).hexdigest()
    ts = str(int(time.time()))
    return {
        "X-Api-ClientID": app_id.split("_")[0],
        "X-Api-Auth-Version": "2.0",
        "x-api-timestamp": ts,
        "x-api-nonce": ts,
        "x-api-signheaders": "x-api-timestamp,x-api-nonce",
        "X-Kd-Appkey": app_id,
        "X-Kd-Appdata": base64.b64encode(app_data.encode()).decode(),
        "X-Kd-Signature": base64.b64encode(digest.encode()).decode(),
    }


def test_signed_headers_authenticate_without_login(erp_url):
    c = Kd(erp_url)
    body = {"data": {"FormId": "BD_Customer", "FieldKeys": "FCUSTID,FNumber", "Limit": 3}}
    resp, raw = c.post(EBQ, body, headers=_signed_headers(APP_ID, APP_SECRET))
    rows = json.loads(raw)
    assert len(rows) == 3 and isinstance(rows[0][0], int)
    assert "kdservice-sessionid" in c.cookies  # the server hands out a session as well
    c.cookies.clear()
    resp, raw = c.post(EBQ, body, headers=_signed_headers(APP_ID, "not-the-secret"))
    err = json.loads(raw)
    assert resp.status == 200 and err[0][0]["Result"]["ResponseStatus"]["IsSuccess"] is False
    c.close()


# -- query shapes and errors ----------------------------------------------------------------


def test_execute_bill_query_is_a_bare_2d_array_in_field_key_order(kd, world):
    keys = [
        "FAllAmount",
        "FID",
        "FBillNo",
        "FDate",
        "FCustId.FNumber",
        "FSaleOrderEntry_FEntryId",
        "FQty",
        "FModifyDate",
        "FDocumentStatus",
    ]
    rows = kd.query(
        FormId="SAL_SaleOrder",
        FieldKeys=",".join(keys),
        FilterString="",
        OrderString="",
        TopRowCount=0,
        StartRow=0,
        Limit=50,
        SubSystemId="",
    )
    cols = ", ".join(f'"{k}"' for k in keys)
    want = sql(world, "SAL_SaleOrder", f"select {cols} from {{t}} order by _created, _key limit 50")
    assert [tuple(r) for r in rows] == want
    assert isinstance(rows[0][0], float) and isinstance(rows[0][1], int)
    assert isinstance(rows[0][2], str) and rows[0][3].endswith("T00:00:00")
    assert len(rows[0][7]) == 19 and rows[0][7][10] == "T"


def test_bill_query_answers_objects_keyed_exactly_by_the_requested_keys(kd, world):
    rows = kd.query(BQ, FormId="sal_saleorder", FieldKeys="fid, FBILLNO,FCustId.FName", Limit=5)
    assert [list(r) for r in rows] == [["fid", "FBILLNO", "FCustId.FName"]] * 5
    want = sql(
        world,
        "SAL_SaleOrder",
        'select FID, FBillNo, "FCustId.FName" from {t} order by _created, _key limit 5',
    )
    assert [tuple(r.values()) for r in rows] == want


def test_nulls_are_served_as_null(kd, world):
    rows = kd.query(
        FormId="IV_SALESOC",
        FieldKeys="FSALESOCENTRY_FEntryId,FSrcInvoiceNo",
        FilterString="FSrcInvoiceNo is null",
        Limit=2000,
    )
    n = sql(world, "IV_SALESOC", "select count(*) from {t} where FSrcInvoiceNo is null")[0][0]
    assert len(rows) == n > 0 and all(r[1] is None for r in rows)


def test_unknown_field_key_and_form_id_give_the_wrapped_errors(kd):
    rows = kd.query(FormId="SAL_SaleOrder", FieldKeys="FID,FIssueType")
    assert rows == wrapped("元数据中标识为FIssueType的字段不存在")
    rows = kd.query(FormId="SAL_SaleOrder", FieldKeys="FID", FilterString="FNope = 1")
    assert rows == wrapped("元数据中标识为FNope的字段不存在")
    rows = kd.query(FormId="SAL_SaleOrder", FieldKeys="FID", OrderString="FNope DESC")
    assert rows == wrapped("元数据中标识为FNope的字段不存在")
    # FID is not a field of BD_Customer (its id is FCUSTID)
    assert kd.query(FormId="BD_Customer", FieldKeys="FID") == wrapped(
        "元数据中标识为FID的字段不存在"
    )
    assert kd.query(FormId="STK_OutStock", FieldKeys="FID") == wrapped("业务对象不存在")
    err = kd.query(BQ, FormId="STK_OutStock", FieldKeys="FID")
    assert err == wrapped("业务对象不存在")[0]


def test_bad_filter_strings_give_wrapped_errors(kd):
    for flt in ("FDate >= 'yesterday'", "FQty > 'many'", "FID = ", "(FID = 1", "FID == 1"):
        rows = kd.query(FormId="SAL_SaleOrder", FieldKeys="FID", FilterString=flt)
        status = rows[0][0]["Result"]["ResponseStatus"]
        assert status["IsSuccess"] is False and status["Errors"][0]["Message"], flt


def test_request_envelopes_and_method_case(erp_url, kd):
    q = {
        "FormId": "BD_MATERIAL",
        "FieldKeys": "FMATERIALID,FNumber",
        "OrderString": "FNumber",
        "StartRow": 0,
        "Limit": 3,
    }
    want = kd.query(**q)
    assert len(want) == 3
    bodies = [
        {"data": q},
        {"data": json.dumps(q)},
        {"parameters": [json.dumps(q)]},
        {
            "format": 1,
            "useragent": "ApiClient",
            "rid": "r1",
            "v": "1.0",
            "timestamp": "1",
            "parameters": json.dumps([json.dumps(q)]),
        },
        {"formid": "BD_MATERIAL", "data": {k: v for k, v in q.items() if k != "FormId"}},
    ]
    for body in bodies:
        _, raw = kd.post(EBQ, body)
        assert json.loads(raw) == want, body
    _, raw = kd.post(EBQ, {"data": json.dumps(q)}, form=True)
    assert json.loads(raw) == want
    lower = (
        "/k3cloud/kingdee.bos.webapi.servicesstub.dynamicformservice.executebillquery.common.kdsvc"
    )
    _resp, raw = kd.post(lower, {"data": q})
    assert json.loads(raw) == want
    # FilterString as an empty array (newer servers) and as an array of conditions
    _, raw = kd.post(EBQ, {"data": {**q, "FilterString": []}})
    assert json.loads(raw) == want
    arr = [
        {
            "Left": "(",
            "FieldName": "FNumber",
            "Compare": "like",
            "Value": "MS0000%",
            "Right": "",
            "Logic": 1,
        },
        {
            "Left": "",
            "FieldName": "FNumber",
            "Compare": "=",
            "Value": "MS00010",
            "Right": ")",
            "Logic": 0,
        },
    ]
    _, raw = kd.post(EBQ, {"data": {**q, "Limit": 50, "FilterString": arr}})
    assert [r[1] for r in json.loads(raw)] == [f"MS{i:05d}" for i in range(1, 11)]


# -- FilterString evaluator against DuckDB ----------------------------------------------------

_TS = "strptime({c}, '%Y-%m-%dT%H:%M:%S')"
FILTER_CASES = [
    ("FDocumentStatus = 'C'", "FDocumentStatus = 'C'"),
    ("fdocumentstatus = 'c'", "FDocumentStatus = 'C'"),  # CI collation, case-blind keys
    ("FDocumentStatus in ('A', 'B', 'D')", "FDocumentStatus in ('A', 'B', 'D')"),
    ("FAllAmount > 10000 AND FQty <= 5", "FAllAmount > 10000 and FQty <= 5"),
    ("FQty >= '10'", "FQty >= 10"),
    (
        "FAllAmount > 50000 OR FQty > 20 AND FEntryTaxRate = 6",
        "FAllAmount > 50000 or (FQty > 20 and FEntryTaxRate = 6)",
    ),
    (
        "(FAllAmount > 50000 OR FQty > 20) AND FEntryTaxRate = 6",
        "(FAllAmount > 50000 or FQty > 20) and FEntryTaxRate = 6",
    ),
    ("NOT (FEntryTaxRate = 13) AND FQty <> 2", "not (FEntryTaxRate = 13) and FQty <> 2"),
    (
        "fbillno like 'xsdd2%' and fdocumentstatus = 'c' and FCloseStatus != 'B'",
        "FBillNo like 'XSDD2%' and FDocumentStatus = 'C' and FCloseStatus <> 'B'",
    ),
    ("FCustId.FName like '%大学%'", "\"FCustId.FName\" like '%大学%'"),
    ("FBillNo LIKE 'xsdd2_03%'", "FBillNo ilike 'XSDD2_03%'"),
    ("FMaterialId.FNumber not like '%1'", "\"FMaterialId.FNumber\" not like '%1'"),
    (
        "FMaterialId.FNumber in ('MS00001', 'MS00113', N'MS00125') OR FID = 823610000003",
        "\"FMaterialId.FNumber\" in ('MS00001', 'MS00113', 'MS00125') or FID = 823610000003",
    ),
    (
        "FSalerId.FNumber not in ('ZT00028') and FDeliveryDate is not null",
        "\"FSalerId.FNumber\" not in ('ZT00028')",
    ),
    (
        "FDate >= '2025-01-01' AND FDate < '2025-02-01'",
        f"{_TS.format(c='FDate')} >= '2025-01-01' and {_TS.format(c='FDate')} < '2025-02-01'",
    ),
    (
        "FModifyDate >= '2025-06-01 00:00:00' AND FModifyDate < '2025-06-15 12:30:00'",
        f"{_TS.format(c='FModifyDate')} >= '2025-06-01 00:00:00' "
        f"and {_TS.format(c='FModifyDate')} < '2025-06-15 12:30:00'",
    ),
    (
        "FModifyDate > '2025-03-01T08:00:00' and FModifyDate <= '2025/04/01'",
        f"{_TS.format(c='FModifyDate')} > '2025-03-01 08:00:00' "
        f"and {_TS.format(c='FModifyDate')} <= '2025-04-01'",
    ),
    (
        "FApproveDate between '2024-05-01' and '2024-05-31 23:59:59'",
        f"{_TS.format(c='FApproveDate')} between '2024-05-01' and '2024-05-31 23:59:59'",
    ),
    (
        "FModifyDate > FCreateDate and 1=1",
        f"{_TS.format(c='FModifyDate')} > {_TS.format(c='FCreateDate')}",
    ),
    (
        "F_ZT_ContractNo like 'YF-%' or F_ZT_ContractNo like 'ht-hd-%' or F_ZT_ContractNo is null",
        "F_ZT_ContractNo like 'YF-%' or F_ZT_ContractNo ilike 'HT-HD-%'",
    ),
    ("", "true"),
]


@pytest.mark.parametrize(
    ("flt", "where"), FILTER_CASES, ids=[c[0] or "empty" for c in FILTER_CASES]
)
def test_filter_string_matches_duckdb(kd, world, flt, where):
    rows = kd.all_rows(
        FormId="SAL_SaleOrder",
        FieldKeys="FSaleOrderEntry_FEntryId",
        FilterString=flt,
        OrderString="FSaleOrderEntry_FEntryId",
    )
    got = [r[0] for r in rows]
    want = [
        r[0]
        for r in sql(
            world,
            "SAL_SaleOrder",
            f"select FSaleOrderEntry_FEntryId from {{t}} where {where} order by 1",
        )
    ]
    assert got == want


def test_filter_on_nullable_text_follows_three_valued_logic(kd, world):
    for flt, where in [
        ("FSrcInvoiceNo <> 'x'", "FSrcInvoiceNo <> 'x'"),
        ("not FSrcInvoiceNo = 'x'", "not FSrcInvoiceNo = 'x'"),
        ("FSrcInvoiceNo not in ('x')", "FSrcInvoiceNo not in ('x')"),
        (
            "FRedBlue = 1 or FSrcInvoiceNo is not null",
            "FRedBlue = '1' or FSrcInvoiceNo is not null",
        ),
    ]:
        rows = kd.all_rows(
            FormId="IV_SALESOC",
            FieldKeys="FSALESOCENTRY_FEntryId",
            FilterString=flt,
            OrderString="FSALESOCENTRY_FEntryId",
        )
        want = sql(
            world,
            "IV_SALESOC",
            f"select FSALESOCENTRY_FEntryId from {{t}} where {where} order by 1",
        )
        assert [r[0] for r in rows] == [w[0] for w in want], flt


def test_order_string_and_default_order(kd, world):
    rows = kd.all_rows(
        FormId="SAL_SaleOrder",
        FieldKeys="FSaleOrderEntry_FEntryId,FAllAmount",
        OrderString="FAllAmount DESC, FSaleOrderEntry_FEntryId ASC",
        limit=500,
    )
    want = sql(
        world,
        "SAL_SaleOrder",
        "select FSaleOrderEntry_FEntryId, FAllAmount from {t} "
        "order by FAllAmount desc, FSaleOrderEntry_FEntryId",
    )
    assert [tuple(r) for r in rows] == want
    rows = kd.all_rows(FormId="SAL_SaleOrder", FieldKeys="FSaleOrderEntry_FEntryId", limit=500)
    want = sql(
        world, "SAL_SaleOrder", "select FSaleOrderEntry_FEntryId from {t} order by _created, _key"
    )
    assert [r[0] for r in rows] == [w[0] for w in want]


# -- paging edges ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big(world, tmp_path_factory):
    """An ERP-only copy of the world whose SAL_SaleOrder holds every entry twice (the second
    copy with shifted ids), so results of more than 2,000 rows exist at scale 0.01."""
    root = tmp_path_factory.mktemp("erp_big") / "world"
    shutil.copytree(world / "erp", root / "erp")
    shutil.copy(world / "world.json", root / "world.json")
    t = pq.read_table(root / "erp" / "SAL_SaleOrder.parquet")
    shift = pa.scalar(10**12, pa.int64())
    entry = pc.add(t["FSaleOrderEntry_FEntryId"], shift)
    twin = (
        t.set_column(t.schema.get_field_index("FID"), "FID", pc.add(t["FID"], shift))
        .set_column(
            t.schema.get_field_index("FSaleOrderEntry_FEntryId"), "FSaleOrderEntry_FEntryId", entry
        )
        .set_column(
            t.schema.get_field_index("FBillNo"),
            "FBillNo",
            pc.binary_join_element_wise(t["FBillNo"], "B", ""),
        )
        .set_column(t.schema.get_field_index("_key"), "_key", entry.cast(pa.string()))
    )
    pq.write_table(pa.concat_tables([t, twin]), root / "erp" / "SAL_SaleOrder.parquet")
    running = start_sources(root, ports={"erp": 0}, only=["erp"], log=False)
    c = Kd(running["erp"].url)
    c.login()
    entries = sorted(
        pc.unique(
            pa.concat_arrays(
                [t["FSaleOrderEntry_FEntryId"].combine_chunks(), entry.combine_chunks()]
            )
        ).to_pylist()
    )
    try:
        yield c, entries
    finally:
        c.close()
        stop_sources(running)


def test_paging_a_result_of_exactly_2000_and_2001_rows(big):
    c, entries = big
    assert len(entries) > 2001
    q = {
        "FormId": "SAL_SaleOrder",
        "FieldKeys": "FSaleOrderEntry_FEntryId",
        "OrderString": "FSaleOrderEntry_FEntryId ASC",
    }
    for n in (2000, 2001):
        flt = f"FSaleOrderEntry_FEntryId <= {entries[n - 1]}"
        first = c.query(**q, FilterString=flt, StartRow=0, Limit=2000)
        second = c.query(**q, FilterString=flt, StartRow=2000, Limit=2000)
        assert (len(first), len(second)) == (2000, n - 2000)
        assert [r[0] for r in first + second] == entries[:n]
        # the same cut with TopRowCount as the absolute end row
        first = c.query(**q, StartRow=0, Limit=2000, TopRowCount=n)
        second = c.query(**q, StartRow=2000, Limit=2000, TopRowCount=n)
        assert [r[0] for r in first + second] == entries[:n]


def test_start_row_top_row_count_and_limit_edges(big):
    c, entries = big
    q = {
        "FormId": "SAL_SaleOrder",
        "FieldKeys": "FSaleOrderEntry_FEntryId",
        "OrderString": "FSaleOrderEntry_FEntryId",
    }

    def ids(**kw):
        return [r[0] for r in c.query(**q, **kw)]

    total = len(entries)
    assert ids(StartRow=total, Limit=2000) == []
    assert ids(StartRow=total + 5000, Limit=10) == []
    assert ids(StartRow=total - 3, Limit=2000) == entries[-3:]
    assert ids(StartRow=0, Limit=2000, TopRowCount=10) == entries[:10]
    assert ids(StartRow=5, Limit=3, TopRowCount=7) == entries[5:7]
    assert ids(StartRow=5, Limit=100, TopRowCount=3) == []
    assert ids(StartRow=10, Limit=5, TopRowCount=0) == entries[10:15]
    # Limit is capped at 2000 (also when 0 or missing): the rest needs another page
    assert ids(StartRow=0, Limit=5000) == entries[:2000]
    assert ids(StartRow=0, Limit=0) == entries[:2000]
    assert ids(StartRow=100) == entries[100:2100]
    # kingdee-k3cloud-mcp style paging: TopRowCount = StartRow + page
    got, s = [], 0
    while True:
        page = ids(StartRow=s, Limit=700, TopRowCount=s + 700)
        got += page
        if len(page) < 700:
            break
        s += 700
    assert got == entries


# -- sessions -------------------------------------------------------------------------------


def test_idle_session_is_lost_with_http_200_and_relogin_works(world):
    running = start_sources(world, ports={"erp": 0}, only=["erp"], log=False)
    try:
        app = running["erp"].app
        app.session_idle_s = 0.4
        c = Kd(running["erp"].url)
        c.login()
        q = {"FormId": "BD_MATERIAL", "FieldKeys": "FNumber", "Limit": 1}
        for _ in range(4):  # activity keeps the session alive past the idle limit
            assert len(c.query(**q)) == 1
            time.sleep(0.15)
        time.sleep(0.6)
        resp, raw = c.post(EBQ, {"data": q})
        assert resp.status == 200 and json.loads(raw) == wrapped(SESSION_LOST, 1)
        resp, raw = c.post(BQ, {"data": q})
        assert resp.status == 200 and json.loads(raw) == wrapped(SESSION_LOST, 1)[0]
        c.login()
        assert len(c.query(**q)) == 1
        app.on_expire()  # the expire fault: every session is dropped at once
        assert c.query(**q) == wrapped(SESSION_LOST, 1)
        c.close()
    finally:
        stop_sources(running)


# -- faults ---------------------------------------------------------------------------------


def _with_faults(world, **knobs):
    return start_sources(
        world,
        ports={"erp": 0},
        only=["erp"],
        log=False,
        knobs={k: str(v) for k, v in knobs.items()},
    )


def test_fault_error_and_rate_limit(world):
    running = _with_faults(world, error_rate=1)
    try:
        c = Kd(running["erp"].url)
        resp, raw = c.post(VALIDATE, {"acctID": ACCT, "username": USER, "password": PASSWORD})
        assert resp.status in (500, 502, 503) and resp.getheader("Content-Type") == "text/html"
        c.close()
    finally:
        stop_sources(running)
    running = _with_faults(world, rate_limit_rate=1, retry_after_s=2)
    try:
        c = Kd(running["erp"].url)
        resp, raw = c.post(EBQ, {"data": {"FormId": "BD_MATERIAL", "FieldKeys": "FNumber"}})
        assert resp.status == 429 and resp.getheader("Retry-After") == "2"
        assert resp.getheader("Content-Type").startswith("text/plain") and raw
        c.close()
    finally:
        stop_sources(running)


def test_fault_slow_reset_truncate_expire(world):
    body = {"data": {"FormId": "BD_MATERIAL", "FieldKeys": "FNumber", "Limit": 5}}
    running = _with_faults(world, slow_rate=1, slow_s=0.3)
    try:
        c = Kd(running["erp"].url)
        c.login()
        t0 = time.perf_counter()
        assert len(c.query(**body["data"])) == 5
        assert time.perf_counter() - t0 >= 0.3
        c.close()
    finally:
        stop_sources(running)
    running = _with_faults(world, reset_rate=1)
    try:
        c = Kd(running["erp"].url)
        with pytest.raises((http.client.HTTPException, ConnectionError)):
            c.post(VALIDATE, {"acctID": ACCT, "username": USER, "password": PASSWORD})
        c.close()
    finally:
        stop_sources(running)
    running = _with_faults(world, truncate_rate=1)
    try:
        c = Kd(running["erp"].url)
        resp, raw = c.post(VALIDATE, {"acctID": ACCT, "username": USER, "password": PASSWORD})
        assert resp.status == 200 and "kdservice-sessionid" in c.cookies  # headers intact
        resp, raw = c.post(EBQ, body)
        assert resp.status == 200
        with pytest.raises(json.JSONDecodeError):
            json.loads(raw)
        c.close()
    finally:
        stop_sources(running)
    running = _with_faults(world, expire_rate=1)
    try:
        c = Kd(running["erp"].url)
        assert c.login()["LoginResultType"] == 1
        resp, raw = c.post(EBQ, body)
        assert resp.status == 200 and json.loads(raw) == wrapped(SESSION_LOST, 1)
        c.close()
    finally:
        stop_sources(running)


def test_faults_are_deterministic_per_seed(world):
    def statuses(seed: int) -> list[int]:
        running = start_sources(
            world,
            ports={"erp": 0},
            only=["erp"],
            log=False,
            fault_seed=seed,
            knobs={"error_rate": "0.3", "rate_limit_rate": "0.2", "retry_after_s": "0"},
        )
        try:
            out = []
            for _ in range(40):  # a connection each: the faults follow request order only
                c = Kd(running["erp"].url)
                resp, _raw = c.post(
                    VALIDATE, {"acctID": ACCT, "username": USER, "password": PASSWORD}
                )
                out.append(resp.status)
                c.close()
            return out
        finally:
            stop_sources(running)

    a = statuses(3)
    assert a == statuses(3)
    assert {200, 429} <= set(a) and set(a) & {500, 502, 503}
    assert a != statuses(4)


# -- completeness and world advance ---------------------------------------------------------


def _id_key(form: str) -> str:
    return DOC_ID.get(form, "FID")


def test_every_form_pages_to_completion(kd, world):
    counts = summary(world)["erp"]
    for form in FORMS:
        keys = served_columns(world, form)
        rows = kd.all_rows(
            limit=300, FormId=form, FieldKeys=",".join(keys), OrderString=f"{_id_key(form)} ASC"
        )
        assert len(rows) == pq.read_metadata(world / "erp" / f"{form}.parquet").num_rows
        assert len({tuple(r) for r in rows}) == len(rows), form  # no row twice
        i = keys.index(_id_key(form))
        assert len({r[i] for r in rows}) == counts[form], form


def test_advance_is_visible_without_restart(world, tmp_path):
    shutil.copytree(world.parent, tmp_path / "copy")
    w = tmp_path / "copy" / "world"
    running = start_sources(w, ports={"erp": 0}, only=["erp"], log=False)
    try:
        c = Kd(running["erp"].url)
        c.login()

        def bills(form: str) -> set[str]:
            return {r[0] for r in c.all_rows(FormId=form, FieldKeys="FBillNo")}

        before = {f: bills(f) for f in ("SAL_SaleOrder", "SAL_OUTSTOCK", "AR_RECEIVEBILL")}
        as_of = json.loads((w / "world.json").read_text())["as_of"]
        assert (
            c.query(
                FormId="SAL_SaleOrder",
                FieldKeys="FID",
                FilterString=f"FCreateDate > '{as_of} 23:59:59'",
            )
            == []
        )
        meta = advance(w, days=3, workers=1)
        time.sleep(0.6)
        after = {f: bills(f) for f in before}
        counts = summary(w)["erp"]
        new = c.query(
            FormId="SAL_SaleOrder",
            FieldKeys="FID,FBillNo",
            FilterString=f"FCreateDate > '{as_of} 23:59:59'",
            Limit=2000,
        )
        assert new and {r[1] for r in new} <= after["SAL_SaleOrder"]
        assert any(after[f] - before[f] for f in before)
        fid = {r[0] for r in c.all_rows(FormId="SAL_SaleOrder", FieldKeys="FID")}
        assert len(fid) == counts["SAL_SaleOrder"]
        # documents deleted in the new days are gone (and every older deletion stays gone)
        lo = (day_of_date(dt.date.fromisoformat(as_of)) + 1) * DAY
        for form in before:
            dead = pq.read_table(w / "erp" / "_deleted" / f"{form}.parquet")
            gone = set(dead["display_name"].to_pylist())
            assert not (gone & after[form]), form
            recent = dead.filter(pc.greater_equal(dead["deleted_time"], lo))
            for name in set(recent["display_name"].to_pylist()):
                if name in before[form]:
                    assert name not in after[form]
        assert meta["as_of"] > as_of
        c.close()
    finally:
        stop_sources(running)
