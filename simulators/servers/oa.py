"""Weaver e-cology 9 (泛微 E9) workflow REST simulator.

Protocol (shared reference §3.1; client ``wccdev/oa-workflow-api``; E9 open-platform
transcription of the 45 ``paService`` endpoints):

* ``POST /api/ec/dev/auth/regist`` — headers ``appid``, ``cpk`` (client RSA public key) →
  ``{"msg":"ok","code":0,"msgShowType":"none","status":true,"spk":..., "secrit":...}``.
  ``spk`` is the server RSA-2048 public key as E9 sends it: base64 of the X.509
  ``SubjectPublicKeyInfo`` DER, no PEM armour (clients wrap it in ``-----BEGIN PUBLIC KEY-----``
  themselves). Note the misspelled ``secrit``.
* ``POST /api/ec/dev/auth/applytoken`` — headers ``appid``, ``secret`` =
  base64(RSA-PKCS1v1.5(spk, secrit)), ``time`` → ``{"msg":"获取成功!","code":0,
  "msgShowType":"none","status":true,"token":"<uuid>"}``.
* Business calls — headers ``appid``, ``token``, ``userid`` = base64(RSA(spk, "<OA user id>")).
  Auth errors are HTTP 200 JSON: ``token不存在或者超时：<token>`` (code -1) for unknown, expired
  or revoked tokens; ``登录信息超时`` (errorCode "002") without a token header.
* ``POST /api/workflow/paService/get{All,ToDo,Handled,Processed,My,CC}WorkflowRequestList``
  (form ``pageNo``, ``pageSize``, ``conditions``) → bare JSON array of string-valued rows;
  each ``...Count`` twin → a bare integer.
* ``GET getWorkflowRequest?requestId=``, ``GET getRequestLog?requestId=&otherParams=``,
  ``POST getWorkflowRequestLogs``, ``GET getRequestOperatorInfo?requestid=``,
  ``GET getRequestStatus?requestId=`` → ``{"code":"SUCCESS","data":...,"errMsg":{}}``;
  failures ``PARAM_ERROR`` / ``NO_PERMISSION`` in the same envelope.
* ``POST /api/hrm/resful/getHrmUserInfoWithPage`` and ``.../getHrmdepartmentWithPage``
  (``params`` JSON with ``curpage``, ``pagesize``, optional ``modified``) →
  ``{"code":"1","data":{"dataList":[...],"page","pageSize","totalSize"},"errMsg":{}}``.

Choices where the reference is silent (inferences; listed in docs/decisions.md):

* One server key pair per simulator process and one ``secrit`` per appid, stable across
  ``regist`` calls; a restarted simulator has new keys, so clients must ``regist`` again
  (an old ``spk`` gives ``secret解密失败``). ``cpk`` must be present but is not used.
* Tokens live ``token_ttl_s`` seconds from issue (absolute, not sliding); the ``time`` header
  is accepted in any form (seconds or epoch ms) and ignored. A token is bound to its appid.
* Unknown appid → ``认证信息错误：appid未注册``; secret that decrypts to something else →
  ``认证信息错误：secret不正确``; undecryptable ``userid`` → ``userid解密失败,请检查加密内容.``;
  a user id that is neither the administrator ("1") nor an ``HrmResource`` →
  ``该账号存在异常,单点登录失败`` (all ``code:-1``, HTTP 200).
* Visibility: user "1" (系统管理员, monitor rights) sees every request in ``getAll...`` and
  may open any request; any other user sees requests they created or have an operator row
  on. To-do = an operator row with ``isremark`` 0/1; handled (已办) = a submitted row
  (``isremark`` 2/4), nothing pending, request not archived; processed (办结) = the same with
  the request archived (``currentNodeType`` 3); CC = ``isremark`` 8/9.
* List order: ``requestId`` descending (the order in E9's samples). New requests therefore
  land on page 1 and shift later pages: extractors must dedupe on ``requestId``.
* ``pageSize`` default 10, capped at ``MAX_PAGE_SIZE`` (1000) silently; ``pageNo`` default 1;
  a page past the end is ``[]``. Non-numeric paging or malformed ``conditions`` →
  ``{"code":"PARAM_ERROR","errMsg":{...}}``.
* ``conditions``: ``workflowIds``, ``workflowTypes``, ``requestname`` (substring),
  ``requestlevel``, ``archivestatus`` (1 archived / 2 not), ``nodetype``,
  ``ownerdepartmentid``, ``createrid``, ``createdateselect`` / ``operatedateselect`` /
  ``recievedateselect`` 0–8 (6 = inclusive ``*from``/``*to`` dates, either may be empty;
  relative windows use the world's as-of date as "today"). Operate date = ``lastOperateTime``,
  receive date = ``receiveTime`` of the row. Other keys are ignored.
* ``receiveTime``: for the administrator's all-list the latest arrival on the request (the
  last operator row received); for a user the receive time of that user's latest relevant
  operator row. To-do/handled/processed/CC rows also carry ``isremark, nodeid, operateTime,
  userid, userName, viewtype, agenttype, isbereject, takisremark, currentnodetype``.
* ``getRequestLog``: newest first (as the samples), ``otherParams`` ``pageSize`` default 10
  (capped at 1000), ``pageNumber`` default 1; rows carry every world column plus E9's fixed
  extras (``logid`` "0", ``agenttype`` "0", ``iframeId``...). Operator rows ascending by id,
  numeric fields as integers (as in the E9 sample).
* Detail main table: E9's pseudo-fields ``requestname`` (-1), ``requestlevel`` (-2),
  ``messageType`` (-3) first, then the form's fields; values are strings (floats with two
  decimals, ``None`` → ""); no detail tables (``workflowDetailTableInfos: []``).
* HRM shapes come from E9's HRM sync REST docs, not the reference. ``params`` may be a form
  field, a query parameter or a JSON body; ``modified`` keeps rows modified at or after it.
* A rate-limit fault is HTTP 429 + ``Retry-After`` with an E9-style ``code:-1`` body.

Speed: ``_Index`` is built per world snapshot (in a background thread at start, then again on
the first request after ``world advance`` — detected by the identity of the store's tables):
int columns for the date filters, per-user request sets in list order, and logs / operators /
forms grouped by request. A list call slices numpy index arrays and converts only the page;
filtered selections are cached (LRU, bounded in bytes) so paging a window costs O(page).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import json
import threading
import time
import uuid
from collections import OrderedDict

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from simulators.servers.faults import FaultInjector
from simulators.servers.http import App, Request, Response, json_response
from simulators.servers.store import WorldStore, served_columns
from simulators.world.schemas import FORM_FIELDS, WORKFLOWS
from simulators.world.workflow import LOGTYPES

SYSTEM = "oa"
ADMIN_ID = "1"
ADMIN_NAME = "系统管理员"
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 10
_CACHE_SIZE = 256  # filtered selections kept per index (LRU) ...
_CACHE_BYTES = 64 << 20  # ... within this many bytes
_USERID_CACHE = 4096

_PA = "/api/workflow/paService/"
_LIST_KINDS = {
    "All": "all",
    "ToDo": "todo",
    "Handled": "handled",
    "Processed": "processed",
    "My": "my",
    "CC": "cc",
}
_EXTRA_KINDS = {"todo", "handled", "processed", "cc"}

_REQ_COLS = [
    "requestId",
    "requestName",
    "workflowId",
    "workflowName",
    "workflowTypeId",
    "workflowTypeName",
    "formId",
    "tableDBName",
    "creatorId",
    "creatorName",
    "creatorDeptId",
    "createTime",
    "status",
    "currentNodeId",
    "currentNodeName",
    "currentNodeType",
    "lastOperateTime",
    "lastOperatorId",
    "lastOperatorName",
    "requestLevel",
]
_LOG_EXTRAS = {
    "logid": "0",
    "operatortype": "0",
    "agenttype": "0",
    "nodeattribute": "0",
    "annexdocids": "",
    "signdocids": "",
    "signworkflowids": "",
    "handwrittensignid": "null",
    "remarkLocation": "null",
    "isMobile": "",
    "isRobotNode": "",
    "fulltextannotation": "",
    "speechattachmentid": 0,
    "speechAttachmente9": "",
}
_DB_TYPE = {"str": "varchar(200)", "float": "decimal(15,2)", "int": "int", "date": "char(10)"}
_HTML_TYPE = {"str": ("1", "1"), "float": ("1", "3"), "int": ("1", "2"), "date": ("3", "2")}


def _err(msg: str, **extra) -> Response:
    body = {"msg": msg, "code": -1, "msgShowType": "none", "status": False}
    body.update(extra)
    return json_response(body)


def _param_error(**errmsg) -> Response:
    return json_response({"code": "PARAM_ERROR", "data": {}, "errMsg": errmsg})


def _s(v) -> str:
    return "" if v is None else str(v)


def _ints(col, fill: int = -1) -> np.ndarray:
    """A string column of integers as an int64 numpy array (NULL / junk → ``fill``)."""
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, arr.type), arr)
    try:
        out = pc.cast(arr, pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        vals = [
            int(x) if x is not None and x.lstrip("-").isdigit() else None for x in arr.to_pylist()
        ]
        out = pa.array(vals, pa.int64())
    return out.fill_null(fill).to_numpy(zero_copy_only=False).astype(np.int64)


def _day_ints(col) -> np.ndarray:
    """``YYYY-MM-DD...`` strings → yyyymmdd ints (NULL → 0)."""
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    head = pc.utf8_slice_codeunits(arr.fill_null("0000-00-00"), 0, 10)
    return _ints(pc.replace_substring(head, "-", ""), 0)


def _ymd(d: dt.date) -> int:
    return d.year * 10000 + d.month * 100 + d.day


def _date_int(s) -> int | None:
    s = _s(s).strip()
    if not s:
        return None
    try:
        return _ymd(dt.date.fromisoformat(s[:10]))
    except ValueError as e:
        raise ValueError(f"日期格式错误: {s}") from e


def _window(sel, frm, to, today: dt.date) -> tuple[int | None, int | None] | None:
    """E9 date selector → inclusive (lo, hi) yyyymmdd bounds; None = no filter."""
    sel = _s(sel).strip()
    if sel in ("", "0"):
        return None
    if sel == "6":
        lo, hi = _date_int(frm), _date_int(to)
        return None if lo is None and hi is None else (lo, hi)
    if sel == "1":
        return _ymd(today), _ymd(today)
    if sel == "2":
        start = today - dt.timedelta(days=today.weekday())
        return _ymd(start), _ymd(start + dt.timedelta(days=6))
    if sel == "3":
        return _ymd(today.replace(day=1)), _ymd(
            today.replace(day=31)
            if today.month == 12
            else today.replace(month=today.month + 1, day=1) - dt.timedelta(days=1)
        )
    if sel == "4":
        q0 = (today.month - 1) // 3 * 3 + 1
        start = today.replace(month=q0, day=1)
        end = (
            start.replace(year=start.year + 1, month=1) if q0 == 10 else start.replace(month=q0 + 3)
        ) - dt.timedelta(days=1)
        return _ymd(start), _ymd(end)
    if sel == "5":
        return today.year * 10000 + 101, today.year * 10000 + 1231
    if sel == "7":
        end = today.replace(day=1) - dt.timedelta(days=1)
        return _ymd(end.replace(day=1)), _ymd(end)
    if sel == "8":
        y = today.year - 1
        return y * 10000 + 101, y * 10000 + 1231
    raise ValueError(f"不支持的日期选项: {sel}")


def _id_list(v) -> list[int]:
    parts = [str(x) for x in v] if isinstance(v, list | tuple) else _s(v).split(",")
    out = []
    for p in parts:
        p = p.strip()
        if p:
            out.append(int(p))
    return out


def _to_int(v, default: int) -> int:
    if v is None or (isinstance(v, str) and not v.strip()):
        return default
    return int(str(v).strip())


class _UserSets:
    """Per-user request rows (in list order) and the representative operator row of each."""

    def __init__(self, rows: np.ndarray, ops: np.ndarray, users: np.ndarray):
        """``users`` sorted ascending; ``rows``/``ops`` aligned, in list order per user."""
        self.by_user: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        if len(users) == 0:
            return
        starts = np.flatnonzero(np.r_[True, users[1:] != users[:-1]])
        ends = np.append(starts[1:], len(users))
        for u, a, b in zip(users[starts].tolist(), starts.tolist(), ends.tolist(), strict=True):
            self.by_user[u] = (rows[a:b], ops[a:b])

    def get(self, uid: int) -> tuple[np.ndarray, np.ndarray]:
        return self.by_user.get(uid, (_EMPTY, _EMPTY))


_EMPTY = np.zeros(0, np.int64)


def _member(sorted_keys: np.ndarray, want: np.ndarray) -> np.ndarray:
    """``want`` in ``sorted_keys`` (both int64; the first sorted ascending)."""
    if len(sorted_keys) == 0:
        return np.zeros(len(want), bool)
    pos = np.minimum(np.searchsorted(sorted_keys, want), len(sorted_keys) - 1)
    return sorted_keys[pos] == want


class _Index:
    """Everything the OA endpoints need, built once per world snapshot.

    Requests are addressed by row; ``order`` is the list order (requestId desc) and
    ``rank[row]`` a row's position in it. Per-user sets are keyed ``user * n + rank`` so that
    sorting the keys sorts by user, then list order. Logs and operator rows stay in file order;
    ``log_perm`` / ``op_perm`` list them grouped by request row.
    """

    def __init__(self, store: WorldStore):
        t0 = time.perf_counter()
        self.src = (
            store.table(SYSTEM, "workflow_requests"),
            store.table(SYSTEM, "workflow_request_logs"),
            store.table(SYSTEM, "workflow_request_operators"),
        )
        req, logs, ops = self.src
        self.today = dt.date.fromisoformat(store.meta["as_of"])
        self.req = req.select(_REQ_COLS).combine_chunks()
        n = self.n = req.num_rows

        # -- requests ---------------------------------------------------------------------
        self.rid = _ints(req["requestId"])
        self.rid_order = np.argsort(self.rid, kind="stable")
        self.rid_sorted = self.rid[self.rid_order]
        self.order = np.argsort(-self.rid, kind="stable")  # list order: requestId desc
        self.rank = np.empty(n, np.int64)
        self.rank[self.order] = np.arange(n)
        self.create_day = _day_ints(req["createTime"])
        self.oper_day = _day_ints(req["lastOperateTime"])
        self.wf_id = _ints(req["workflowId"])
        self.wf_type = _ints(req["workflowTypeId"])
        self.creator = _ints(req["creatorId"])
        self.creator_dept = _ints(req["creatorDeptId"])
        self.level = _ints(req["requestLevel"], 0)
        self.node_type = _ints(req["currentNodeType"])
        arch = req["archived"].combine_chunks().fill_null(False)
        self.archived = arch.to_numpy(zero_copy_only=False).astype(bool)
        self.complete = self.node_type == 3

        # -- operators ----------------------------------------------------------------------
        self.ops = ops.select(served_columns(ops)).combine_chunks()
        op_row = self.rows_of(_ints(ops["requestId"]))
        op_id = _ints(ops["id"])
        op_user = _ints(ops["userid"])
        op_isr = _ints(ops["isremark"])
        op_gid = _ints(ops["groupid"], 0)
        recv_t = ops["_created"].to_numpy().astype(np.int64)  # put when the node arrived
        self.op_recv_day = _day_ints(ops["receivedate"])
        self.op_perm = np.lexsort((op_id, op_row))
        self.op_perm = self.op_perm[op_row[self.op_perm] >= 0]
        grouped = op_row[self.op_perm]
        self.op_start = np.searchsorted(grouped, np.arange(n), "left")
        self.op_end = np.searchsorted(grouped, np.arange(n), "right")
        valid = (op_row >= 0) & (op_user >= 0)
        op_rank = np.where(op_row >= 0, self.rank[np.maximum(op_row, 0)], 0)
        # latest arrival per request (admin receiveTime): max (receive, groupid, id)
        self.req_last_op = np.full(n, -1, np.int64)
        by = np.lexsort((op_id, op_gid, recv_t, op_row))
        by = by[op_row[by] >= 0]
        if len(by):
            last = np.r_[op_row[by][1:] != op_row[by][:-1], True]
            self.req_last_op[op_row[by][last]] = by[last]
        # one sort by (user, list order, arrival, group, id); subsets keep that order
        srt = np.lexsort((op_id, op_gid, recv_t, op_rank, op_user))
        srt = srt[valid[srt]]
        keys_all = op_user[srt] * n + op_rank[srt]
        isr = op_isr[srt]

        def pairs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            """(sorted user*n+rank keys, latest operator row of each) over ``mask``."""
            k, o = keys_all[mask], srt[mask]
            if len(k) == 0:
                return _EMPTY, _EMPTY
            last = np.r_[k[1:] != k[:-1], True]
            return k[last], o[last]

        any_k, any_o = pairs(np.ones(len(srt), bool))
        pend_k, pend_o = pairs((isr == 0) | (isr == 1))
        done_k, done_o = pairs((isr == 2) | (isr == 4))
        cc_k, cc_o = pairs((isr == 8) | (isr == 9))
        keep = ~_member(pend_k, done_k)
        done_k, done_o = done_k[keep], done_o[keep]
        done_complete = self.complete[self.order[done_k % n]] if n else np.zeros(0, bool)
        # creator pairs, joined to the creator's latest operator row
        mine = np.flatnonzero(self.creator >= 0)
        my_k = np.sort(self.creator[mine] * n + self.rank[mine])
        my_o = self._lookup(any_k, any_o, my_k)
        all_k = np.concatenate([any_k, my_k])
        all_k.sort(kind="stable")  # two sorted runs: a merge
        all_k = all_k[np.r_[True, all_k[1:] != all_k[:-1]]] if len(all_k) else all_k
        all_o = self._lookup(any_k, any_o, all_k)
        self.visible_keys = all_k  # sorted: membership for detail calls
        self.sets = {
            "all": self._group(all_k, all_o),
            "my": self._group(my_k, my_o),
            "todo": self._group(pend_k, pend_o),
            "handled": self._group(done_k[~done_complete], done_o[~done_complete]),
            "processed": self._group(done_k[done_complete], done_o[done_complete]),
            "cc": self._group(cc_k, cc_o),
        }

        # -- logs: grouped by request row, newest first -------------------------------------
        self.logs = logs.select(served_columns(logs)).combine_chunks()
        lg_row = self.rows_of(_ints(logs["requestId"]))
        lg_id = _ints(logs["id"])
        lg_t = logs["_created"].to_numpy().astype(np.int64)
        # newest first within a request: (time desc, id desc). The world writes logs in
        # (time, id) order, so the reversed file order sorted stably by request is enough.
        rev = np.arange(len(lg_row) - 1, -1, -1)
        in_order = bool(
            np.all((lg_t[1:] > lg_t[:-1]) | ((lg_t[1:] == lg_t[:-1]) & (lg_id[1:] > lg_id[:-1])))
        )
        if in_order:
            perm = rev[np.argsort(lg_row[rev], kind="stable")]
        else:
            perm = np.lexsort((-lg_id, -lg_t, lg_row))
        self.log_perm = perm[lg_row[perm] >= 0]
        grouped = lg_row[self.log_perm]
        self.log_start = np.searchsorted(grouped, np.arange(n), "left")
        self.log_end = np.searchsorted(grouped, np.arange(n), "right")
        self.log_id = lg_id[self.log_perm]

        # -- HRM and forms ------------------------------------------------------------------
        self.users = store.table(SYSTEM, "HrmResource")
        self.depts = store.table(SYSTEM, "HrmDepartment")
        self.dept_name = dict(
            zip(self.depts["id"].to_pylist(), self.depts["departmentname"].to_pylist(), strict=True)
        )
        self.dept_sub = dict(
            zip(self.depts["id"].to_pylist(), self.depts["subcompanyid1"].to_pylist(), strict=True)
        )
        self.user_ids = set(_ints(self.users["id"]).tolist())
        self.forms: dict[str, tuple[pa.Table, np.ndarray, np.ndarray, list]] = {}
        for wf, (_wid, _name, tab) in WORKFLOWS.items():
            name = f"formtable_main_{tab}"
            ft = store.table(SYSTEM, name)
            ids = _ints(ft["requestId"])
            o = np.argsort(ids, kind="stable")
            fields = [
                (f, kind, label, tab * 100 + i)
                for i, (f, kind, label) in enumerate(FORM_FIELDS[wf])
            ]
            self.forms[name] = (ft.select([f for f, *_ in fields]), ids[o], o, fields)

        self.cache: OrderedDict = OrderedDict()
        self.cache_lock = threading.Lock()
        self.cache_bytes = 0
        self.build_s = time.perf_counter() - t0

    # -- helpers ------------------------------------------------------------------------------
    @staticmethod
    def _lookup(keys: np.ndarray, vals: np.ndarray, want: np.ndarray) -> np.ndarray:
        if len(keys) == 0:
            return np.full(len(want), -1, np.int64)
        pos = np.minimum(np.searchsorted(keys, want), len(keys) - 1)
        return np.where(keys[pos] == want, vals[pos], -1)

    def _group(self, keys: np.ndarray, ops: np.ndarray) -> _UserSets:
        if len(keys) == 0 or self.n == 0:
            return _UserSets(_EMPTY, _EMPTY, _EMPTY)
        return _UserSets(self.order[keys % self.n], ops, keys // self.n)

    def rows_of(self, rids: np.ndarray) -> np.ndarray:
        """Request rows of numeric request ids (-1 where unknown)."""
        if len(self.rid_sorted) == 0:
            return np.full(len(rids), -1, np.int64)
        pos = np.minimum(np.searchsorted(self.rid_sorted, rids), len(self.rid_sorted) - 1)
        return np.where(self.rid_sorted[pos] == rids, self.rid_order[pos], -1)

    def row_of(self, request_id: str) -> int | None:
        try:
            rid = int(request_id)
        except (TypeError, ValueError):
            return None
        pos = int(np.searchsorted(self.rid_sorted, rid))
        if pos < len(self.rid_sorted) and self.rid_sorted[pos] == rid:
            return int(self.rid_order[pos])
        return None

    def can_see(self, uid: int, row: int) -> bool:
        if uid == int(ADMIN_ID):
            return True
        key = uid * self.n + int(self.rank[row])
        pos = int(np.searchsorted(self.visible_keys, key))
        return pos < len(self.visible_keys) and int(self.visible_keys[pos]) == key

    # -- lists --------------------------------------------------------------------------------
    def select(self, kind: str, uid: int, cond: dict) -> tuple[np.ndarray, np.ndarray]:
        key = (kind, uid, json.dumps(cond, sort_keys=True, ensure_ascii=False, default=str))
        with self.cache_lock:
            hit = self.cache.get(key)
            if hit is not None:
                self.cache.move_to_end(key)
                return hit
        if kind == "all" and uid == int(ADMIN_ID):
            rows, ops = self.order, self.req_last_op[self.order]
        else:
            rows, ops = self.sets[kind].get(uid)
        mask = self._mask(rows, ops, cond)
        if mask is None:
            return rows, ops  # views of the index: nothing to cache
        rows, ops = rows[mask], ops[mask]
        with self.cache_lock:
            self.cache[key] = (rows, ops)
            self.cache_bytes += rows.nbytes + ops.nbytes
            while self.cache and (len(self.cache) > _CACHE_SIZE or self.cache_bytes > _CACHE_BYTES):
                _k, (r, o) = self.cache.popitem(last=False)
                self.cache_bytes -= r.nbytes + o.nbytes
        return rows, ops

    def _mask(self, rows: np.ndarray, ops: np.ndarray, c: dict) -> np.ndarray | None:
        m = None

        def add(x: np.ndarray) -> None:
            nonlocal m
            m = x if m is None else (m & x)

        for k, arr in (("workflowIds", self.wf_id), ("workflowTypes", self.wf_type)):
            wanted = _id_list(c.get(k))
            if wanted:
                add(np.isin(arr[rows], wanted))
        name = _s(c.get("requestname"))
        if name:
            hit = pc.match_substring(self.req["requestName"].fill_null(""), name)
            add(hit.to_numpy(zero_copy_only=False)[rows])
        for k, arr in (
            ("requestlevel", self.level),
            ("nodetype", self.node_type),
            ("ownerdepartmentid", self.creator_dept),
            ("createrid", self.creator),
        ):
            v = _s(c.get(k)).strip()
            if v:
                add(arr[rows] == int(v))
        arch = _s(c.get("archivestatus")).strip()
        if arch in ("1", "2"):
            add(self.archived[rows] == (arch == "1"))
        for sel, frm, to, days in (
            ("createdateselect", "createdatefrom", "createdateto", lambda: self.create_day[rows]),
            ("operatedateselect", "operatedatefrom", "operatedateto", lambda: self.oper_day[rows]),
            (
                "recievedateselect",
                "recievedatefrom",
                "recievedateto",
                lambda: self._recv_days(rows, ops),
            ),
        ):

            def get(k: str):
                return c.get(k, c.get(k.replace("recieve", "receive")))

            w = _window(get(sel), get(frm), get(to), self.today)
            if w is not None:
                d = days()
                lo, hi = w
                x = np.ones(len(rows), bool)
                if lo is not None:
                    x &= d >= lo
                if hi is not None:
                    x &= d <= hi
                add(x)
        return m

    def _recv_days(self, rows: np.ndarray, ops: np.ndarray) -> np.ndarray:
        safe = np.maximum(ops, 0)
        d = self.op_recv_day[safe] if len(self.op_recv_day) else np.zeros(len(ops), np.int64)
        return np.where(ops >= 0, d, self.create_day[rows])

    def render(self, kind: str, rows: np.ndarray, ops: np.ndarray) -> list[dict]:
        if len(rows) == 0:
            return []
        reqs = self.req.take(pa.array(rows)).to_pylist()
        has_op = ops >= 0
        op_rows = (
            self.ops.take(pa.array(np.where(has_op, ops, 0))).to_pylist()
            if len(self.ops)
            else [None] * len(rows)
        )
        extras = kind in _EXTRA_KINDS
        out = []
        for r, o, ok in zip(reqs, op_rows, has_op.tolist(), strict=True):
            d = {
                "createTime": _s(r["createTime"]),
                "creatorId": _s(r["creatorId"]),
                "creatorName": _s(r["creatorName"]),
                "currentNodeId": _s(r["currentNodeId"]),
                "currentNodeName": _s(r["currentNodeName"]),
                "lastOperateTime": _s(r["lastOperateTime"]),
                "lastOperatorId": _s(r["lastOperatorId"]),
                "lastOperatorName": _s(r["lastOperatorName"]),
                "receiveTime": f"{_s(o['receivedate'])} {_s(o['receivetime'])}"
                if ok
                else _s(r["createTime"]),
                "requestId": _s(r["requestId"]),
                "requestLevel": _s(r["requestLevel"]),
                "requestName": _s(r["requestName"]),
                "status": _s(r["status"]),
                "sysName": "",
                "workflowBaseInfo": {
                    "formId": _s(r["formId"]),
                    "workflowId": _s(r["workflowId"]),
                    "workflowName": _s(r["workflowName"]),
                    "workflowTypeId": _s(r["workflowTypeId"]),
                    "workflowTypeName": _s(r["workflowTypeName"]),
                },
            }
            if extras:
                o = o if ok else {}
                isr = _s(o.get("isremark"))
                d.update(
                    {
                        "isremark": isr,
                        "nodeid": _s(o.get("nodeid")),
                        "operateTime": f"{o['operatedate']} {o['operatetime']}"
                        if o.get("operatedate")
                        else "",
                        "userid": _s(o.get("userid")),
                        "userName": _s(o.get("userName")),
                        "viewtype": "-2" if isr in ("2", "4") else "0",
                        "agenttype": "0",
                        "isbereject": "",
                        "takisremark": "",
                        "currentnodetype": _s(r["currentNodeType"]),
                    }
                )
            out.append(d)
        return out

    # -- per request ----------------------------------------------------------------------------
    def log_rows(self, row: int, start: int = 0, stop: int | None = None) -> list[dict]:
        a, b = int(self.log_start[row]), int(self.log_end[row])
        lo = min(a + start, b)
        hi = b if stop is None else min(a + stop, b)
        if hi <= lo:
            return []
        return self.logs.take(pa.array(self.log_perm[lo:hi])).to_pylist()

    def op_rows(self, row: int) -> list[dict]:
        a, b = int(self.op_start[row]), int(self.op_end[row])
        return self.ops.take(pa.array(self.op_perm[a:b])).to_pylist() if b > a else []

    def form_record(self, table: str, request_id: str) -> tuple[dict | None, list]:
        ft, ids, o, fields = self.forms.get(table, (None, _EMPTY, _EMPTY, []))
        if ft is None:
            return None, []
        rid = int(request_id)
        pos = int(np.searchsorted(ids, rid))
        if pos < len(ids) and ids[pos] == rid:
            return ft.slice(int(o[pos]), 1).to_pylist()[0], fields
        return None, fields


def _log_entry(idx, lg: dict) -> dict:
    """One approval-log row in the shape E9's detail and bare-array log endpoints serve."""
    return {
        "annexDocHtmls": "",
        "id": _s(lg["id"]),
        "nodeId": _s(lg["nodeid"]),
        "nodeName": _s(lg["nodename"]),
        "operateDate": _s(lg["operatedate"]),
        "operateTime": _s(lg["operatetime"]),
        "operateType": LOGTYPES.get(_s(lg["logtype"]), _s(lg["logtype"])),
        "operatorDept": _s(idx.dept_name.get(lg["operatorDept"], lg["operatorDept"])),
        "operatorId": _s(lg["operator"]),
        "operatorName": _s(lg["operatorName"]),
        "receivedPersons": _s(lg["receivedPersons"]),
        "remark": _s(lg["remarkHtml"]),
        "signDocHtmls": "",
        "signWorkFlowHtmls": "",
    }


class OaApp(App):
    """Weaver e-cology 9 REST: dev auth, paService workflow data, HRM sync."""

    name = "oa"
    token_ttl_s: float = 1800.0

    def __init__(self, store: WorldStore, creds, faults: FaultInjector | None = None):
        super().__init__(faults)
        self.store = store
        self.appid = creds["ZHONGTAI_OA_APPID"]
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        der = self._key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.spk = base64.b64encode(der).decode("ascii")
        self._secrets: dict[str, str] = {self.appid: str(uuid.uuid4())}
        self._tokens: dict[str, tuple[str, float]] = {}
        self._tok_lock = threading.Lock()
        self._uid_cache: dict[str, str | None] = {}
        self._idx: _Index | None = None
        self._idx_lock = threading.Lock()
        # build the index in the background so the first client call does not wait for it
        threading.Thread(target=self._warm_up, name="oa-index", daemon=True).start()

        self.route("POST", r"/api/ec/dev/auth/regist", self.regist)
        self.route("POST", r"/api/ec/dev/auth/applytoken", self.applytoken)
        for word, kind in _LIST_KINDS.items():
            self.route(
                "POST",
                _PA + f"get{word}WorkflowRequestList",
                self._auth(lambda req, uid, k=kind: self.list_(req, uid, k)),
            )
            self.route(
                "POST",
                _PA + f"get{word}WorkflowRequestCount",
                self._auth(lambda req, uid, k=kind: self.count_(req, uid, k)),
            )
        self.route("GET", _PA + "getWorkflowRequest", self._auth(self.detail))
        self.route("GET", _PA + "getRequestLog", self._auth(self.request_log))
        self.route("POST", _PA + "getWorkflowRequestLogs", self._auth(self.request_logs_v2))
        self.route("GET", _PA + "getRequestOperatorInfo", self._auth(self.operator_info))
        self.route("GET", _PA + "getRequestStatus", self._auth(self.request_status))
        self.route(
            "POST",
            r"/api/hrm/resful/getHrmUserInfoWithPage",
            self._auth(lambda req, uid: self.hrm(req, "HrmResource")),
        )
        self.route(
            "POST",
            r"/api/hrm/resful/getHrmdepartmentWithPage",
            self._auth(lambda req, uid: self.hrm(req, "HrmDepartment")),
        )

    # -- core hooks ---------------------------------------------------------------------------
    def on_expire(self) -> None:
        with self._tok_lock:
            self._tokens.clear()

    def rate_limited(self, retry_after: float) -> Response:
        return json_response(
            {
                "msg": "接口访问过于频繁,请稍后再试",
                "code": -1,
                "msgShowType": "none",
                "status": False,
            },
            429,
            {"Retry-After": f"{max(1, round(retry_after))}"},
        )

    def not_found(self, req: Request) -> Response:
        for method, pat, _h in self.routes:
            if pat.match(req.path):
                return json_response(
                    {"error": f"method {req.method} not allowed; use {method}"},
                    405,
                    {"Allow": method},
                )
        return super().not_found(req)

    # -- index --------------------------------------------------------------------------------
    def _warm_up(self) -> None:
        # a failure here is raised again (and reported) by the first request
        with contextlib.suppress(Exception):
            self.index()

    def index(self) -> _Index:
        req = self.store.table(SYSTEM, "workflow_requests")
        logs = self.store.table(SYSTEM, "workflow_request_logs")
        ops = self.store.table(SYSTEM, "workflow_request_operators")
        idx = self._idx
        if idx is not None and idx.src[0] is req and idx.src[1] is logs and idx.src[2] is ops:
            return idx
        with self._idx_lock:
            idx = self._idx
            req = self.store.table(SYSTEM, "workflow_requests")
            if (
                idx is None
                or idx.src[0] is not req
                or idx.src[1] is not logs
                or idx.src[2] is not ops
            ):
                idx = self._idx = _Index(self.store)
            return idx

    # -- auth ---------------------------------------------------------------------------------
    def regist(self, req: Request, _m) -> Response:
        appid = req.header("appid") or ""
        if appid not in self._secrets:
            return _err("认证信息错误：appid未注册")
        if not (req.header("cpk") or "").strip():
            return _err("认证信息错误：cpk不能为空")
        return json_response(
            {
                "msg": "ok",
                "code": 0,
                "msgShowType": "none",
                "status": True,
                "spk": self.spk,
                "secrit": self._secrets[appid],
            }
        )

    def _decrypt(self, b64: str) -> str | None:
        try:
            raw = base64.b64decode(b64.strip(), validate=True)
            plain = self._key.decrypt(raw, padding.PKCS1v15())
            return plain.decode("utf-8")
        except (ValueError, binascii.Error, UnicodeDecodeError):
            return None

    def applytoken(self, req: Request, _m) -> Response:
        appid = req.header("appid") or ""
        if appid not in self._secrets:
            return _err("认证信息错误：appid未注册")
        plain = self._decrypt(req.header("secret") or "")
        if plain is None:
            return _err("secret解密失败,请检查加密内容.")
        if plain != self._secrets[appid]:
            return _err("认证信息错误：secret不正确")
        token = str(uuid.uuid4())
        now = time.monotonic()
        with self._tok_lock:
            for t, (_a, exp) in list(self._tokens.items()):
                if exp <= now:
                    del self._tokens[t]
            self._tokens[token] = (appid, now + self.token_ttl_s)
        return json_response(
            {"msg": "获取成功!", "code": 0, "msgShowType": "none", "status": True, "token": token}
        )

    def _user(self, header: str) -> str | None:
        if header in self._uid_cache:
            return self._uid_cache[header]
        plain = self._decrypt(header)
        uid = plain.strip() if plain is not None and plain.strip().isdigit() else None
        if len(self._uid_cache) >= _USERID_CACHE:
            self._uid_cache.clear()
        self._uid_cache[header] = uid
        return uid

    def _auth(self, handler):
        def wrapped(req: Request, _m) -> Response:
            token = req.header("token")
            if not token:
                return json_response({"msg": "登录信息超时", "errorCode": "002", "status": False})
            with self._tok_lock:
                entry = self._tokens.get(token)
                if entry is not None and entry[1] <= time.monotonic():
                    del self._tokens[token]
                    entry = None
            if entry is None or entry[0] != (req.header("appid") or ""):
                return _err(f"token不存在或者超时：{token}")
            uid = self._user(req.header("userid") or "")
            if uid is None:
                return _err("userid解密失败,请检查加密内容.")
            if uid != ADMIN_ID and int(uid) not in self.index().user_ids:
                return _err("该账号存在异常,单点登录失败")
            return handler(req, int(uid))

        return wrapped

    # -- parameters ---------------------------------------------------------------------------
    @staticmethod
    def _params(req: Request) -> dict:
        """Form body + query string; a JSON object body is merged in as well."""
        out: dict = dict(req.form())
        ctype = req.header("content-type", "") or ""
        if req.body and "json" in ctype:
            try:
                body = req.json()
            except (ValueError, UnicodeDecodeError):
                body = None
            if isinstance(body, dict):
                out.update(body)
        return out

    @staticmethod
    def _conditions(p: dict) -> dict:
        c = p.get("conditions")
        if c is None or c == "":
            return {}
        if isinstance(c, dict):
            return c
        c = json.loads(c)
        if not isinstance(c, dict):
            raise ValueError("conditions must be a JSON object")
        return c

    def _selection(self, req: Request, uid: int, kind: str):
        p = self._params(req)
        try:
            cond = self._conditions(p)
        except (ValueError, TypeError) as e:
            return p, None, _param_error(conditions=f"conditions格式错误: {e}")
        idx = self.index()  # one snapshot for the whole call
        try:
            rows, ops = idx.select(kind, uid, cond)
        except (ValueError, TypeError) as e:
            return p, None, _param_error(conditions=str(e))
        return p, (idx, rows, ops), None

    # -- paService lists ------------------------------------------------------------------------
    def list_(self, req: Request, uid: int, kind: str) -> Response:
        p, sel, err = self._selection(req, uid, kind)
        if err is not None:
            return err
        try:
            page_no = max(1, _to_int(p.get("pageNo"), 1))
            size = _to_int(p.get("pageSize"), DEFAULT_PAGE_SIZE)
        except ValueError:
            return _param_error(pageNo=_s(p.get("pageNo")), pageSize=_s(p.get("pageSize")))
        size = DEFAULT_PAGE_SIZE if size <= 0 else min(size, MAX_PAGE_SIZE)
        idx, rows, ops = sel
        a = (page_no - 1) * size
        return json_response(idx.render(kind, rows[a : a + size], ops[a : a + size]))

    def count_(self, req: Request, uid: int, kind: str) -> Response:
        _p, sel, err = self._selection(req, uid, kind)
        if err is not None:
            return err
        return Response(
            200, str(len(sel[1])).encode(), {"Content-Type": "application/json;charset=UTF-8"}
        )

    # -- paService per request ----------------------------------------------------------------
    def _request_row(self, req: Request, uid: int, *names: str):
        p = self._params(req)
        rid = next((_s(p[n]).strip() for n in names if _s(p.get(n)).strip()), "")
        if not rid:
            return None, None, _param_error(requestId="requestId不能为空")
        idx = self.index()
        row = idx.row_of(rid)
        if row is None:
            return idx, None, _param_error(requestId=f"流程请求不存在或已被删除: {rid}")
        if not idx.can_see(uid, row):
            return (
                idx,
                None,
                json_response(
                    {
                        "code": "NO_PERMISSION",
                        "data": {},
                        "errMsg": {"requestId": rid},
                        "reqFailMsg": {
                            "msgType": "NO_REQUEST_VIEW_PERMISSION",
                            "msgInfo": "没有查看该流程的权限",
                        },
                    }
                ),
            )
        return idx, row, None

    def detail(self, req: Request, uid: int) -> Response:
        idx, row, err = self._request_row(req, uid, "requestId", "requestid")
        if err is not None:
            return err
        r = idx.req.slice(row, 1).to_pylist()[0]
        record, fields = idx.form_record(_s(r["tableDBName"]), _s(r["requestId"]))
        level = _s(r["requestLevel"]) or "0"
        tf = [
            self._field("requestname", "标题", r["requestName"], "", "1", "", -1),
            self._field(
                "requestlevel",
                "紧急程度",
                level,
                "",
                "5",
                "",
                -2,
                {"0": "正常", "1": "重要", "2": "紧急"}.get(level, level),
            ),
            self._field("messageType", "短信提醒", "0", "", "5", "", -3, "不短信提醒"),
        ]
        for i, (f, kind, label, fid) in enumerate(fields):
            v = None if record is None else record.get(f)
            if kind == "float" and v is not None:
                v = f"{float(v):.2f}"
            html, ftype = _HTML_TYPE[kind]
            tf.append(self._field(f, label, v, _DB_TYPE[kind], html, ftype, fid, order=i))
        logs = []
        for lg in idx.log_rows(row):
            logs.append(_log_entry(idx, lg))
        data = {
            "canEdit": False,
            "canView": True,
            "createTime": _s(r["createTime"]),
            "creatorId": _s(r["creatorId"]),
            "creatorName": _s(r["creatorName"]),
            "currentNodeId": _s(r["currentNodeId"]),
            "currentNodeName": _s(r["currentNodeName"]),
            "lastOperateTime": _s(r["lastOperateTime"]),
            "lastOperatorName": _s(r["lastOperatorName"]),
            "messageType": "0",
            "remark": "",
            "requestId": _s(r["requestId"]),
            "requestLevel": level,
            "requestName": _s(r["requestName"]),
            "status": _s(r["status"]),
            "workflowBaseInfo": self._base_info(r),
            "workflowDetailTableInfos": [],
            "workflowMainTableInfo": {
                "requestRecords": []
                if record is None
                else [{"recordOrder": 0, "workflowRequestTableFields": tf}],
                "tableDBName": _s(r["tableDBName"]),
            },
            "workflowRequestLogs": logs,
        }
        return json_response({"code": "SUCCESS", "data": data, "errMsg": {}})

    @staticmethod
    def _field(name, label, value, dbtype, html, ftype, fid, show=None, order=None) -> dict:
        v = _s(value)
        return {
            "fieldDBType": dbtype,
            "fieldFormName": name if fid < 0 else f"field{fid}",
            "fieldHtmlType": html,
            "fieldId": str(fid),
            "fieldName": name,
            "fieldOrder": fid if order is None else order,
            "fieldShowName": label,
            "fieldShowValue": v if show is None else show,
            "fieldType": ftype,
            "fieldValue": v,
            "edit": False,
            "mand": fid == -1,
            "view": fid != -3,
        }

    @staticmethod
    def _base_info(r: dict) -> dict:
        return {
            "formId": _s(r["formId"]),
            "workflowId": _s(r["workflowId"]),
            "workflowName": _s(r["workflowName"]),
            "workflowTypeId": _s(r["workflowTypeId"]),
            "workflowTypeName": _s(r["workflowTypeName"]),
        }

    def request_log(self, req: Request, uid: int) -> Response:
        idx, row, err = self._request_row(req, uid, "requestId", "requestid")
        if err is not None:
            return err
        other = self._params(req).get("otherParams") or "{}"
        try:
            other = other if isinstance(other, dict) else json.loads(other)
            size = _to_int(other.get("pageSize"), DEFAULT_PAGE_SIZE)
            page = max(1, _to_int(other.get("pageNumber"), 1))
        except (ValueError, TypeError, AttributeError):
            return _param_error(otherParams=_s(self._params(req).get("otherParams")))
        size = DEFAULT_PAGE_SIZE if size <= 0 else min(size, MAX_PAGE_SIZE)
        out = []
        for lg in idx.log_rows(row, (page - 1) * size, page * size):
            d = {k: _s(v) for k, v in lg.items()}
            d.update(_LOG_EXTRAS)
            d["tmpLogId"] = d["id"]
            d["iframeId"] = f"FCKsigniframe{d['id']}"
            out.append(d)
        return json_response({"code": "SUCCESS", "data": out, "errMsg": {}})

    def request_logs_v2(self, req: Request, uid: int) -> Response:
        """``getWorkflowRequestLogs``: bare array, newest first, ``endId`` cursor."""
        idx, row, err = self._request_row(req, uid, "requestId", "requestid")
        if err is not None:
            return err
        p = self._params(req)
        try:
            size = _to_int(p.get("pageSize"), DEFAULT_PAGE_SIZE)
            end_id = _to_int(p.get("endId"), 0)
        except ValueError:
            return _param_error(pageSize=_s(p.get("pageSize")), endId=_s(p.get("endId")))
        size = DEFAULT_PAGE_SIZE if size <= 0 else min(size, MAX_PAGE_SIZE)
        a, b = int(idx.log_start[row]), int(idx.log_end[row])
        ids = idx.log_id[a:b]
        pos = np.nonzero(ids < end_id)[0] if end_id > 0 else np.arange(b - a)
        out = []
        picked = idx.logs.take(pa.array(idx.log_perm[a + pos[:size]], pa.int64())).to_pylist()
        for lg in picked:
            out.append(_log_entry(idx, lg))
        return json_response(out)

    def operator_info(self, req: Request, uid: int) -> Response:
        idx, row, err = self._request_row(req, uid, "requestid", "requestId")
        if err is not None:
            return err

        def num(v):
            v = _s(v)
            return int(v) if v.lstrip("-").isdigit() else v

        out = []
        for o in idx.op_rows(row):
            isr = num(o["isremark"])
            out.append(
                {
                    "agentorbyagentid": -1,
                    "agenttype": 0,
                    "groupid": num(o["groupid"]),
                    "id": num(o["id"]),
                    "isremark": isr,
                    "nodeName": _s(o["nodeName"]),
                    "nodeid": num(o["nodeid"]),
                    "operatedate": _s(o["operatedate"]),
                    "operatetime": _s(o["operatetime"]),
                    "preisremark": 0 if isr in (0, 2) else isr,
                    "receivedate": _s(o["receivedate"]),
                    "receivetime": _s(o["receivetime"]),
                    "requestId": _s(o["requestId"]),
                    "userName": _s(o["userName"]),
                    "userType": 0,
                    "userid": num(o["userid"]),
                    "viewType": -2 if isr in (2, 4) else 0,
                }
            )
        return json_response({"code": "SUCCESS", "data": out, "errMsg": {}})

    def request_status(self, req: Request, uid: int) -> Response:
        idx, row, err = self._request_row(req, uid, "requestId", "requestid")
        if err is not None:
            return err
        r = idx.req.slice(row, 1).to_pylist()[0]
        mine = [o for o in idx.op_rows(row) if _s(o["userid"]) == str(uid)]
        isremark = int(mine[-1]["isremark"]) if mine and _s(mine[-1]["isremark"]).isdigit() else -1
        form_id = _s(r["formId"])
        data = {
            "create": False,
            "creatertype": 0,
            "creatorId": _s(r["creatorId"]),
            "currentNodeId": _s(r["currentNodeId"]),
            "currentNodeType": _s(r["currentNodeType"]),
            "currentOperateId": int(mine[-1]["id"]) if mine else -1,
            "isremark": isremark,
            "mainTableInfoEntity": {
                "billid": int(form_id) if form_id.lstrip("-").isdigit() else form_id,
                "tableDbName": _s(r["tableDBName"]),
            },
            "requestId": _s(r["requestId"]),
            "requestLevel": _s(r["requestLevel"]),
            "requestName": _s(r["requestName"]),
            "status": _s(r["status"]),
            "takisremark": -1,
            "workflowBaseInfo": {
                "formId": form_id,
                "isBill": "1",
                "workflowName": _s(r["workflowName"]),
                "workflowTypeId": _s(r["workflowTypeId"]),
            },
            "workflowId": int(_s(r["workflowId"]) or 0),
        }
        return json_response({"code": "SUCCESS", "data": data, "errMsg": {}})

    # -- HRM ----------------------------------------------------------------------------------
    def hrm(self, req: Request, entity: str) -> Response:
        p = self._params(req)
        raw = p.get("params", p)
        try:
            params = json.loads(raw) if isinstance(raw, str) else dict(raw or {})
            if not isinstance(params, dict):
                raise ValueError("params must be a JSON object")
            page = max(1, _to_int(params.get("curpage"), 1))
            size = _to_int(params.get("pagesize"), DEFAULT_PAGE_SIZE)
        except (ValueError, TypeError) as e:
            return json_response({"code": "0", "data": {}, "errMsg": {"params": str(e)}})
        size = DEFAULT_PAGE_SIZE if size <= 0 else min(size, MAX_PAGE_SIZE)
        idx = self.index()
        t = idx.users if entity == "HrmResource" else idx.depts
        ids = _ints(t["id"])
        mask = np.ones(t.num_rows, bool)
        modified = _s(params.get("modified")).strip()
        if modified:
            mask &= pc.greater_equal(t["modified"].fill_null(""), modified).to_numpy(
                zero_copy_only=False
            )
        for k in ("id", "workcode", "loginid", "departmentid", "subcompanyid1"):
            v = _s(params.get(k)).strip()
            if v and k in t.column_names:
                mask &= pc.equal(t[k].fill_null(""), v).to_numpy(zero_copy_only=False)
        sel = np.nonzero(mask)[0]
        sel = sel[np.argsort(ids[sel], kind="stable")]
        total = len(sel)
        part = sel[(page - 1) * size : page * size]
        rows = t.select(served_columns(t)).take(pa.array(part, pa.int64())).to_pylist()
        out = []
        for r in rows:
            d = {k: _s(v) for k, v in r.items()}
            if entity == "HrmResource":
                dep = r.get("departmentid")
                d["departmentname"] = _s(idx.dept_name.get(dep))
                d["subcompanyid1"] = _s(idx.dept_sub.get(dep))
            out.append(d)
        return json_response(
            {
                "code": "1",
                "data": {"dataList": out, "page": page, "pageSize": size, "totalSize": total},
                "errMsg": {},
            }
        )


def bench_client_headers(conn, creds: dict) -> dict:
    """Log in over ``conn`` (an ``http.client.HTTPConnection``) as the configured OA user, the
    way an E9 client does (regist → applytoken → RSA ``userid``), and return the business
    headers ``{"appid", "token", "userid"}`` after one ``getAllWorkflowRequestCount`` (which
    waits for the index). Used by ``zhongtai sources bench``."""
    appid = creds["ZHONGTAI_OA_APPID"]
    user_id = creds.get("ZHONGTAI_OA_USER_ID", ADMIN_ID)
    client_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    cpk = base64.b64encode(
        client_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    ).decode()

    def post(path: str, headers: dict) -> dict:
        conn.request("POST", path, body=b"", headers=headers)
        resp = conn.getresponse()
        body = json.loads(resp.read())
        if not body.get("status"):
            raise RuntimeError(f"OA {path} failed: {body}")
        return body

    reg = post("/api/ec/dev/auth/regist", {"appid": appid, "cpk": cpk})
    spk = serialization.load_der_public_key(base64.b64decode(reg["spk"]))

    def enc(text: str) -> str:
        return base64.b64encode(spk.encrypt(text.encode(), padding.PKCS1v15())).decode()

    tok = post(
        "/api/ec/dev/auth/applytoken",
        {"appid": appid, "secret": enc(reg["secrit"]), "time": "10800"},
    )
    headers = {"appid": appid, "token": tok["token"], "userid": enc(user_id)}
    # the Count call an E9 client makes before paging; it also waits for the server's index
    conn.request("POST", _PA + "getAllWorkflowRequestCount", body=b"", headers=headers)
    conn.getresponse().read()
    return headers
