"""The OA (Weaver e-cology 9) workflow engine: every approval in the company, node by node.

``run_workflow`` creates one workflow instance and generates its *whole* life at once — draft,
submit, each approval node, returns and resubmits, transfers, add-approver consultations,
withdrawals, countersign, auto-approval, archive and cc — writing every step to the world's
timelines (all via ``ctx.tl``):

* ``oa/workflow_requests``: a full ``put`` at ``created_t``, then one ``change`` patch per step
  (node moves, ``lastOperate*``, ``status``; ``archived=True`` on 归档).
* ``oa/workflow_request_logs``: one immutable ``put`` per log row (``getRequestLog``).
* ``oa/workflow_request_operators``: per node visit and handler a ``put`` when the node is
  received (``isremark`` "0") and a ``change`` when the handler acts (``isremark`` "2");
  handlers who never act because the node was left without them (withdrawal, the other
  member of a countersign group returning/rejecting) are ``delete``\\d at that moment.
  ``groupid`` is the node-visit number within the request (1 = the creator's draft).
* the form main table ``oa/formtable_main_<n>``: one ``put`` at ``created_t``.

Log types (``workflow_requestlog.logtype`` as E9 stores them)::

    code  E9 meaning               used here for                           evidence
    "0"   批准 approve              approval, auto-approval                 E9 source
    "1"   保存 save                 the draft saved at created_t            E9 source
    "2"   提交 submit               submit and every resubmit               E9 source
    "3"   退回 return               return to creator; final rejection (*)  E9 source
    "a"   意见征询 consult          add-approver (加签) request             E9 source
    "b"   意见征询回复 reply        the added person's answer               inference
    "h"   转办 transfer             node handed to a same-role colleague    E9 source
    "r"   撤回 withdraw             creator pulls back before 1st approval  E9 source
    "t"   抄送 cc                   cc to the sales assistant on archive    E9 source

"E9 source" means E9 customisation code in public repositories that maps the codes: a label
function (``0 批准, 1 保存, 2 提交, 3 退回, 5 删除, 6 激活, 7 转发, 9 批注, e 强制归档,
t 抄送, s 督办``) and a sign-opinion filter (``a`` takingOpinions, ``b`` tpostil, ``h``
handleForward, ``r`` withdraw, ``x`` takend, ``c``/``y`` 传阅). "b" as the reply to "a" is an
inference from the filter's naming. Withdraw is ``"r"`` (``"x"`` is ``takend`` in that
filter; change ``LT_WITHDRAW`` if the warehouse decides otherwise). (*) E9 has no separate
"reject" code in that evidence; a final rejection written as "3" is an inference. Remarks
mark the special rows:
auto-approval is a "0" row with remark ``系统自动批准``; the final rejection is a "3" row
with remark ``不同意`` after which the request status is ``已否决``; any other "3" row is a
return (退回) followed by a resubmit ("2") by the creator. "t" rows are cc, not approvals.

Nodes (ids are stable per workflow: ``workflowId * 100 + position`` in the workflow's full
template, so a node skipped by a condition keeps its id). Position 0 is 创建 (nodetype "0"),
the last one 归档 (nodetype "3"); approval nodes have nodetype "1", confirmation nodes
(内勤登记, 收到确认, 项目经理确认) nodetype "2" (E9 "处理"). ``NODES`` lists them per type.
The request status is the current node's name (创建 while a draft or back at the creator),
``归档`` when archived, ``已否决`` / ``已撤回`` on the other endings.

Behaviour (all drawn from ``ctx.rng``; deterministic): approvers wait a lognormal number of
*working* seconds (median 3 working hours, long tail to several working days) on the Chinese
working calendar; the person flagged ``slow`` is 5x slower, the 财务审核 node 3x; about 7% of
human actions happen after hours (19:00–23:30) or on a weekend/holiday; about a third of the
approvers work in batches (two sessions a day, items cleared within a minute); ~8% of the
instances are returned to the creator (a few twice) and resubmitted, the chain restarting at
the first approval node; ~2% see a transfer, ~2% an add-approver consultation, ~2% a withdrawal
and resubmit; when the same person handles two consecutive nodes the second is approved
instantly (``系统自动批准``). Contract approvals, changes and terminations cc the creator's sales
assistant on archive. ``contract_mailing``'s 收到确认 happens when the paper copy is back
(``form["sdsj"]`` if given, else 2–10 calendar days after 内勤登记).

Working-time arithmetic uses a precomputed workday index (``_add_ws``); it equals
``workcal.add_working_seconds`` except that it returns 13:00 / the next workday's 09:00 where
the latter returns 12:00 / 18:00 (the same working moment).
"""

from __future__ import annotations

import bisect
import contextlib
import math
import weakref
from dataclasses import dataclass

from simulators.world import ids, workcal
from simulators.world.schemas import FORM_TABLE, WORKFLOWS
from simulators.world.workcal import DAY

__all__ = ["LOGTYPES", "NODES", "OUTCOMES", "WorkflowRun", "run_workflow"]

# -- log types --------------------------------------------------------------------------------
LT_APPROVE = "0"
LT_SAVE = "1"
LT_SUBMIT = "2"
LT_RETURN = "3"  # also the final rejection (remark 不同意)
LT_CONSULT = "a"
LT_CONSULT_REPLY = "b"
LT_TRANSFER = "h"
LT_WITHDRAW = "r"
LT_CC = "t"
LOGTYPES = {
    LT_APPROVE: "批准",
    LT_SAVE: "保存",
    LT_SUBMIT: "提交",
    LT_RETURN: "退回",
    LT_CONSULT: "意见征询",
    LT_CONSULT_REPLY: "意见征询回复",
    LT_TRANSFER: "转办",
    LT_WITHDRAW: "撤回",
    LT_CC: "抄送",
}
AUTO_REMARK = "系统自动批准"
REJECT_REMARK = "不同意"
OUTCOMES = ("approved", "rejected", "withdrawn", "draft")

# -- behaviour parameters ---------------------------------------------------------------------
P_OUTCOME = (("approved", 0.93), ("rejected", 0.03), ("withdrawn", 0.02), ("draft", 0.02))
P_RETURN = 0.08  # an instance is returned at least once
P_RETURN_AGAIN = 0.15  # ... and, if so, twice
P_TRANSFER = 0.02
P_CONSULT = 0.02
P_WITHDRAW_RESUBMIT = 0.02
P_AFTER_HOURS = 0.07
P_BATCH_PERSON = 30  # % of approvers who work in batch sessions
P_BATCH_ACT = 0.8  # share of a batch worker's actions done in a session
WAIT_MEDIAN = 3 * 3600  # working seconds
WAIT_SIGMA = 1.1
WAIT_CAP = 20 * 8 * 3600  # 20 working days
SLOW_PERSON = 5.0
SLOW_NODE = 3.0  # 财务审核
CC_TYPES = frozenset({"contract_approval", "contract_change", "contract_termination"})
CONTRACT_SUBMIT = frozenset({"contract_approval", "contract_change", "contract_termination"})

# workflow type -> (workflowTypeId, workflowTypeName)
_WF_TYPE = {
    "contract_approval": ("10", "合同管理"),
    "contract_change": ("10", "合同管理"),
    "contract_termination": ("10", "合同管理"),
    "contract_mailing": ("10", "合同管理"),
    "invoice_application": ("20", "财务管理"),
    "payment_claim": ("20", "财务管理"),
    "prepayment_transfer": ("20", "财务管理"),
    "project_start": ("30", "项目管理"),
    "project_delivery": ("30", "项目管理"),
    "visit_plan": ("40", "销售管理"),
    "campaign": ("40", "销售管理"),
    "notice": ("50", "行政管理"),
}
# form field holding the amount, when the caller passes none
_AMOUNT_FIELD = {
    "contract_approval": "htje",
    "contract_change": "bghje",
    "invoice_application": "kpje",
    "payment_claim": "rlje",
    "prepayment_transfer": "zzje",
    "campaign": "ys",
    "project_start": "xmje",
}

# -- node templates ---------------------------------------------------------------------------
# (name, nodetype, handler kind, condition, options)
_C_NONSTD = "nonstd"  # form htlx == 非标
_C_500K = "gt500k"
_C_200K = "gt200k"
_C_100K = "gt100k"
_CREATE = ("创建", "0", "creator", None, "")
_ARCHIVE = ("归档", "3", None, None, "")
_LEADER = ("直属上级审批", "1", "leader", None, "")
_FIN = ("财务审核", "1", "finance", None, "slow")
_CONTRACT_LIKE = [
    _CREATE,
    _LEADER,
    ("大区总监审批", "1", "director", None, ""),
    _FIN,
    ("总经理审批", "1", "executive", _C_500K, ""),
    _ARCHIVE,
]
_FINANCE_FLOW = [
    _CREATE,
    _LEADER,
    _FIN,
    ("财务经理复核", "1", "finance_mgr", _C_200K, ""),
    _ARCHIVE,
]
_PROJECT_FLOW = [_CREATE, _LEADER, ("项目经理确认", "2", "pm", None, ""), _ARCHIVE]
_TEMPLATES: dict[str, list[tuple]] = {
    "contract_approval": [
        _CREATE,
        _LEADER,
        ("大区总监审批", "1", "director", None, ""),
        ("法务财务会签", "1", "countersign", _C_NONSTD, ""),
        _FIN,
        ("总经理审批", "1", "executive", _C_500K, ""),
        _ARCHIVE,
    ],
    "contract_change": _CONTRACT_LIKE,
    "contract_termination": _CONTRACT_LIKE,
    # a registration flow: the assistant logs the dispatch, then confirms the paper copy is back
    "contract_mailing": [
        _CREATE,
        ("内勤登记", "2", "assistant", None, "jcsj"),
        ("收到确认", "2", "assistant", None, "mail"),
        _ARCHIVE,
    ],
    "project_start": _PROJECT_FLOW,
    "project_delivery": _PROJECT_FLOW,
    "invoice_application": _FINANCE_FLOW,
    "payment_claim": _FINANCE_FLOW,
    "prepayment_transfer": _FINANCE_FLOW,
    "visit_plan": [_CREATE, _LEADER, _ARCHIVE],
    "campaign": [
        _CREATE,
        _LEADER,
        ("市场部审核", "1", "marketing", None, ""),
        ("销售总监审批", "1", "campaign_director", None, ""),
        ("总经理审批", "1", "executive", _C_100K, ""),
        _ARCHIVE,
    ],
    "notice": [_CREATE, _LEADER, ("总经办审核", "1", "gm_office", None, ""), _ARCHIVE],
}
assert set(_TEMPLATES) == set(WORKFLOWS) == set(_WF_TYPE)

# wf_type -> [(nodeid, nodename, nodetype)] over the full template
NODES: dict[str, list[tuple[str, str, str]]] = {
    wf: [(str(WORKFLOWS[wf][0] * 100 + i), n[0], n[1]) for i, n in enumerate(tpl)]
    for wf, tpl in _TEMPLATES.items()
}

_APPROVE_REMARKS = (
    "同意",
    "同意",
    "同意",
    "同意。",
    "",
    "",
    "已审核",
    "同意，请继续办理",
    "OK",
    "情况属实，同意",
)
_RETURN_REMARKS = (
    "请补充附件后重新提交",
    "金额有误，请核对后重新提交",
    "客户信息不完整，请补充",
    "合同条款需修改",
    "请补充说明",
    "附件不清晰，请重新上传",
)
_SUBMIT_REMARKS = ("", "", "", "请审批", "请领导审批")


@dataclass
class WorkflowRun:
    request_id: str
    submitted_t: int | None  # first submit time (local seconds); None if it stays a draft
    finished_t: int | None  # archived (approved), finally rejected or withdrawn; None if draft
    outcome: str  # "approved" | "rejected" | "withdrawn" | "draft"


# -- fast working-time arithmetic -------------------------------------------------------------
_WD: list[int] = []  # consecutive workdays (day numbers) covering [_LO, _HI)
_WD_POS: dict[int, int] = {}  # workday -> index in _WD
_RANGE = [0, 0]  # [_LO, _HI)
_BLOCK = 64
_MORNING, _NOON, _AFTERNOON, _EVENING = 9 * 3600, 12 * 3600, 13 * 3600, 18 * 3600
_WORKDAY_S = workcal.WORK_SECONDS_PER_DAY  # 28800
assert workcal.WORK_BLOCKS == ((_MORNING, _NOON), (_AFTERNOON, _EVENING))


def _cover(lo: int, hi: int) -> None:
    """Make the workday index cover days [lo, hi) (block-aligned)."""
    cur_lo, cur_hi = _RANGE
    lo = lo // _BLOCK * _BLOCK
    hi = -(-hi // _BLOCK) * _BLOCK
    if cur_hi > cur_lo:
        if lo >= cur_lo and hi <= cur_hi:
            return
        if lo >= cur_lo:  # extend to the right: positions stay valid
            for d in range(cur_hi, hi):
                if workcal.is_workday(d):
                    _WD_POS[d] = len(_WD)
                    _WD.append(d)
            _RANGE[1] = hi
            return
        hi = max(hi, cur_hi)
    _WD[:] = [d for d in range(lo, hi) if workcal.is_workday(d)]
    _WD_POS.clear()
    _WD_POS.update((d, i) for i, d in enumerate(_WD))
    _RANGE[0], _RANGE[1] = lo, hi


def _add_ws(t: int, seconds: float) -> int:
    """``t`` moved forward by ``seconds`` of office time (see the module docstring)."""
    day, sec = divmod(t, DAY)
    if day < _RANGE[0] or day + 40 >= _RANGE[1]:
        _cover(day - 32, day + 41)
    k = _WD_POS.get(day)
    if k is None:
        k = bisect.bisect_left(_WD, day)
        o = 0
    elif sec < _MORNING:
        o = 0
    elif sec < _NOON:
        o = sec - _MORNING
    elif sec < _AFTERNOON:
        o = 10800
    elif sec < _EVENING:
        o = sec - 36000
    else:
        k += 1
        o = 0
    q, r = divmod(o + int(seconds), _WORKDAY_S)
    k += q
    while k + 1 >= len(_WD):
        _cover(_RANGE[0], _RANGE[1] + _BLOCK)
    return _WD[k] * DAY + (_MORNING + r if r < 10800 else 36000 + r)


def _is_workday(day: int) -> bool:
    if day < _RANGE[0] or day >= _RANGE[1]:
        _cover(day - 32, day + 41)
    return day in _WD_POS


def _next_workday(day: int) -> int:
    if day < _RANGE[0] or day + 40 >= _RANGE[1]:
        _cover(day - 32, day + 41)
    return _WD[bisect.bisect_left(_WD, day)]


# -- people -----------------------------------------------------------------------------------
class _P:
    __slots__ = ("batch", "days", "dept0", "depts", "name", "oa", "pid", "role", "slow")

    def __init__(self, p) -> None:
        self.pid = p.pid
        self.oa = p.oa_id
        self.name = p.name
        self.role = p.role
        self.slow = SLOW_PERSON if p.slow else 1.0
        self.batch = p.role != "sales" and ((p.pid + 1) * 2654435761 >> 8) % 100 < P_BATCH_PERSON
        hist = p.history
        self.dept0 = str(hist[0][1])
        if len(hist) > 1:
            self.days = [d for d, _ in hist]
            self.depts = [str(did) for _, did in hist]
        else:
            self.days = None
            self.depts = None

    def dept(self, day: int) -> str:
        if self.days is None:
            return self.dept0
        i = bisect.bisect_right(self.days, day) - 1
        return self.depts[max(i, 0)]


class _OrgCache:
    """Per-Org lookups: person info, names, and handler lookups keyed by (person, dept)."""

    __slots__ = ("assistant", "by_name", "leader", "nodes", "people", "region")

    def __init__(self, org) -> None:
        self.people = [_P(p) for p in org.people]
        self.by_name = {p.name: p.pid for p in org.people}
        # manager_of / assistant_of / region_at depend only on the person and their dept
        self.leader: dict[tuple[int, str], int] = {}
        self.assistant: dict[tuple[int, str], int] = {}
        self.region: dict[tuple[int, str], str | None] = {}
        self.nodes: dict[tuple, _Node] = {}


_CACHES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _cache(org) -> _OrgCache:
    got = _CACHES.get(org)
    if got is None:
        got = _CACHES[org] = _OrgCache(org)
    return got


# -- random numbers in blocks (one numpy call per ~64 draws) ---------------------------------
class _Rand:
    __slots__ = ("g", "u", "ui", "z", "zi")

    def __init__(self) -> None:
        self.g = None
        self.u = self.z = ()
        self.ui = self.zi = 0

    def reset(self, g) -> None:
        """Start a fresh block from ``g`` (one block per instance: draws stay per instance)."""
        self.g = g
        self.u = g.random(64).tolist()
        self.ui = 0
        self.z = g.standard_normal(16).tolist()
        self.zi = 0

    def uni(self) -> float:
        i = self.ui
        if i == 64:
            self.u = self.g.random(64).tolist()
            i = 0
        self.ui = i + 1
        return self.u[i]

    def nrm(self) -> float:
        i = self.zi
        if i == 16:
            self.z = self.g.standard_normal(16).tolist()
            i = 0
        self.zi = i + 1
        return self.z[i]


def _pick(lst: list[int], u: float, exclude: tuple = ()) -> int:
    cand = [x for x in lst if x not in exclude] if exclude else lst
    if not cand:
        cand = lst
    return cand[int(u * len(cand))]


# -- timing -----------------------------------------------------------------------------------
_LN_WAIT = math.log(WAIT_MEDIAN)
_EVE_LO, _EVE_HI = 19 * 3600, 23 * 3600 + 1800


def _after_hours(recv: int, t_norm: int, u: float) -> int:
    """An after-hours moment after ``recv``: a weekend/holiday on the way, else an evening."""
    d0 = recv // DAY
    for d in range(d0, t_norm // DAY + 1):
        if not _is_workday(d):
            lo = max(recv + 60, d * DAY + _MORNING)
            hi = d * DAY + _EVE_HI
            if lo < hi:
                return lo + int(u * (hi - lo))
    lo = max(recv + 60, d0 * DAY + _EVE_LO)
    hi = d0 * DAY + _EVE_HI
    if lo >= hi:
        lo, hi = (d0 + 1) * DAY + _EVE_LO, (d0 + 1) * DAY + _EVE_HI
    return lo + int(u * (hi - lo))


def _snap(pid: int, t: int, u: float) -> int:
    """A batch worker's action moved to their next session (two a day, within office hours)."""
    day = t // DAY
    for _ in range(3):
        h = ((pid + 7) * 73856093 ^ day * 19349663) & 0xFFFFFFFF
        s1 = day * DAY + 34200 + h % 3600  # 09:30–10:30
        s2 = day * DAY + 59400 + (h >> 12) % 1800  # 16:30–17:00
        if t <= s1:
            return s1 + 5 + int(u * 50)
        if t <= s2:
            return s2 + 5 + int(u * 50)
        day = _next_workday(day + 1)
        t = day * DAY
    return t  # not reached


# -- the engine -------------------------------------------------------------------------------
class _Node:
    """One node of a workflow with its handlers (shared between instances: read-only)."""

    __slots__ = (
        "factor",
        "group",
        "handlers",
        "mail",
        "name",
        "ntype",
        "opt",
        "rids",
        "rnames",
        "sid",
    )

    def __init__(self, sid, name, ntype, handlers, people, factor=1.0, group=False, opt=""):
        self.sid = sid
        self.name = name
        self.ntype = ntype
        self.handlers = handlers
        self.factor = factor
        self.group = group
        self.opt = opt
        self.mail = opt == "mail"
        self.rnames = ",".join(people[h].name for h in handlers)
        self.rids = ",".join(people[h].oa for h in handlers)


def _node(oc: _OrgCache, wid: int, i: int, spec: tuple, hs: tuple) -> _Node:
    key = (wid, i, hs)
    n = oc.nodes.get(key)
    if n is None:
        name, ntype, kind, _cond, opt = spec
        n = oc.nodes[key] = _Node(
            str(wid * 100 + i),
            name,
            ntype,
            hs,
            oc.people,
            SLOW_NODE if opt == "slow" else 1.0,
            kind == "countersign",
            opt,
        )
    return n


def _resolve(org, oc: _OrgCache, wf_type, creator, day, amount, region, form, R):
    """The instance's chain: creator node, approval nodes, archive node, and per approval
    node its not-before time (from the form) and whether it is auto-approved."""
    by_role = org.by_role
    wid = WORKFLOWS[wf_type][0]
    tpl = _TEMPLATES[wf_type]
    people = oc.people
    key = (creator, people[creator].dept(day))
    appr = []
    for i in range(1, len(tpl) - 1):
        spec = tpl[i]
        kind, cond = spec[2], spec[3]
        if cond is not None:
            if cond == _C_NONSTD:
                ok = form.get("htlx") == "非标"
            elif cond == _C_500K:
                ok = amount > 500000
            elif cond == _C_200K:
                ok = amount > 200000
            else:
                ok = amount > 100000
            if not ok:
                continue
        if kind == "leader":
            h = oc.leader.get(key)
            if h is None:
                h = oc.leader[key] = org.manager_of(creator, day)
            hs = (h,)
        elif kind == "director":
            reg = region
            if not reg:
                reg = oc.region.get(key, 0)
                if reg == 0:
                    reg = oc.region[key] = org.region_at(creator, day)
                reg = reg or next(iter(org.director_of))
            hs = (org.director_of_region(reg),)
        elif kind == "countersign":
            fin = by_role["finance"]
            hs = (_pick(by_role["legal"], R.uni()), _pick(fin[1:] or fin, R.uni()))
        elif kind == "finance":
            fin = by_role["finance"]
            hs = (_pick(fin[1:] or fin, R.uni(), (creator,)),)
        elif kind == "finance_mgr":
            hs = (by_role["finance"][0],)
        elif kind == "executive":
            hs = (by_role["executive"][0],)
        elif kind == "gm_office":
            hs = (_pick(by_role["executive"], R.uni()),)
        elif kind == "pm":
            named = oc.by_name.get(form.get("xmjl") or "")
            if named is not None and people[named].role == "pm" and named != creator:
                hs = (named,)
            else:
                hs = (_pick(by_role["pm"], R.uni(), (creator,)),)
        elif kind == "marketing":
            hs = (_pick(by_role["marketing"], R.uni(), (creator,)),)
        elif kind == "campaign_director":
            hs = (
                (org.director_of_region(region) if region else _pick(by_role["director"], R.uni())),
            )
        elif kind == "assistant":
            h = oc.assistant.get(key)
            if h is None:
                h = oc.assistant[key] = org.assistant_of(creator, day)
            hs = (h,)
        else:  # pragma: no cover - templates are fixed
            raise ValueError(kind)
        appr.append(_node(oc, wid, i, spec, hs))
    nbs = []
    autos = []
    prev: tuple = ()
    for n in appr:
        nb = None
        if n.opt and n.opt != "slow":
            v = form.get("sdsj" if n.mail else n.opt)
            nb = int(v) if v is not None else None
        nbs.append(nb)
        # the same handler as the node before: approved by the system (not for countersign
        # groups and nodes that wait for an outside event)
        autos.append(not n.group and not n.mail and nb is None and n.handlers[0] in prev)
        prev = n.handlers
    n0 = _node(oc, wid, 0, tpl[0], (creator,))
    arch = _node(oc, wid, len(tpl) - 1, tpl[-1], ())
    return n0, appr, arch, nbs, autos


class _Engine:
    """Writes workflow instances into one ctx's timelines (cached per ctx; see ``_engine``).

    Per-instance state lives in attributes, so running an instance allocates almost nothing
    besides the rows themselves (fewer GC-tracked temporaries means less collector work).
    """

    __slots__ = (
        "R",
        "counters",
        "cr",
        "day",
        "id_base",
        "log_put",
        "oc",
        "op_change",
        "op_delete",
        "op_put_",
        "org",
        "people",
        "req_change",
        "req_put",
        "rid",
        "stream",
        "timelines",
        "tl_map",
        "wid_s",
    )

    def __init__(self, ctx) -> None:
        self.org = ctx.org
        self.oc = _cache(ctx.org)
        self.people = self.oc.people
        self.timelines = ctx.timelines
        logs = ctx.tl("oa", "workflow_request_logs")
        ops = ctx.tl("oa", "workflow_request_operators")
        req = ctx.tl("oa", "workflow_requests")
        self.tl_map = (logs, ops, req)
        self.log_put = logs.put
        self.op_put_, self.op_change, self.op_delete = ops.put, ops.change, ops.delete
        self.req_put, self.req_change = req.put, req.change
        self.R = _Rand()  # draws nothing until an instance starts (see run)
        self.counters = None
        self.day = self.stream = None
        self.id_base = 0
        self.rid = self.cr = self.wid_s = None

    def valid(self, ctx) -> bool:
        tls = ctx.timelines
        return (
            tls is self.timelines
            and ctx.org is self.org
            and tls.get(("oa", "workflow_request_logs")) is self.tl_map[0]
            and tls.get(("oa", "workflow_request_operators")) is self.tl_map[1]
            and tls.get(("oa", "workflow_requests")) is self.tl_map[2]
        )

    # -- writers ----------------------------------------------------------------------------
    def log(self, t, node, dest, who, lt, remark, rnames, rids, branch="0"):
        d = t // DAY
        sec = t - d * DAY
        counters = self.counters  # the per-day counters of ctx.next, inlined
        k = counters.get("oa:log", 0) + 1
        counters["oa:log"] = k
        lid = str(self.id_base + k)
        self.log_put(
            lid,
            t,
            {
                "id": lid,
                "requestId": self.rid,
                "workflowId": self.wid_s,
                "nodeid": node.sid,
                "nodename": node.name,
                "destnodeid": dest,
                "operator": who.oa,
                "operatorName": who.name,
                "operatorDept": who.dept0 if who.days is None else who.dept(d),
                "operatedate": _DATES.get(d) or _date_str(d),
                "operatetime": _D2[sec // 3600] + ":" + _D2[sec // 60 % 60] + ":" + _D2[sec % 60],
                "logtype": lt,
                "remarkHtml": remark,
                "receivedPersons": rnames,
                "receivedPersonids": rids,
                "isbranche": branch,
                "agentorbyagentid": "-1",
                "_when": t,
            },
        )

    def op_put(self, node, g, who, t, isremark="0"):
        d = t // DAY
        sec = t - d * DAY
        counters = self.counters
        k = counters.get("oa:op", 0) + 1
        counters["oa:op"] = k
        oid = str(self.id_base + k)
        self.op_put_(
            oid,
            t,
            {
                "id": oid,
                "requestId": self.rid,
                "groupid": str(g),
                "nodeid": node.sid,
                "nodeName": node.name,
                "userid": who.oa,
                "userName": who.name,
                "isremark": isremark,
                "receivedate": _DATES.get(d) or _date_str(d),
                "receivetime": _D2[sec // 3600] + ":" + _D2[sec // 60 % 60] + ":" + _D2[sec % 60],
                "operatedate": None,
                "operatetime": None,
            },
        )
        return oid

    def op_done(self, oid, t):
        d = t // DAY
        sec = t - d * DAY
        self.op_change(
            oid,
            t,
            isremark="2",
            operatedate=_DATES.get(d) or _date_str(d),
            operatetime=_D2[sec // 3600] + ":" + _D2[sec // 60 % 60] + ":" + _D2[sec % 60],
        )

    def move(self, t, node, who, status=None):
        self.req_change(
            self.rid,
            t,
            currentNodeId=node.sid,
            currentNodeName=node.name,
            currentNodeType=node.ntype,
            status=status or node.name,
            lastOperateTime=t,
            lastOperatorId=who.oa,
            lastOperatorName=who.name,
        )

    def touch(self, t, who):
        self.req_change(
            self.rid, t, lastOperateTime=t, lastOperatorId=who.oa, lastOperatorName=who.name
        )

    # -- timing -----------------------------------------------------------------------------
    def wait(self, who, factor):
        """An approver's waiting time in working seconds (lognormal, capped)."""
        w = math.exp(_LN_WAIT + WAIT_SIGMA * self.R.nrm()) * factor * who.slow
        return WAIT_CAP if w > WAIT_CAP else w

    def creator_wait(self, median, sigma=1.0):
        return min(math.exp(math.log(median) + sigma * self.R.nrm()), 3 * _WORKDAY_S)

    def act(self, who, recv, w):
        """When ``who`` acts on something received at ``recv`` after ``w`` working seconds."""
        uni = self.R.uni
        t = _add_ws(recv, w)
        if uni() < P_AFTER_HOURS:
            t = _after_hours(recv, t, uni())
        elif who.batch and uni() < P_BATCH_ACT:
            t = _snap(who.pid, t, uni())
        if t <= recv:
            t = recv + 30 + int(uni() * 90)
        return t

    # -- one instance -----------------------------------------------------------------------
    def run(
        self,
        ctx,
        wf_type,
        creator_pid,
        created_t,
        form,
        request_name,
        amount,
        region,
        outcome,
        submit_delay_s,
    ) -> WorkflowRun:
        org = self.org
        people = self.people
        wid, wname, tab = WORKFLOWS[wf_type]
        type_id, type_name = _WF_TYPE[wf_type]
        R = self.R
        R.reset(ctx.rng)
        uni = R.uni
        log, op_put, op_done, move, touch = (
            self.log,
            self.op_put,
            self.op_done,
            self.move,
            self.touch,
        )
        act, wait = self.act, self.wait
        created_t = int(created_t)
        day0 = created_t // DAY
        cr = self.cr = people[creator_pid]
        stream = getattr(ctx, "stream_no", 0)
        if self.counters is not ctx.counters or self.day != ctx.day or self.stream != stream:
            self.counters = ctx.counters
            self.day = ctx.day
            self.stream = stream
            # ids: the per-day sequence of context.oa_request_id, one counter per kind
            self.id_base = ids.seq(ctx.day, 0, stream)
        self.wid_s = wid_s = str(wid)

        if outcome is None:
            u = uni()
            acc = 0.0
            for name, p in P_OUTCOME:
                acc += p
                if u < acc:
                    outcome = name
                    break
            else:
                outcome = "approved"
        elif outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}")
        if outcome == "draft" and wf_type != "contract_approval":
            outcome = "approved"
        if not amount:
            v = form.get(_AMOUNT_FIELD.get(wf_type, ""))
            amount = float(v) if v else 0.0

        rid = self.rid = ctx.oa_request_id()
        ctx.tl("oa", FORM_TABLE[wf_type]).put(rid, created_t, {"requestId": rid, **form})
        n0, appr, arch, nbs, autos = _resolve(
            org, self.oc, wf_type, creator_pid, day0, amount, region, form, R
        )
        n_appr = len(appr)

        # -- the plan -----------------------------------------------------------------------
        cand = [i for i in range(n_appr) if not autos[i]]
        n_ret = 0
        if outcome in ("approved", "rejected") and uni() < P_RETURN:
            n_ret = 2 if uni() < P_RETURN_AGAIN else 1
        ret_at = [cand[int(uni() * len(cand))] for _ in range(n_ret)]
        rej_at = cand[int(uni() * len(cand))] if outcome == "rejected" else -1
        wd_resubmit = outcome in ("approved", "rejected") and uni() < P_WITHDRAW_RESUBMIT
        xfer_at = consult_at = -1
        if uni() < P_TRANSFER:
            single = [i for i in cand if not appr[i].group]
            xfer_at = single[int(uni() * len(single))] if single else -1
        if uni() < P_CONSULT:
            single = [i for i in cand if not appr[i].group]
            consult_at = single[int(uni() * len(single))] if single else -1

        # -- draft --------------------------------------------------------------------------
        g = 1
        log(created_t, n0, n0.sid, cr, LT_SAVE, "", "", "")
        op_c = op_put(n0, g, cr, created_t)
        self.req_put(
            rid,
            created_t,
            {
                "requestId": rid,
                "requestName": request_name,
                "workflowId": wid_s,
                "workflowName": wname,
                "workflowTypeId": type_id,
                "workflowTypeName": type_name,
                "formId": str(-tab),
                "tableDBName": FORM_TABLE[wf_type],
                "creatorId": cr.oa,
                "creatorName": cr.name,
                "creatorDeptId": cr.dept(day0),
                "createTime": created_t,
                "status": n0.name,
                "currentNodeId": n0.sid,
                "currentNodeName": n0.name,
                "currentNodeType": n0.ntype,
                "lastOperateTime": created_t,
                "lastOperatorId": cr.oa,
                "lastOperatorName": cr.name,
                "requestLevel": "0",
                "archived": False,
            },
        )
        if outcome == "draft":
            return WorkflowRun(rid, None, None, "draft")

        # -- submit -------------------------------------------------------------------------
        if submit_delay_s is not None:
            ts = max(_add_ws(created_t, max(int(submit_delay_s), 0)), created_t)
        elif wf_type in CONTRACT_SUBMIT:
            ts = act(cr, created_t, uni() * 3 * _WORKDAY_S)
        else:
            ts = act(cr, created_t, self.creator_wait(1200, 1.2))
        submitted_t = ts
        first = appr[0]

        for p in range(n_ret + 1):
            log(
                ts,
                n0,
                first.sid,
                cr,
                LT_SUBMIT,
                _SUBMIT_REMARKS[int(uni() * 5)],
                first.rnames,
                first.rids,
            )
            op_done(op_c, ts)
            move(ts, first, cr)
            if p == 0 and (outcome == "withdrawn" or wd_resubmit):
                g += 1
                pend = [op_put(first, g, people[h], ts) for h in first.handlers]
                tw = act(cr, ts, self.creator_wait(1800, 0.8))
                log(tw, n0, n0.sid, cr, LT_WITHDRAW, "撤回", cr.name, cr.oa)
                for o in pend:
                    self.op_delete(o, tw)
                if outcome == "withdrawn":
                    move(tw, n0, cr, "已撤回")
                    return WorkflowRun(rid, submitted_t, tw, "withdrawn")
                move(tw, n0, cr)
                g += 1
                op_c = op_put(n0, g, cr, tw)
                ts = act(cr, tw, self.creator_wait(2 * 3600))
                log(
                    ts,
                    n0,
                    first.sid,
                    cr,
                    LT_SUBMIT,
                    _SUBMIT_REMARKS[int(uni() * 5)],
                    first.rnames,
                    first.rids,
                )
                op_done(op_c, ts)
                move(ts, first, cr)
            final = p == n_ret
            target = rej_at if final else ret_at[p]
            rejecting = final and outcome == "rejected"
            recv = ts
            prev: tuple = ()
            who = cr
            ended = None  # time of the return / rejection ending this pass
            for i in range(n_appr):
                node = appr[i]
                g += 1
                nn = appr[i + 1] if i + 1 < n_appr else arch
                last = nn is arch
                if autos[i] and node.handlers[0] in prev:
                    who = people[node.handlers[0]]
                    o = op_put(node, g, who, recv)
                    log(recv, node, nn.sid, who, LT_APPROVE, AUTO_REMARK, nn.rnames, nn.rids)
                    op_done(o, recv)
                    if not last:
                        move(recv, nn, who)
                    prev = node.handlers
                    continue
                if node.group:
                    ended, recv, who = self._countersign(
                        node, nn, g, recv, i == target, rejecting, n0, last
                    )
                    if ended is not None:
                        break
                    prev = node.handlers
                    continue
                # a single handler
                who = people[node.handlers[0]]
                o = op_put(node, g, who, recv)
                r = recv
                f = node.factor
                nb = nbs[i]
                if node.mail:
                    r = max(r, nb) if nb is not None else r + (2 + int(uni() * 9)) * DAY
                    f = 0.3
                elif nb is not None and nb + _MORNING > r:
                    r = _add_ws(nb, 0)
                    f = 0.3
                if final and i == xfer_at:
                    peers = [x for x in org.by_role.get(who.role, ()) if x != who.pid]
                    if peers:
                        b = people[peers[int(uni() * len(peers))]]
                        th = act(who, r, wait(who, 0.5 * f))
                        log(
                            th,
                            node,
                            node.sid,
                            who,
                            LT_TRANSFER,
                            f"转办给{b.name}处理",
                            b.name,
                            b.oa,
                        )
                        op_done(o, th)
                        touch(th, who)
                        o = op_put(node, g, b, th)
                        who = b
                        r = th
                if final and i == consult_at:
                    r = self._consult(wf_type, node, g, who, r, f, creator_pid)
                    f *= 0.3
                t = act(who, r, wait(who, f))
                if i == target:
                    log(
                        t,
                        node,
                        n0.sid,
                        who,
                        LT_RETURN,
                        REJECT_REMARK if rejecting else _RETURN_REMARKS[int(uni() * 6)],
                        cr.name,
                        cr.oa,
                    )
                    op_done(o, t)
                    ended = t
                    break
                log(
                    t,
                    node,
                    nn.sid,
                    who,
                    LT_APPROVE,
                    _APPROVE_REMARKS[int(uni() * 10)],
                    nn.rnames,
                    nn.rids,
                )
                op_done(o, t)
                if not last:
                    move(t, nn, who)
                recv = t
                prev = (who.pid,)
            if ended is not None:
                if rejecting:
                    move(ended, n0, who, "已否决")
                    return WorkflowRun(rid, submitted_t, ended, "rejected")
                move(ended, n0, who)
                g += 1
                op_c = op_put(n0, g, cr, ended)
                ts = act(cr, ended, self.creator_wait(4 * 3600))
                continue
            # archived
            self.req_change(
                rid,
                recv,
                currentNodeId=arch.sid,
                currentNodeName=arch.name,
                currentNodeType=arch.ntype,
                status=arch.name,
                lastOperateTime=recv,
                lastOperatorId=who.oa,
                lastOperatorName=who.name,
                archived=True,
            )
            if wf_type in CC_TYPES:
                a = org.assistant_of(creator_pid, recv // DAY)
                if a != creator_pid:
                    ap = people[a]
                    log(recv, arch, arch.sid, who, LT_CC, "", ap.name, ap.oa)
                    op_put(arch, g + 1, ap, recv, "8")
            return WorkflowRun(rid, submitted_t, recv, "approved")
        raise AssertionError("unreachable")  # pragma: no cover

    def _countersign(self, node, nn, g, recv, is_target, rejecting, n0, last):
        """A parallel group: every member must approve; one member may return/reject.

        Returns (end time if the pass ends here, else None; time the node was left; actor).
        """
        people = self.people
        uni = self.R.uni
        infos = [people[h] for h in node.handlers]
        ops = [self.op_put(node, g, w, recv) for w in infos]
        times = [self.act(w, recv, self.wait(w, node.factor)) for w in infos]
        order = sorted(range(len(infos)), key=times.__getitem__)
        if is_target:
            k = int(uni() * len(infos))
            tk = times[k]
            gone = []
            for j in order:
                if j == k:
                    continue
                if times[j] < tk:
                    self.log(
                        times[j],
                        node,
                        node.sid,
                        infos[j],
                        LT_APPROVE,
                        _APPROVE_REMARKS[int(uni() * 10)],
                        "",
                        "",
                        "1",
                    )
                    self.op_done(ops[j], times[j])
                    self.touch(times[j], infos[j])
                else:
                    gone.append(ops[j])
            cr = self.cr
            self.log(
                tk,
                node,
                n0.sid,
                infos[k],
                LT_RETURN,
                REJECT_REMARK if rejecting else _RETURN_REMARKS[int(uni() * 6)],
                cr.name,
                cr.oa,
                "1",
            )
            self.op_done(ops[k], tk)
            for o in gone:
                self.op_delete(o, tk)
            return tk, tk, infos[k]
        for idx, j in enumerate(order):
            tj = times[j]
            done = idx == len(order) - 1
            self.log(
                tj,
                node,
                nn.sid if done else node.sid,
                infos[j],
                LT_APPROVE,
                _APPROVE_REMARKS[int(uni() * 10)],
                nn.rnames if done else "",
                nn.rids if done else "",
                "1",
            )
            self.op_done(ops[j], tj)
            if not done:
                self.touch(tj, infos[j])
            elif not last:
                self.move(tj, nn, infos[j])
        j = order[-1]
        return None, times[j], infos[j]

    def _consult(self, wf_type, node, g, who, r, f, creator_pid):
        """意见征询: ``who`` asks a colleague, who replies; returns the reply time."""
        org = self.org
        uni = self.R.uni
        tid = _WF_TYPE[wf_type][0]
        if tid == "10":
            pool = org.by_role["legal"] + org.by_role["finance"]
        elif tid == "20":
            pool = org.by_role["finance"]
        else:
            pool = org.by_role.get(who.role, [])
        pool = [x for x in pool if x != who.pid and x != creator_pid] or [
            x for x in org.by_role["legal"] if x != creator_pid
        ]
        c = self.people[pool[int(uni() * len(pool))]]
        ta = self.act(who, r, self.wait(who, 0.5 * f))
        self.log(ta, node, node.sid, who, LT_CONSULT, "请协助审核并提出意见", c.name, c.oa)
        self.touch(ta, who)
        oc = self.op_put(node, g, c, ta, "1")
        tb = self.act(c, ta, self.wait(c, 1.0))
        self.log(tb, node, node.sid, c, LT_CONSULT_REPLY, "已阅，无异议", who.name, who.oa)
        self.op_done(oc, tb)
        self.touch(tb, c)
        return tb


def _engine(ctx) -> _Engine:
    """The engine bound to ``ctx``'s timelines, kept on the ctx itself (so it lives and dies
    with it); rebuilt when the ctx's timelines, counters owner or org were replaced."""
    eng = getattr(ctx, "_workflow_engine", None)
    if eng is None or not eng.valid(ctx):
        eng = _Engine(ctx)
        with contextlib.suppress(AttributeError):  # a ctx without a __dict__: no caching
            ctx._workflow_engine = eng
    return eng


def run_workflow(
    ctx,
    wf_type: str,
    creator_pid: int,
    created_t: int,
    form: dict,
    *,
    request_name: str,
    amount: float = 0.0,
    region: str | None = None,
    outcome: str | None = None,
    submit_delay_s: int | None = None,
) -> WorkflowRun:
    """Create one OA workflow instance and generate its whole life (see the module docstring).

    ``outcome`` forces the ending ("approved", "rejected", "withdrawn", "draft"); ``None``
    draws it (93 / 3 / 2 / 2 %; "draft" only for contract_approval, else "approved").
    ``submit_delay_s`` is in *working* seconds after ``created_t``. Randomness comes from
    ``ctx.rng`` only; request, log and operator ids from the per-day counters of ``ctx``.
    """
    return _engine(ctx).run(
        ctx,
        wf_type,
        creator_pid,
        created_t,
        form,
        request_name,
        amount,
        region,
        outcome,
        submit_delay_s,
    )


_DATES: dict[int, str] = {}
_D2 = [f"{i:02d}" for i in range(60)]


def _date_str(day: int) -> str:
    s = _DATES[day] = workcal.date_of_day(day).isoformat()
    return s
