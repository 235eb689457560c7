"""Huilianyi (汇联易) expense reports and their approval history, generated day by day.

``gen_expense_day(ctx)`` creates the expense reports *created* on ``ctx.day`` together with their
whole future (submission, approvals, rejections and resubmissions, finance audit, payment or
deletion), drawing only from ``ctx.rng``. Times are local seconds (see ``workcal``); the
``ts_utc`` columns hold local seconds too and are rendered as UTC when the world is
materialized. Later versions may lie past the world's current date: the world filters by time.

Volume: each person files about ``ROLE_RATE[role]`` reports a month (salespeople about two),
mostly on working days. Report types (``type``) follow the SDK: 1001 daily (日常报销),
1002 travel (差旅报销), 1003 cost (费用报销).

Report status codes (``HLY_ExpenseStatus``): 1001 初始化 (draft, also after a rejection or a
withdrawal), 1002 提交审批 (in approval), 1003 审批通过 (approved by all approvers), 1004 审核通过
(finance audit passed), 1007 待付款 (queued for payment), 1005 已付款 (paid). **1010 已删除**:
the open API documents no status for a deleted expense report; we use 1010, the code of
Huilianyi's *travel application* status list for 已删除, as an inference, and surface a deleted
report as a new version with status 1010 (not as a vanished record).

Lifecycle: version 1 is the full record at creation (status 1001); every status change is a
patch that bumps ``version`` and ``lastModifiedDate``. Submissions set ``firstSubmittedDate``
once and move ``lastSubmittedDate`` on every (re)submission. ``realPaymentAmount`` is set on
payment (finance occasionally pays less than claimed after the audit).

Approval history (``approvalHistory``, immutable rows, one per action). Operation codes are our
own (the SDK does not type the history element): 1001 submit 提交, 1002 approve 审批通过,
1003 reject 驳回, 1004 finance audit pass 审核通过, 1005 pay 付款, 1006 withdraw 撤回.
The approval chain is the applicant's direct leader on the submission day, plus a second
leader for reports of 10,000 CNY or more, then a finance auditor and a cashier. A rejection
(by a leader or finance) sends the report back to 1001; the applicant resubmits and the chain
starts again. Slow approvers (``Person.slow``) take about five times longer.
"""

from __future__ import annotations

from simulators.world import constants as C
from simulators.world import ids
from simulators.world import workcal as wc
from simulators.world.workcal import DAY, HOUR

# Reports per person per month, by role.
ROLE_RATE = {
    "sales": 2.0,
    "manager": 1.2,
    "director": 1.0,
    "assistant": 0.5,
    "marketing": 1.5,
    "pm": 0.8,
}
_WORKDAY_SHARE = 0.95  # share of reports created on working days
_WORKDAYS_PER_MONTH = 21.75
_OFFDAYS_PER_MONTH = 365.25 / 12 - _WORKDAYS_PER_MONTH

# Report types: code -> (formCode, formName, 报销类型)
TYPES = {
    1001: ("ZT_RCBX", "日常报销单", "日常报销"),
    1002: ("ZT_CLBX", "差旅报销单", "差旅报销"),
    1003: ("ZT_FYBX", "费用报销单", "费用报销"),
}
# Type mix by role: (daily, travel, cost).
TYPE_MIX = {
    "sales": (0.45, 0.45, 0.10),
    "manager": (0.45, 0.40, 0.15),
    "director": (0.40, 0.50, 0.10),
    "assistant": (0.80, 0.00, 0.20),
    "marketing": (0.20, 0.25, 0.55),
    "pm": (0.55, 0.35, 0.10),
}
# Expense types: code -> (name, median CNY, lognormal sigma, min, max)
EXPENSE_TYPES = {
    "TRAVEL": ("差旅费", 2200.0, 0.6, 200.0, 20000.0),
    "MEALS": ("餐饮费", 380.0, 0.6, 30.0, 5000.0),
    "VISIT": ("客户拜访", 900.0, 0.7, 50.0, 10000.0),
    "MARKETING": ("市场活动", 7000.0, 0.8, 500.0, 80000.0),
    "TRANSPORT": ("交通费", 160.0, 0.7, 10.0, 2000.0),
}
_CUSTOMER_FACING = {"sales", "manager", "director"}

# Status codes.
S_INIT, S_SUBMITTED, S_APPROVED, S_AUDITED, S_PAID, S_TO_PAY, S_DELETED = (
    1001,
    1002,
    1003,
    1004,
    1005,
    1007,
    1010,
)
STATUS_NAMES = {
    1001: "初始化",
    1002: "提交审批",
    1003: "审批通过",
    1004: "审核通过",
    1005: "已付款",
    1007: "待付款",
    1010: "已删除",
}
# Approval-history operation codes.
OP_SUBMIT, OP_APPROVE, OP_REJECT, OP_AUDIT, OP_PAY, OP_WITHDRAW = (
    1001,
    1002,
    1003,
    1004,
    1005,
    1006,
)
OPERATIONS = {
    1001: "提交",
    1002: "审批通过",
    1003: "驳回",
    1004: "审核通过",
    1005: "付款",
    1006: "撤回",
}

SECOND_APPROVAL_AMOUNT = 10000.0
MAX_REJECTIONS = 2
P_DELETE_DRAFT = 0.012  # deleted as a draft, never submitted
P_WITHDRAW = 0.025  # withdrawn by the applicant while in approval
P_DELETE_AFTER_WITHDRAW = 0.2
P_DELETE_AFTER_REJECT = 0.05
P_REJECT = {"leader": 0.07, "second": 0.05, "finance": 0.06}
P_PAY_LESS = 0.03
SLOW_FACTOR = 5.0

REJECT_REMARKS = [
    "发票抬头不符，请更正",
    "超出差旅标准，请说明",
    "请补充客户拜访记录",
    "附件不全，请补充发票",
    "费用归属部门有误",
    "请拆分报销单",
]
APPROVE_REMARKS = ["同意", "同意", "", "", "已核", "情况属实，同意"]


def _median_delay(rng, median_seconds: float, sigma: float) -> float:
    return float(median_seconds * rng.lognormal(0.0, sigma))


def _dept_path(org, did: int) -> str:
    names = []
    cur = org.depts.get(did)
    while cur is not None:
        names.append(C.COMPANY_SHORT if cur.kind == "company" else cur.name)
        cur = org.depts.get(cur.parent) if cur.parent is not None else None
    return "|".join(reversed(names))


def _pick_customer(ctx, region: str | None):
    """A customer, preferring (a few draws) one in the applicant's region if customers know it."""
    customers = ctx.customers
    if not customers:
        return None
    rng = ctx.rng
    c = customers[int(rng.integers(len(customers)))]
    for _ in range(3):
        cr = getattr(c, "region", None)
        if region is None or cr is None or cr == region:
            break
        c = customers[int(rng.integers(len(customers)))]
    return c


def _city(rng, region: str | None) -> str:
    provinces = next((r[3] for r in C.REGIONS if r[0] == region), None)
    if provinces is None:
        provinces = [p for r in C.REGIONS for p in r[3]]
    return C.CITY_OF_PROVINCE[provinces[int(rng.integers(len(provinces)))]]


def _amount(rng, code: str) -> float:
    _name, median, sigma, lo, hi = EXPENSE_TYPES[code]
    x = median * rng.lognormal(0.0, sigma)
    if rng.random() < 0.3:  # many claims are whole yuan
        x = round(x)
    return round(min(max(x, lo), hi), 2)


def _choose_types(rng, role: str, region: str | None) -> tuple[int, str]:
    daily, travel, _cost = TYPE_MIX[role]
    u = rng.random()
    if u < daily:
        rtype = 1001
        if role in _CUSTOMER_FACING:
            code = ["MEALS", "TRANSPORT", "VISIT"][int(rng.choice(3, p=[0.40, 0.35, 0.25]))]
        else:
            code = ["MEALS", "TRANSPORT"][int(rng.choice(2, p=[0.5, 0.5]))]
    elif u < daily + travel:
        rtype, code = 1002, "TRAVEL"
    else:
        rtype = 1003
        if role == "marketing":
            code = "MARKETING"
        elif role in _CUSTOMER_FACING:
            code = "VISIT" if rng.random() < 0.6 else "MARKETING"
        else:
            code = "MEALS"
    return rtype, code


def _title(rng, day: int, code: str, customer: str | None, region: str | None) -> str:
    month = wc.date_of_day(day).month
    if code == "TRAVEL":
        city = _city(rng, region)
        return f"{city}出差拜访{customer}" if customer else f"{city}出差报销"
    if code == "MEALS":
        return f"{month}月业务招待费" if customer else f"{month}月餐费报销"
    if code == "TRANSPORT":
        return f"{month}月市内交通费"
    if code == "VISIT":
        return f"拜访{customer}费用" if customer else "客户拜访费用"
    kind = C.CAMPAIGN_TYPES[int(rng.integers(len(C.CAMPAIGN_TYPES)))]
    return f"{region or C.COMPANY_SHORT}{kind}费用"


def gen_expense_day(ctx) -> None:
    """Generate the expense reports created on ``ctx.day`` with their whole future."""
    org, rng, day = ctx.org, ctx.rng, ctx.day
    workday = wc.is_workday(day)
    people = [p for p in org.people if p.role in ROLE_RATE and p.hire_day <= day]
    if not people:
        return
    if workday:
        lams = [ROLE_RATE[p.role] * _WORKDAY_SHARE / _WORKDAYS_PER_MONTH for p in people]
    else:
        lams = [ROLE_RATE[p.role] * (1 - _WORKDAY_SHARE) / _OFFDAYS_PER_MONTH for p in people]
    counts = rng.poisson(lams)
    for p, n in zip(people, counts, strict=True):
        for _ in range(int(n)):
            _one_report(ctx, p.pid)


def _one_report(ctx, pid: int) -> None:
    org, rng, day = ctx.org, ctx.rng, ctx.day
    person = org.person(pid)
    dept = org.dept_at(pid, day)
    region = org.region_at(pid, day)
    rtype, code = _choose_types(rng, person.role, region)
    form_code, form_name, _ = TYPES[rtype]
    customer = None
    p_customer = {"VISIT": 1.0, "TRAVEL": 0.6, "MEALS": 0.3}.get(code, 0.0)
    if person.role in _CUSTOMER_FACING and rng.random() < p_customer:
        c = _pick_customer(ctx, region)
        customer = c.name if c is not None else None
    amount = _amount(rng, code)
    title = _title(rng, day, code, customer, region)

    k = ctx.next("hly:expenseReport")
    rid = str(ids.seq(day, k))
    oid = ids.stable_uuid("hly-expenseReport", day, k)
    business_code = f"ER{(day - ids._DAY_BASE) % 100000:05d}{k:03d}"
    t0 = ctx.office_time(day)

    reports = ctx.tl("expense", "expenseReport")
    history = ctx.tl("expense", "approvalHistory")
    reports.put(
        rid,
        t0,
        {
            "id": rid,
            "expenseReportOID": oid,
            "businessCode": business_code,
            "status": S_INIT,
            "type": rtype,
            "applicantOID": person.expense_oid,
            "applicantName": person.name,
            "applicantEmployeeId": person.workcode,
            "departmentOID": ids.stable_uuid("hly-dept", dept.did),
            "departmentName": dept.name,
            "departmentPath": _dept_path(org, dept.did),
            "companyCode": "ZT01",
            "companyName": C.COMPANY_NAME,
            "formCode": form_code,
            "formName": form_name,
            "title": title,
            "currencyCode": "CNY",
            "totalAmount": amount,
            "realPaymentAmount": None,
            "expenseTypeCode": code,
            "expenseTypeName": EXPENSE_TYPES[code][0],
            "customerName": customer,
            "firstSubmittedDate": None,
            "lastSubmittedDate": None,
            "createdDate": t0,
            "lastModifiedDate": t0,
            "version": 1,
        },
    )

    st = {"t": t0, "v": 1, "n": 0, "first_submit": None}

    def later(seconds: float) -> int:
        """The current time moved on by ``seconds`` of office time (at least a minute)."""
        t = wc.add_working_seconds(st["t"], max(60.0, seconds))
        st["t"] = t = max(t, st["t"] + 60)
        return t

    def patch(t: int, **changes) -> None:
        st["v"] += 1
        reports.change(rid, t, version=st["v"], lastModifiedDate=t, **changes)

    def log(t: int, op: int, node: str, who, remark: str = "") -> None:
        st["n"] += 1
        hid = f"{rid}{st['n']:02d}"
        history.put(
            hid,
            t,
            {
                "id": hid,
                "expenseReportOID": oid,
                "businessCode": business_code,
                "operation": op,
                "operationDesc": OPERATIONS[op],
                "approvalNodeName": node,
                "operatorOID": who.expense_oid,
                "operatorName": who.name,
                "remark": remark,
                "createdDate": t,
            },
        )

    def approve_delay(who, median_hours: float, sigma: float = 0.9) -> float:
        d = _median_delay(rng, median_hours * HOUR, sigma)
        return d * SLOW_FACTOR if who.slow else d

    # Deleted as a draft, never submitted.
    if rng.random() < P_DELETE_DRAFT:
        t = later(_median_delay(rng, 1.0 * DAY / 3, 1.0))
        patch(t, status=S_DELETED)
        return

    finance = [org.person(f) for f in org.by_role.get("finance", []) if f != pid]
    auditor = finance[int(rng.integers(len(finance)))]
    cashiers = [f for f in finance if f.pid != auditor.pid] or finance
    cashier = cashiers[int(rng.integers(len(cashiers)))]

    rejections = 0
    submit_delay = _median_delay(rng, 1.5 * HOUR, 1.2)
    while True:
        # (Re)submission.
        t = later(submit_delay)
        if st["first_submit"] is None:
            st["first_submit"] = t
            patch(t, status=S_SUBMITTED, firstSubmittedDate=t, lastSubmittedDate=t)
        else:
            patch(t, status=S_SUBMITTED, lastSubmittedDate=t)
        log(t, OP_SUBMIT, "提交", person)
        submit_day = wc.day_of(t)
        submit_delay = _median_delay(rng, 6 * HOUR, 1.0)

        # Withdrawn by the applicant while waiting for the first approver.
        if rng.random() < P_WITHDRAW:
            t = later(_median_delay(rng, 1.0 * HOUR, 1.0))
            patch(t, status=S_INIT)
            log(t, OP_WITHDRAW, "提交", person, "撤回修改")
            if rng.random() < P_DELETE_AFTER_WITHDRAW:
                t = later(_median_delay(rng, 2.0 * HOUR, 1.0))
                patch(t, status=S_DELETED)
                return
            continue

        # Leaders.
        chain = [("直属领导审批", org.manager_of(pid, submit_day), "leader")]
        if amount >= SECOND_APPROVAL_AMOUNT:
            first = chain[0][1]
            second = org.by_role["executive"][0]
            if region and person.role in ("sales", "assistant"):
                second = org.director_of_region(region)
            if second not in (first, pid):
                chain.append(("分管领导审批", second, "second"))
        rejected = False
        for i, (node, approver_pid, level) in enumerate(chain):
            approver = org.person(approver_pid)
            t = later(approve_delay(approver, 5.0))
            if rejections < MAX_REJECTIONS and rng.random() < P_REJECT[level]:
                patch(t, status=S_INIT)
                log(
                    t,
                    OP_REJECT,
                    node,
                    approver,
                    REJECT_REMARKS[int(rng.integers(len(REJECT_REMARKS)))],
                )
                rejected = True
                break
            remark = APPROVE_REMARKS[int(rng.integers(len(APPROVE_REMARKS)))]
            if i == len(chain) - 1:
                patch(t, status=S_APPROVED)
            log(t, OP_APPROVE, node, approver, remark)
        if not rejected:
            # Finance audit.
            t = later(approve_delay(auditor, 8.0, 0.8))
            if rejections < MAX_REJECTIONS and rng.random() < P_REJECT["finance"]:
                patch(t, status=S_INIT)
                log(
                    t,
                    OP_REJECT,
                    "财务审核",
                    auditor,
                    REJECT_REMARKS[int(rng.integers(len(REJECT_REMARKS)))],
                )
                rejected = True
            else:
                patch(t, status=S_AUDITED)
                log(t, OP_AUDIT, "财务审核", auditor, "审核通过")
        if rejected:
            rejections += 1
            if rng.random() < P_DELETE_AFTER_REJECT:
                t = later(_median_delay(rng, 4.0 * HOUR, 1.0))
                patch(t, status=S_DELETED)
                return
            continue
        break

    # Queued for payment, then paid by the cashier in a payment run.
    t = later(_median_delay(rng, 1.0 * HOUR, 0.6))
    patch(t, status=S_TO_PAY)
    t = later(approve_delay(cashier, 16.0, 0.5))
    paid = amount
    if rng.random() < P_PAY_LESS:
        paid = round(amount * float(rng.uniform(0.8, 0.98)), 2)
    patch(t, status=S_PAID, realPaymentAmount=paid)
    log(t, OP_PAY, "出纳付款", cashier, "" if paid == amount else "部分票据不合规，核减")
