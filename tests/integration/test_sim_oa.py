"""The Weaver e-cology 9 (OA) simulator against the protocol (shared reference §3.1).

The client below is written from the protocol description (regist → applytoken → RSA-encrypted
``userid``; form-encoded ``paService`` calls), not from any extractor.
"""

from __future__ import annotations

import base64
import datetime as dt
import http.client
import json
import shutil
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from simulators.servers.sources import Credentials, start_sources, stop_sources
from simulators.world.generate import advance, summary
from simulators.world.schemas import WORKFLOWS

APPID = Credentials.from_env()["ZHONGTAI_OA_APPID"]
ADMIN = "1"
PA = "/api/workflow/paService/"
LIST_KEYS = {
    "createTime",
    "creatorId",
    "creatorName",
    "currentNodeId",
    "currentNodeName",
    "lastOperateTime",
    "lastOperatorId",
    "lastOperatorName",
    "receiveTime",
    "requestId",
    "requestLevel",
    "requestName",
    "status",
    "sysName",
    "workflowBaseInfo",
}
BASE_INFO_KEYS = {"formId", "workflowId", "workflowName", "workflowTypeId", "workflowTypeName"}
TODO_EXTRA_KEYS = {
    "isremark",
    "nodeid",
    "operateTime",
    "userid",
    "userName",
    "viewtype",
    "agenttype",
    "isbereject",
    "takisremark",
    "currentnodetype",
}
TOKEN_EXPIRED = "token不存在或者超时："


def _encrypt(spk_b64: str, text: str) -> str:
    """base64(RSA/ECB/PKCS1Padding(spk, text)); spk is base64 X.509 DER as E9 sends it."""
    pem = (
        "-----BEGIN PUBLIC KEY-----\n"
        + "\n".join(spk_b64[i : i + 64] for i in range(0, len(spk_b64), 64))
        + "\n-----END PUBLIC KEY-----\n"
    )
    key = serialization.load_pem_public_key(pem.encode())
    return base64.b64encode(key.encrypt(text.encode(), padding.PKCS1v15())).decode()


_CLIENT_KEY = rsa.generate_private_key(public_exponent=65537, key_size=1024)
_CPK = base64.b64encode(
    _CLIENT_KEY.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
).decode()


class E9Client:
    """A keep-alive client speaking E9's dev-auth and paService protocol."""

    def __init__(self, url: str, appid: str = APPID, user_id: str = ADMIN):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port
        self.appid, self.user_id = appid, user_id
        self.conn: http.client.HTTPConnection | None = None
        self.spk = self.secrit = self.token = self.userid_header = None

    # -- transport ------------------------------------------------------------------------
    def raw(
        self,
        method: str,
        path: str,
        headers: dict | None = None,
        form: dict | None = None,
        query: dict | None = None,
    ) -> tuple[int, dict, bytes]:
        if query:
            path = f"{path}?{urlencode(query)}"
        body = urlencode(form).encode() if form is not None else None
        h = dict(headers or {})
        if body is not None:
            h["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                self.conn.request(method, path, body=body, headers=h)
                resp = self.conn.getresponse()
                data = resp.read()
                return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    # -- auth -----------------------------------------------------------------------------
    def regist(self) -> dict:
        st, _h, body = self.raw(
            "POST", "/api/ec/dev/auth/regist", {"appid": self.appid, "cpk": _CPK}
        )
        assert st == 200
        res = json.loads(body)
        if res.get("status"):
            self.spk, self.secrit = res["spk"], res["secrit"]
        return res

    def applytoken(self, secret: str | None = None) -> dict:
        secret = secret if secret is not None else _encrypt(self.spk, self.secrit)
        st, _h, body = self.raw(
            "POST",
            "/api/ec/dev/auth/applytoken",
            {"appid": self.appid, "secret": secret, "time": "10800"},
        )
        assert st == 200
        res = json.loads(body)
        if res.get("status"):
            self.token = res["token"]
        return res

    def login(self) -> E9Client:
        assert self.regist()["status"] is True
        assert self.applytoken()["status"] is True
        self.userid_header = _encrypt(self.spk, self.user_id)
        return self

    def headers(self) -> dict:
        return {"appid": self.appid, "token": self.token, "userid": self.userid_header}

    # -- business calls -----------------------------------------------------------------------
    def post(self, name: str, form: dict | None = None) -> tuple[int, bytes]:
        st, _h, body = self.raw("POST", PA + name, self.headers(), form=form or {})
        return st, body

    def get(self, path: str, query: dict) -> tuple[int, bytes]:
        st, _h, body = self.raw("GET", path, self.headers(), query=query)
        return st, body

    def page(self, kind: str, page_no: int, page_size: int, conditions: dict | None = None):
        form = {"pageNo": str(page_no), "pageSize": str(page_size)}
        if conditions is not None:
            form["conditions"] = json.dumps(conditions, ensure_ascii=False)
        st, body = self.post(f"get{kind}WorkflowRequestList", form)
        assert st == 200, body[:200]
        return json.loads(body)

    def count(self, kind: str, conditions: dict | None = None) -> int:
        form = {} if conditions is None else {"conditions": json.dumps(conditions)}
        st, body = self.post(f"get{kind}WorkflowRequestCount", form)
        assert st == 200
        text = body.decode()
        assert text.isdigit(), text  # a bare integer
        return int(text)

    def all_rows(self, kind: str, page_size: int, conditions: dict | None = None) -> list[dict]:
        n = self.count(kind, conditions)
        out: list[dict] = []
        p = 1
        while (p - 1) * page_size < n:
            out.extend(self.page(kind, p, page_size, conditions))
            p += 1
        return out

    def detail(self, request_id: str) -> dict:
        st, body = self.get(PA + "getWorkflowRequest", {"requestId": request_id})
        assert st == 200
        return json.loads(body)

    def logs(self, request_id: str, page_size: int = 10, page: int = 1) -> dict:
        other = json.dumps({"pageSize": page_size, "pageNumber": page})
        st, body = self.get(PA + "getRequestLog", {"requestId": request_id, "otherParams": other})
        assert st == 200
        return json.loads(body)

    def all_logs(self, request_id: str, page_size: int = 10) -> list[dict]:
        out, p = [], 1
        while True:
            res = self.logs(request_id, page_size, p)
            assert res["code"] == "SUCCESS"
            out.extend(res["data"])
            if len(res["data"]) < page_size:
                return out
            p += 1

    def operators(self, request_id: str) -> dict:
        st, body = self.get(PA + "getRequestOperatorInfo", {"requestid": request_id})
        assert st == 200
        return json.loads(body)

    def hrm(self, what: str, params: dict) -> dict:
        st, _h, body = self.raw(
            "POST", f"/api/hrm/resful/{what}", self.headers(), form={"params": json.dumps(params)}
        )
        assert st == 200
        return json.loads(body)


# -- fixtures ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def oa_url(request, world):
    """The OA simulator of the shared ``sources`` fixture (own server if a sibling is broken)."""
    try:
        url = request.getfixturevalue("sources")["oa"]
    except Exception:  # noqa: BLE001 - a sibling simulator under construction must not block
        url = None
    if url is not None:
        yield url
        return
    running = start_sources(world, ports={"oa": 0}, only=["oa"], log=False)
    try:
        yield running["oa"].url
    finally:
        stop_sources(running)


@pytest.fixture(scope="module")
def admin(oa_url) -> E9Client:
    c = E9Client(oa_url).login()
    yield c
    c.close()


@pytest.fixture(scope="module")
def wf(world):
    """The world's OA tables as Python structures."""
    req = pq.read_table(world / "oa" / "workflow_requests.parquet")
    ops = pq.read_table(world / "oa" / "workflow_request_operators.parquet")
    return {"req": req, "ops": ops}


def _own_server(world: Path, **kw):
    return start_sources(world, ports={"oa": 0}, only=["oa"], log=False, **kw)


# -- auth -------------------------------------------------------------------------------------
def test_regist_and_applytoken_shapes(oa_url):
    c = E9Client(oa_url)
    reg = c.regist()
    assert reg["status"] is True and reg["code"] == 0
    assert {"spk", "secrit"} <= set(reg)
    assert "-----" not in reg["spk"]  # bare base64 of the X.509 DER, as E9 sends it
    key = serialization.load_der_public_key(base64.b64decode(reg["spk"]))
    assert key.key_size >= 1024
    assert c.regist()["secrit"] == reg["secrit"]  # stable per appid
    tok = c.applytoken()
    assert set(tok) == {"msg", "code", "msgShowType", "status", "token"}
    assert tok["msg"] == "获取成功!" and tok["code"] == 0 and tok["msgShowType"] == "none"
    assert tok["status"] is True
    uuid.UUID(tok["token"])
    c.close()


def test_auth_errors(oa_url):
    bad = E9Client(oa_url, appid="NOT-AN-APPID")
    res = bad.regist()
    assert res["status"] is False and res["code"] == -1 and res["msg"].startswith("认证信息错误")

    c = E9Client(oa_url)
    c.regist()
    res = c.applytoken(secret="!!not base64!!")
    assert res == {
        "msg": "secret解密失败,请检查加密内容.",
        "code": -1,
        "msgShowType": "none",
        "status": False,
    }
    res = c.applytoken(secret=_encrypt(c.spk, "wrong-secret"))
    assert res["status"] is False and res["code"] == -1
    assert res["msg"].startswith("认证信息错误") or res["msg"].startswith("secret解密失败")

    c.login()
    # no token at all: the session filter's answer
    st, _h, body = c.raw(
        "POST",
        PA + "getAllWorkflowRequestCount",
        {"appid": APPID, "userid": c.userid_header},
        form={},
    )
    assert st == 200 and json.loads(body) == {
        "msg": "登录信息超时",
        "errorCode": "002",
        "status": False,
    }
    # unknown token
    st, _h, body = c.raw(
        "POST",
        PA + "getAllWorkflowRequestCount",
        {**c.headers(), "token": "no-such-token"},
        form={},
    )
    assert st == 200
    assert json.loads(body) == {
        "msg": f"{TOKEN_EXPIRED}no-such-token",
        "code": -1,
        "msgShowType": "none",
        "status": False,
    }
    # userid encrypted with another key → error; garbage → error; unknown user → error
    other = base64.b64encode(_CLIENT_KEY.public_key().encrypt(b"1", padding.PKCS1v15())).decode()
    for header in (other, "garbage", ""):
        st, _h, body = c.raw(
            "POST", PA + "getAllWorkflowRequestCount", {**c.headers(), "userid": header}, form={}
        )
        res = json.loads(body)
        assert st == 200 and res["status"] is False and res["code"] == -1, res
    st, _h, body = c.raw(
        "POST",
        PA + "getAllWorkflowRequestCount",
        {**c.headers(), "userid": _encrypt(c.spk, "999999")},
        form={},
    )
    assert json.loads(body)["msg"] == "该账号存在异常,单点登录失败"
    c.close()


def test_token_expiry_is_http_200_json_then_reapply_works(world):
    running = _own_server(world)
    try:
        running["oa"].app.token_ttl_s = 0.3
        c = E9Client(running["oa"].url).login()
        assert c.count("All") > 0
        old = c.token
        time.sleep(0.5)
        st, body = c.post("getAllWorkflowRequestCount")
        assert st == 200
        assert json.loads(body) == {
            "msg": f"{TOKEN_EXPIRED}{old}",
            "code": -1,
            "msgShowType": "none",
            "status": False,
        }
        assert c.applytoken()["status"] is True and c.token != old
        assert c.count("All") > 0
        c.close()
    finally:
        stop_sources(running)


# -- lists ------------------------------------------------------------------------------------
def _assert_list_row(row: dict, extra: set[str] = frozenset()) -> None:
    assert set(row) == LIST_KEYS | extra
    assert set(row["workflowBaseInfo"]) == BASE_INFO_KEYS
    for k, v in row.items():
        if k != "workflowBaseInfo":
            assert isinstance(v, str), (k, v)
    assert all(isinstance(v, str) for v in row["workflowBaseInfo"].values())


def test_list_rows_match_the_reference_sample(admin, world):
    n = admin.count("All")
    assert n == summary(world)["oa"]["workflow_requests"]
    rows = admin.page("All", 1, 20)
    assert len(rows) == 20
    for r in rows:
        _assert_list_row(r)
        assert len(r["createTime"]) == 19 and r["createTime"][10] == " "
    ids = [int(r["requestId"]) for r in rows]
    assert ids == sorted(ids, reverse=True)  # requestId descending
    # default page size is 10
    st, body = admin.post("getAllWorkflowRequestList", {})
    assert st == 200 and len(json.loads(body)) == 10


def test_user_scoped_lists(oa_url, wf):
    ops = wf["ops"].to_pylist()
    req = wf["req"].to_pylist()
    pending = Counter()
    pending_req: dict[str, set] = {}
    for o in ops:
        if o["isremark"] in ("0", "1"):
            pending_req.setdefault(o["userid"], set()).add(o["requestId"])
    pending.update({u: len(s) for u, s in pending_req.items()})
    user = pending.most_common(1)[0][0]
    c = E9Client(oa_url, user_id=user).login()
    todo = c.all_rows("ToDo", 50)
    assert {r["requestId"] for r in todo} == pending_req[user]
    for r in todo:
        _assert_list_row(r, TODO_EXTRA_KEYS)
        assert r["isremark"] in ("0", "1") and r["userid"] == user
    created = {r["requestId"] for r in req if r["creatorId"] == user}
    mine = c.all_rows("My", 100)
    assert {r["requestId"] for r in mine} == created
    involved = created | {o["requestId"] for o in ops if o["userid"] == user}
    everything = c.all_rows("All", 500)
    assert {r["requestId"] for r in everything} == involved
    handled = c.all_rows("Handled", 500) + c.all_rows("Processed", 500)
    submitted = {o["requestId"] for o in ops if o["userid"] == user and o["isremark"] == "2"}
    assert {r["requestId"] for r in handled} == submitted - pending_req[user]
    # a request the user has nothing to do with is not visible
    stranger = next(r["requestId"] for r in req if r["requestId"] not in involved)
    assert c.detail(stranger)["code"] == "NO_PERMISSION"
    c.close()
    # the administrator has no personal to-do
    adm = E9Client(oa_url).login()
    assert adm.count("ToDo") == 0
    adm.close()


def _world_count(wf, pred) -> int:
    return sum(1 for r in wf["req"].to_pylist() if pred(r))


def test_operate_and_create_date_windows_are_inclusive(admin, wf):
    req = wf["req"]
    days = sorted({t[:10] for t in req["lastOperateTime"].to_pylist()})
    lo, hi = days[len(days) // 2], days[len(days) // 2 + 6]
    cond = {"operatedateselect": "6", "operatedatefrom": lo, "operatedateto": hi}
    want = _world_count(wf, lambda r: lo <= r["lastOperateTime"][:10] <= hi)
    assert want > 0
    rows = admin.all_rows("All", 200, cond)
    assert len(rows) == want == admin.count("All", cond)
    assert all(lo <= r["lastOperateTime"][:10] <= hi for r in rows)
    # a one-day window includes rows at 00:00:00 and 23:59:59 of that day
    one = {"operatedateselect": "6", "operatedatefrom": hi, "operatedateto": hi}
    assert admin.count("All", one) == _world_count(wf, lambda r: r["lastOperateTime"][:10] == hi)
    # create date, combined with workflow and archive status
    cond = {
        "createdateselect": "6",
        "createdatefrom": lo,
        "createdateto": hi,
        "workflowIds": "101,131",
        "archivestatus": "1",
    }
    want = _world_count(
        wf,
        lambda r: (
            lo <= r["createTime"][:10] <= hi and r["workflowId"] in ("101", "131") and r["archived"]
        ),
    )
    assert admin.count("All", cond) == want == len(admin.all_rows("All", 100, cond))
    not_archived = _world_count(wf, lambda r: not r["archived"])
    assert admin.count("All", {"archivestatus": "2"}) == not_archived
    assert admin.count("All", {"nodetype": "3"}) == _world_count(
        wf, lambda r: r["currentNodeType"] == "3"
    )
    name = wf["req"]["requestName"][0].as_py()[:4]
    assert admin.count("All", {"requestname": name}) == _world_count(
        wf, lambda r: name in r["requestName"]
    )
    # malformed conditions are a parameter error, not a crash
    st, body = admin.post("getAllWorkflowRequestList", {"conditions": "{not json"})
    assert st == 200 and json.loads(body)["code"] == "PARAM_ERROR"


def test_paging_edges(admin, wf):
    cond = {"workflowIds": "104"}
    n = admin.count("All", cond)
    assert n == _world_count(wf, lambda r: r["workflowId"] == "104") and n > 3
    # a page exactly filling the count, then nothing
    first = admin.page("All", 1, n, cond)
    assert len(first) == n
    assert admin.page("All", 2, n, cond) == []
    # pages of a size that does not divide n cover every row once
    size = 7 if n % 7 else 9
    rows = [r for p in range(1, n // size + 2) for r in admin.page("All", p, size, cond)]
    assert [r["requestId"] for r in rows] == [r["requestId"] for r in first]
    assert admin.page("All", n // size + 2, size, cond) == []
    assert admin.page("All", 10_000, 100) == []
    # pageSize above the cap is served at the cap (1000); zero or negative → default 10
    assert len(admin.page("All", 1, 5000)) == min(1000, admin.count("All"))
    assert len(admin.page("All", 1, 0)) == 10
    _st, body = admin.post("getAllWorkflowRequestList", {"pageNo": "x", "pageSize": "10"})
    assert json.loads(body)["code"] == "PARAM_ERROR"


# -- per request ------------------------------------------------------------------------------
def test_detail_log_operator_and_status_envelopes(admin, world, wf):
    req = wf["req"]
    contract = next(r for r in req.to_pylist() if r["workflowId"] == "101")
    rid = contract["requestId"]
    res = admin.detail(rid)
    assert res["code"] == "SUCCESS" and res["errMsg"] == {}
    d = res["data"]
    for k in (
        "requestId",
        "requestName",
        "status",
        "currentNodeId",
        "currentNodeName",
        "createTime",
        "creatorId",
        "creatorName",
        "lastOperateTime",
        "requestLevel",
        "workflowBaseInfo",
        "workflowMainTableInfo",
        "workflowDetailTableInfos",
        "workflowRequestLogs",
    ):
        assert k in d, k
    assert d["requestId"] == rid and d["workflowDetailTableInfos"] == []
    main = d["workflowMainTableInfo"]
    assert main["tableDBName"] == "formtable_main_1101"
    (rec,) = main["requestRecords"]
    assert rec["recordOrder"] == 0
    fields = {f["fieldName"]: f for f in rec["workflowRequestTableFields"]}
    for f in fields.values():
        assert {
            "fieldName",
            "fieldShowName",
            "fieldValue",
            "fieldShowValue",
            "fieldDBType",
            "fieldHtmlType",
        } <= set(f)
        assert isinstance(f["fieldValue"], str)
    form = pq.read_table(world / "oa" / "formtable_main_1101.parquet")
    frow = form.filter(pc.equal(form["requestId"], rid)).to_pylist()[0]
    assert fields["htbh"]["fieldValue"] == frow["htbh"]
    assert fields["htbh"]["fieldShowName"] == "合同编号"
    assert float(fields["htje"]["fieldValue"]) == pytest.approx(frow["htje"])
    assert d["workflowRequestLogs"] and {
        "id",
        "nodeId",
        "nodeName",
        "operateDate",
        "operateTime",
        "operateType",
        "operatorId",
        "operatorName",
        "operatorDept",
        "receivedPersons",
        "remark",
    } <= set(d["workflowRequestLogs"][0])

    log = admin.logs(rid)
    assert log["code"] == "SUCCESS" and log["errMsg"] == {}
    first = log["data"][0]
    assert {
        "id",
        "logid",
        "nodeid",
        "nodename",
        "destnodeid",
        "operator",
        "operatorDept",
        "operatedate",
        "operatetime",
        "logtype",
        "remarkHtml",
        "receivedPersons",
        "receivedPersonids",
        "agenttype",
        "agentorbyagentid",
        "isbranche",
    } <= set(first)
    stamps = [(x["operatedate"], x["operatetime"]) for x in log["data"]]
    assert stamps == sorted(stamps, reverse=True)  # newest first
    assert "_when" not in first and not any(k.startswith("_") for k in first)

    ops = admin.operators(rid)
    assert ops["code"] == "SUCCESS" and ops["data"]
    assert {
        "id",
        "groupid",
        "nodeid",
        "nodeName",
        "userid",
        "userName",
        "isremark",
        "receivedate",
        "receivetime",
        "operatedate",
        "operatetime",
    } <= set(ops["data"][0])
    st, body = admin.get(PA + "getRequestStatus", {"requestId": rid})
    assert st == 200
    status = json.loads(body)
    assert status["code"] == "SUCCESS"
    assert status["data"]["mainTableInfoEntity"]["tableDbName"] == "formtable_main_1101"
    assert status["data"]["currentNodeId"] == contract["currentNodeId"]

    for bad in ("999999999999", "abc"):
        assert admin.detail(bad)["code"] == "PARAM_ERROR"
        assert admin.logs(bad)["code"] == "PARAM_ERROR"
    # the bare-array log variant
    _st, body = admin.post(
        "getWorkflowRequestLogs",
        {"requestId": rid, "workflowId": "101", "userId": "1", "pageSize": "100"},
    )
    arr = json.loads(body)
    assert isinstance(arr, list) and len(arr) == len(admin.all_logs(rid))
    assert {"id", "nodeId", "operateType", "operatorId"} <= set(arr[0])


# -- completeness -----------------------------------------------------------------------------
def test_admin_sees_every_request_log_operator_and_form(oa_url, world):
    s = summary(world)["oa"]
    head = E9Client(oa_url).login()
    rows = head.all_rows("All", 1000)
    head.close()
    ids = [r["requestId"] for r in rows]
    assert len(ids) == len(set(ids)) == s["workflow_requests"]

    tables: Counter = Counter()
    totals = Counter()
    lock = threading.Lock()
    workers = 4
    chunks = [ids[i::workers] for i in range(workers)]

    def work(chunk: list[str]) -> None:
        c = E9Client(oa_url).login()
        t, n_logs, n_ops = Counter(), 0, 0
        for rid in chunk:
            n_logs += len(c.all_logs(rid, page_size=10))
            op = c.operators(rid)
            assert op["code"] == "SUCCESS"
            n_ops += len(op["data"])
            d = c.detail(rid)["data"]
            if d["workflowMainTableInfo"]["requestRecords"]:
                t[d["workflowMainTableInfo"]["tableDBName"]] += 1
        c.close()
        with lock:
            tables.update(t)
            totals["logs"] += n_logs
            totals["ops"] += n_ops

    with ThreadPoolExecutor(workers) as ex:
        list(ex.map(work, chunks))
    assert totals["logs"] == s["workflow_request_logs"]
    assert totals["ops"] == s["workflow_request_operators"]
    for _wid, _name, tab in WORKFLOWS.values():
        assert tables[f"formtable_main_{tab}"] == s[f"formtable_main_{tab}"], tab


def test_hrm_lists_are_complete(admin, world):
    s = summary(world)["oa"]
    for what, entity in (
        ("getHrmUserInfoWithPage", "HrmResource"),
        ("getHrmdepartmentWithPage", "HrmDepartment"),
    ):
        seen, page = [], 1
        while True:
            res = admin.hrm(what, {"curpage": page, "pagesize": 10})
            assert res["code"] == "1"
            data = res["data"]
            assert data["totalSize"] == s[entity]
            seen.extend(data["dataList"])
            if len(data["dataList"]) < 10:
                break
            page += 1
        assert len(seen) == len({r["id"] for r in seen}) == s[entity]
        assert all(isinstance(v, str) for r in seen for v in r.values())
        assert not any(k.startswith("_") for r in seen for k in r)
        future = admin.hrm(what, {"curpage": 1, "pagesize": 10, "modified": "2999-01-01"})
        assert future["data"]["totalSize"] == 0 and future["data"]["dataList"] == []


# -- faults -----------------------------------------------------------------------------------
def _fault_server(world, **knobs):
    return _own_server(world, knobs={k: str(v) for k, v in knobs.items()})


def test_fault_error_and_rate_limit(world):
    running = _fault_server(world, error_rate=1)
    try:
        st, h, body = E9Client(running["oa"].url).raw(
            "POST", "/api/ec/dev/auth/regist", {"appid": APPID, "cpk": _CPK}
        )
        assert st in (500, 502, 503) and b"<html>" in body
    finally:
        stop_sources(running)
    running = _fault_server(world, rate_limit_rate=1, retry_after_s=2)
    try:
        st, h, body = E9Client(running["oa"].url).raw(
            "POST", "/api/ec/dev/auth/regist", {"appid": APPID, "cpk": _CPK}
        )
        assert st == 429 and h["retry-after"] == "2"
        assert json.loads(body)["code"] == -1
    finally:
        stop_sources(running)


def test_fault_slow_reset_truncate(world):
    running = _fault_server(world, slow_rate=1, slow_s=0.3)
    try:
        t0 = time.perf_counter()
        assert E9Client(running["oa"].url).regist()["status"] is True
        assert time.perf_counter() - t0 >= 0.3
    finally:
        stop_sources(running)
    running = _fault_server(world, reset_rate=1)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", running["oa"].port, timeout=10)
        conn.request("POST", "/api/ec/dev/auth/regist", headers={"appid": APPID, "cpk": _CPK})
        with pytest.raises((http.client.IncompleteRead, ConnectionError)):
            conn.getresponse().read()
        conn.close()
    finally:
        stop_sources(running)
    running = _fault_server(world, truncate_rate=1)
    try:
        st, _h, body = E9Client(running["oa"].url).raw(
            "POST", "/api/ec/dev/auth/regist", {"appid": APPID, "cpk": _CPK}
        )
        assert st == 200
        with pytest.raises(json.JSONDecodeError):
            json.loads(body)
    finally:
        stop_sources(running)


def test_fault_expire_revokes_tokens(world):
    running = _fault_server(world, expire_rate=1)
    try:
        c = E9Client(running["oa"].url).login()  # the token is issued after the revocation
        st, body = c.post("getAllWorkflowRequestCount")
        assert st == 200 and json.loads(body)["msg"] == f"{TOKEN_EXPIRED}{c.token}"
        c.close()
    finally:
        stop_sources(running)


def _fault_trace(world, seed: int) -> list[int]:
    running = start_sources(
        world,
        ports={"oa": 0},
        only=["oa"],
        log=False,
        fault_seed=seed,
        knobs={"error_rate": "0.3", "rate_limit_rate": "0.2"},
    )
    try:
        c = E9Client(running["oa"].url)
        trace = [
            c.raw("POST", "/api/ec/dev/auth/regist", {"appid": APPID, "cpk": _CPK})[0]
            for _ in range(40)
        ]
        c.close()
        return trace
    finally:
        stop_sources(running)


def test_faults_are_deterministic_per_seed(world):
    a, b, other = _fault_trace(world, 3), _fault_trace(world, 3), _fault_trace(world, 4)
    assert a == b
    assert a != other
    assert set(a) - {200} and 200 in a


# -- time advance -----------------------------------------------------------------------------
def test_advance_is_visible_without_restart(world, tmp_path):
    copy = tmp_path / "w"
    shutil.copytree(world.parent, copy)
    meta = copy / "world" / "world.json"
    meta.write_text(
        meta.read_text().replace(
            str((world.parent / "inbox" / "bank").resolve()), str(copy / "inbox" / "bank")
        )
    )
    running = _own_server(copy / "world")
    try:
        c = E9Client(running["oa"].url).login()
        before = {r["requestId"]: r for r in c.all_rows("All", 1000)}
        open_before = {k: r for k, r in before.items() if r["currentNodeName"] != "归档"}
        as_of = json.loads(meta.read_text())["as_of"]
        advance(copy / "world", days=3, workers=1)
        time.sleep(0.6)
        after = {r["requestId"]: r for r in c.all_rows("All", 1000)}
        new = set(after) - set(before)
        assert new and len(after) == summary(copy / "world")["oa"]["workflow_requests"]
        assert all(after[k]["createTime"][:10] > as_of for k in new)
        changed = [
            k
            for k in open_before
            if after[k]["lastOperateTime"] != open_before[k]["lastOperateTime"]
            or after[k]["status"] != open_before[k]["status"]
        ]
        assert changed
        new_day = (dt.date.fromisoformat(as_of) + dt.timedelta(days=1)).isoformat()
        cond = {"operatedateselect": "6", "operatedatefrom": new_day}
        assert c.count("All", cond) > 0
        # logs of a new request are served too
        rid = sorted(new)[0]
        assert c.all_logs(rid)
        c.close()
    finally:
        stop_sources(running)
