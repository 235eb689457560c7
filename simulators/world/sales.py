"""Sales: campaigns, leads, opportunities with full stage histories, visits, targets.

An opportunity is generated whole on the day it is created: its stage moves (forward, skips,
regressions), its end (won, lost, expired past its validity date), the owner's unplanned
visits, and — when won — the contract and everything after it (see ``contracts``).
"""

from __future__ import annotations

import bisect

import numpy as np

from simulators.world import constants as C
from simulators.world.context import Ctx
from simulators.world.customers import Customer
from simulators.world.workcal import DAY, HOUR, date_of_day, day_of_date

OPPS_DIRECT_PER_DAY = 86.0  # at scale 1
LEADS_PER_DAY = 150.0  # at scale 1, not counting campaign leads
CAMPAIGNS_PER_DAY = 0.33  # at scale 1
LEAD_CONVERSION = 0.30
STAGE_NAMES = [s for s, _p in C.OPEN_STAGES]


def _user(ctx: Ctx, pid: int) -> dict:
    p = ctx.org.person(pid)
    return {"Owner.id": p.crm_user_id, "Owner.name": p.name, "Owner.email": p.email}


def _audit(ctx: Ctx, pid: int, t: int) -> dict:
    p = ctx.org.person(pid)
    return {
        "Created_Time": t,
        "Modified_Time": t,
        "Created_By.id": p.crm_user_id,
        "Created_By.name": p.name,
        "Modified_By.id": p.crm_user_id,
        "Modified_By.name": p.name,
    }


def owner_for(ctx: Ctx, customer: Customer, day: int) -> int:
    """The customer's owner, or a salesperson of its region if the owner moved away."""
    org = ctx.org
    if org.region_at(customer.owner_pid, day) == customer.region:
        return customer.owner_pid
    pool = org.sales_in_region(customer.region, day) or org.sales
    return pool[customer.idx % len(pool)]


def plan_stage_path(rng: np.random.Generator, btype: str) -> tuple[list[str], str]:
    """Stage sequence an opportunity walks through and its end: won, lost or expired."""
    r = rng.random()
    end = "won" if r < 0.50 else ("lost" if r < 0.80 else "expired")
    start = 0 if rng.random() < 0.75 else 1
    path = [STAGE_NAMES[start]]
    if btype == "小鼠类" and end == "won" and rng.random() < 0.4:
        return path, end  # mouse deals may jump straight to won
    target = 3 if end == "won" else int(rng.integers(start, 4))
    i = start
    while i < target:
        step = 2 if (rng.random() < 0.15 and i + 2 <= target) else 1
        i += step
        path.append(STAGE_NAMES[i])
        if i >= 1 and rng.random() < 0.08:  # regression, then recover
            path.append(STAGE_NAMES[i - 1])
            path.append(STAGE_NAMES[i])
    return path, end


def gen_opportunity(
    ctx: Ctx,
    t0: int,
    customer: Customer,
    btype: str,
    *,
    campaign: tuple[str, str] | None = None,
    lead_source: str | None = None,
    stall: bool = False,
) -> None:
    """Create one opportunity at ``t0`` with its whole future."""
    from simulators.world.contracts import gen_contract_chain  # cycle: contracts → sales

    rng = ctx.rng
    day0 = t0 // DAY
    owner = owner_for(ctx, customer, day0)
    deals = ctx.tl("crm", "Deals")
    hist = ctx.tl("crm", "Stage_History")
    did = ctx.crm_id("Deals")
    mean = 60000 if btype == "小鼠类" else 260000
    amount = round(float(rng.lognormal(np.log(mean), 0.7)) * (0.6 + customer.activity / 10), -2)
    path, end = plan_stage_path(rng, btype)
    if end == "won" and customer.erp_day is None:
        end = "lost"  # prospects that never qualify in the ERP cannot sign
    if stall:
        end = "lost" if end == "won" else end
    valid_until = day0 + int(rng.integers(90, 240))
    close_day = day0 + int(rng.integers(30, 120))
    contact = (
        customer.contacts[int(rng.integers(len(customer.contacts)))]
        if customer.contacts
        else (None, None)
    )
    name = f"{customer.name[:12]}-{btype}-{date_of_day(day0).strftime('%y%m')}"
    stage = path[0]
    prob = C.STAGE_PROBABILITY[stage]
    base = {
        "id": did,
        "Deal_Name": name,
        **_user(ctx, owner),
        "Stage": stage,
        "Amount": amount,
        "Probability": prob,
        "Expected_Revenue": round(amount * prob / 100, 2),
        "Closing_Date": close_day * DAY,
        "Valid_Until": valid_until * DAY,
        "Type": btype,
        "Account_Name.id": customer.crm_id,
        "Account_Name.name": customer.name,
        "Contact_Name.id": contact[0],
        "Contact_Name.name": contact[1],
        "Campaign_Source.id": campaign[0] if campaign else None,
        "Campaign_Source.name": campaign[1] if campaign else None,
        "Lead_Source": lead_source or C.LEAD_SOURCES[int(rng.integers(len(C.LEAD_SOURCES)))],
        **_audit(ctx, owner, t0),
    }
    deals.put(did, t0, base)
    if stall:
        ctx.plant("stalled_opportunity", t=t0, deal_id=did, account_id=customer.crm_id)
    # stage walk
    med = 6 if btype == "小鼠类" else 14
    t = t0
    hid = ctx.crm_id("Stage_History")
    hist.put(
        hid,
        t,
        {
            "id": hid,
            "Deal_Id": did,
            "Stage": stage,
            "Amount": amount,
            "Probability": prob,
            "Expected_Revenue": round(amount * prob / 100, 2),
            "Close_Date": close_day * DAY,
            **_audit(ctx, owner, t),
        },
    )
    entered = t

    def move(new_stage: str, when: int) -> None:
        nonlocal hid, entered, stage, amount
        if rng.random() < 0.1 and new_stage not in ("输单", "失效"):
            amount = round(amount * float(rng.uniform(0.8, 1.25)), -2)
        p = C.STAGE_PROBABILITY[new_stage]
        hist.change(
            hid, when, Moved_To__s=new_stage, Stage_Duration_Calendar_Days=(when - entered) // DAY
        )
        hid = ctx.crm_id("Stage_History")
        hist.put(
            hid,
            when,
            {
                "id": hid,
                "Deal_Id": did,
                "Stage": new_stage,
                "Amount": amount,
                "Probability": p,
                "Expected_Revenue": round(amount * p / 100, 2),
                "Close_Date": close_day * DAY,
                **_audit(ctx, owner, when),
            },
        )
        deals.change(
            did,
            when,
            Stage=new_stage,
            Probability=p,
            Amount=amount,
            Expected_Revenue=round(amount * p / 100, 2),
            Modified_Time=when,
        )
        entered, stage = when, new_stage

    actions = [t0]
    for s in path[1:]:
        gap = float(rng.lognormal(np.log(med), 0.8))
        if stall and rng.random() < 0.7:
            gap += float(rng.integers(45, 120))
        prev = t
        t = int(t + gap * DAY)
        t = max((t // DAY) * DAY + 9 * HOUR + int(rng.integers(0, 9 * HOUR)), prev + 600)
        move(s, t)
        actions.append(t)
    gap = float(rng.lognormal(np.log(med), 0.8)) + (60 if stall else 0)
    t_end = (int(t + gap * DAY) // DAY) * DAY + 10 * HOUR + int(rng.integers(0, 8 * HOUR))
    t_end = max(t_end, t + 600)
    if end == "expired":
        # a nightly job expires the deal at 02:00 after its validity date has passed
        t_end = max(t_end, valid_until * DAY + 2 * HOUR)
        t_end = (t_end // DAY) * DAY + 2 * HOUR
        if t_end <= t:
            t_end = (t // DAY + 1) * DAY + 2 * HOUR
        move("失效", t_end)
    elif end == "lost":
        move("输单", t_end)
        deals.change(
            did, t_end, Reason_For_Loss__s=C.LOSS_REASONS[int(rng.integers(len(C.LOSS_REASONS)))]
        )
    else:
        move("成交", t_end)
    # unplanned visits while the opportunity is open
    _visits(ctx, owner, customer, did, name, t0, t_end, stall)
    if end == "won":
        gen_contract_chain(
            ctx,
            customer=customer,
            owner=owner,
            deal_id=did,
            deal_name=name,
            btype=btype,
            amount=amount,
            won_t=t_end,
        )


def _visits(
    ctx: Ctx,
    owner: int,
    customer: Customer,
    deal_id: str,
    deal_name: str,
    t0: int,
    t_end: int,
    stall: bool,
) -> None:
    rng = ctx.rng
    ev = ctx.tl("crm", "Events")
    p = ctx.org.person(owner)
    t = t0
    limit = t_end if not stall else t0 + (t_end - t0) // 4
    while True:
        t += int(float(rng.uniform(8, 40)) * DAY)
        if t >= limit:
            break
        day = t // DAY
        start = day * DAY + 9 * HOUR + int(rng.integers(0, 8)) * HOUR
        eid = ctx.crm_id("Events")
        contact = customer.contacts[0] if customer.contacts else (None, None)
        ev.put(
            eid,
            start + 2 * HOUR,
            {
                "id": eid,
                "Event_Title": f"拜访{customer.name[:10]}",
                **_user(ctx, owner),
                "Start_DateTime": start,
                "End_DateTime": start + HOUR,
                "What_Id.id": deal_id,
                "What_Id.name": deal_name,
                "$se_module": "Deals",
                "Who_Id.id": contact[0],
                "Who_Id.name": contact[1],
                "Account.id": customer.crm_id,
                "Account.name": customer.name,
                "Venue": customer.city,
                "Check_In_Time": start + int(rng.integers(0, 900)),
                "Check_In_City": customer.city,
                "Visit_Type": "计划外",
                "Created_Time": start + 2 * HOUR,
                "Modified_Time": start + 2 * HOUR,
                "Created_By.id": p.crm_user_id,
                "Created_By.name": p.name,
                "Modified_By.id": p.crm_user_id,
                "Modified_By.name": p.name,
            },
        )


def gen_sales_day(ctx: Ctx, book) -> None:
    """Direct opportunities, leads (some converting) and campaigns created on ``ctx.day``."""
    rng = ctx.rng
    scale = ctx.cfg.scale
    day = ctx.day
    if book.count_before(day * DAY) == 0:
        return
    for _ in range(int(rng.poisson(OPPS_DIRECT_PER_DAY * scale))):
        c = book.pick(rng, day * DAY)
        t0 = ctx.office_time(day)
        btype = C.BUSINESS_TYPES[int(rng.random() < 0.45)]
        gen_opportunity(ctx, t0, c, btype, stall=bool(rng.random() < 0.02))
    for _ in range(int(rng.poisson(LEADS_PER_DAY * scale))):
        _lead(ctx, book, ctx.office_time(day), None)
    for _ in range(int(rng.poisson(CAMPAIGNS_PER_DAY * scale))):
        _campaign(ctx, book)


def _lead(ctx: Ctx, book, t: int, campaign: tuple[str, str] | None) -> None:
    from simulators.world.customers import _person_name

    rng = ctx.rng
    leads = ctx.tl("crm", "Leads")
    c = book.pick(rng, t)
    owner = owner_for(ctx, c, t // DAY)
    lid = ctx.crm_id("Leads")
    btype = C.BUSINESS_TYPES[int(rng.random() < 0.45)]
    name = _person_name(rng)
    source = "市场活动" if campaign else C.LEAD_SOURCES[1 + int(rng.integers(5))]
    leads.put(
        lid,
        t,
        {
            "id": lid,
            "Last_Name": name,
            "Company": c.name,
            **_user(ctx, owner),
            "Lead_Source": source,
            "Lead_Status": "未联系",
            "Campaign_Source.id": campaign[0] if campaign else None,
            "Campaign_Source.name": campaign[1] if campaign else None,
            "Email": f"l{lid[-8:]}@example.com",
            "Mobile": f"13{int(rng.integers(10**8, 10**9))}",
            "State": c.province,
            "Business_Type": btype,
            "Converted__s": False,
            **_audit(ctx, owner, t),
        },
    )
    t1 = t + int(float(rng.uniform(1, 15)) * DAY)
    leads.change(lid, t1, Lead_Status="已联系", Modified_Time=t1)
    r = rng.random()
    if r < LEAD_CONVERSION:
        t2 = t1 + int(float(rng.uniform(1, 30)) * DAY)
        t2 = (t2 // DAY) * DAY + 9 * HOUR + int(rng.integers(0, 9 * HOUR))
        before = len(ctx.tl("crm", "Deals"))
        gen_opportunity(ctx, t2, c, btype, campaign=campaign, lead_source=source)
        deal_id = ctx.tl("crm", "Deals").rows[before][0]
        leads.change(
            lid,
            t2,
            Lead_Status="已转化",
            Converted__s=True,
            Converted_Date_Time=t2,
            **{"Converted_Deal.id": deal_id, "Converted_Account.id": c.crm_id},
            Modified_Time=t2,
        )
    elif r < 0.55:
        t2 = t1 + int(float(rng.uniform(5, 60)) * DAY)
        leads.change(lid, t2, Lead_Status="无效", Modified_Time=t2)
        if rng.random() < 0.3:  # invalid leads get cleaned up: ZOHO logs the deletion
            leads.delete(lid, t2 + int(rng.integers(30, 120)) * DAY)


def _campaign(ctx: Ctx, book) -> None:
    from simulators.world.workflow import run_workflow

    rng = ctx.rng
    org = ctx.org
    owner = org.by_role["marketing"][int(rng.integers(len(org.by_role["marketing"])))]
    t = ctx.office_time(ctx.day)
    cid = ctx.crm_id("Campaigns")
    ctype = C.CAMPAIGN_TYPES[int(rng.integers(len(C.CAMPAIGN_TYPES)))]
    city = C.CITY_OF_PROVINCE[list(C.CITY_OF_PROVINCE)[int(rng.integers(len(C.CITY_OF_PROVINCE)))]]
    name = f"{date_of_day(ctx.day).year}{city}{ctype}"
    budget = round(float(rng.uniform(2, 30)) * 10000, -2)
    start_day = ctx.day + int(rng.integers(20, 50))
    end_day = start_day + int(rng.integers(0, 3))
    camps = ctx.tl("crm", "Campaigns")
    p = org.person(owner)
    camps.put(
        cid,
        t,
        {
            "id": cid,
            "Campaign_Name": name,
            "Owner.id": p.crm_user_id,
            "Owner.name": p.name,
            "Owner.email": p.email,
            "Type": ctype,
            "Status": "Planning",
            "Start_Date": start_day * DAY,
            "End_Date": end_day * DAY,
            "Budgeted_Cost": budget,
            "Expected_Revenue": round(budget * float(rng.uniform(3, 12)), -2),
            "OA_Approval_Status": "审批中",
            **_audit(ctx, owner, t),
        },
    )
    run = run_workflow(
        ctx,
        "campaign",
        owner,
        t + 600,
        {
            "hdbh": f"HD{cid[-8:]}",
            "hdmc": name,
            "crmid": cid,
            "ys": budget,
            "ksrq": start_day * DAY,
            "jsrq": end_day * DAY,
        },
        request_name=f"市场活动审批-{name}",
        amount=budget,
        outcome="approved",
    )
    camps.change(cid, t + 600, OA_Request_Id=run.request_id, Modified_Time=t + 600)
    done = run.finished_t or t + DAY
    wb = done + 1800  # OA status written back to the CRM
    camps.change(cid, wb, OA_Approval_Status="已通过", Status="Active", Modified_Time=wb)
    et = end_day * DAY + 20 * HOUR
    camps.change(
        cid,
        et,
        Status="Completed",
        Actual_Cost=round(budget * float(rng.uniform(0.7, 1.1)), 2),
        Modified_Time=et,
    )
    for _ in range(int(rng.poisson(60))):
        lt = (
            (start_day + int(rng.integers(0, 10))) * DAY + 9 * HOUR + int(rng.integers(0, 9 * HOUR))
        )
        _lead(ctx, book, lt, (cid, name))


def gen_visit_plans_day(ctx: Ctx, book) -> None:
    """Weekly visit plans (Mondays): tasks in the CRM approved in OA, then done or not."""
    from simulators.world.workflow import run_workflow

    day = ctx.day
    if date_of_day(day).weekday() != 0 or book.count_before(day * DAY) == 0:
        return
    rng = ctx.rng
    org = ctx.org
    tasks = ctx.tl("crm", "Tasks")
    ev = ctx.tl("crm", "Events")
    for pid in org.sales:
        region = org.region_at(pid, day)
        pool = book.by_region[region]
        m = bisect.bisect_left(pool, book.count_before(day * DAY))
        if m == 0 or rng.random() < 0.1:
            continue
        k = int(rng.integers(1, 4))
        p = org.person(pid)
        leader = org.manager_of(pid, day)
        lp = org.person(leader)
        t = day * DAY + 9 * HOUR + int(rng.integers(0, 2 * HOUR))
        run = run_workflow(
            ctx,
            "visit_plan",
            pid,
            t,
            {
                "jhbh": f"BF{day}{pid:04d}",
                "xsry": p.name,
                "jhzq": date_of_day(day).strftime("%G-W%V"),
                "jhsl": k,
            },
            request_name=f"拜访计划-{p.name}-{date_of_day(day).strftime('%G-W%V')}",
        )
        approved = run.outcome == "approved"
        for _ in range(k):
            c = book.items[pool[int(rng.integers(m))]]
            tid = ctx.crm_id("Tasks")
            due = day + int(rng.integers(0, 5))
            assigned = rng.random() < 0.15
            tasks.put(
                tid,
                t,
                {
                    "id": tid,
                    "Subject": f"拜访{c.name[:10]}",
                    **_user(ctx, pid),
                    "Due_Date": due * DAY,
                    "Status": "Not Started",
                    "Priority": "Normal",
                    "What_Id.id": c.crm_id,
                    "What_Id.name": c.name,
                    "$se_module": "Accounts",
                    "Assigned_By.id": lp.crm_user_id if assigned else None,
                    "Assigned_By.name": lp.name if assigned else None,
                    "OA_Request_Id": run.request_id,
                    "Approval_Status": "审批中",
                    **_audit(ctx, pid, t),
                },
            )
            wb = (run.finished_t or t) + 1800
            tasks.change(
                tid, wb, Approval_Status="已通过" if approved else "未通过", Modified_Time=wb
            )
            if approved and rng.random() < 0.8:
                start = due * DAY + 9 * HOUR + int(rng.integers(0, 8)) * HOUR
                start = max(start, wb + HOUR)
                eid = ctx.crm_id("Events")
                ev.put(
                    eid,
                    start + 2 * HOUR,
                    {
                        "id": eid,
                        "Event_Title": f"拜访{c.name[:10]}",
                        **_user(ctx, pid),
                        "Start_DateTime": start,
                        "End_DateTime": start + HOUR,
                        "What_Id.id": c.crm_id,
                        "What_Id.name": c.name,
                        "$se_module": "Accounts",
                        "Account.id": c.crm_id,
                        "Account.name": c.name,
                        "Venue": c.city,
                        "Check_In_Time": start + int(rng.integers(0, 900)),
                        "Check_In_City": c.city,
                        "Visit_Type": "计划内",
                        "Visit_Plan.id": tid,
                        **_audit(ctx, pid, start + 2 * HOUR),
                    },
                )
                tasks.change(
                    tid,
                    start + 2 * HOUR,
                    Status="Completed",
                    Closed_Time=start + 2 * HOUR,
                    Modified_Time=start + 2 * HOUR,
                )
            elif approved:
                dt_ = (due + 7) * DAY + 18 * HOUR
                tasks.change(tid, dt_, Status="Deferred", Modified_Time=dt_)
                if rng.random() < 0.25:  # deferred plans are sometimes deleted
                    tasks.delete(tid, dt_ + int(rng.integers(1, 10)) * DAY)


def gen_targets_year(ctx: Ctx, year: int) -> None:
    """Yearly targets per region, split per salesperson × month × business type.

    Person-month amounts are whole yuan and add up exactly to the region's yearly target.
    """
    rng = ctx.rng
    org = ctx.org
    tl = ctx.tl("crm", "Sales_Targets")
    jan1 = day_of_date(date_of_day(ctx.day).replace(year=year, month=1, day=1))
    t = max(ctx.day, jan1 - 20) * DAY + 10 * HOUR
    admin = org.by_role["executive"][0]
    season = np.array([0.6, 0.5, 0.9, 1.0, 1.0, 1.1, 0.9, 0.8, 1.0, 1.0, 1.2, 1.6])
    season = season / season.sum()
    for region in C.REGION_NAMES:
        people = org.sales_in_region(region, jan1) or []
        if not people:
            continue
        for btype in C.BUSINESS_TYPES:
            for ttype, per_head in (("合同额", 1.9e6), ("回款额", 1.7e6)):
                share = 0.55 if btype == "小鼠类" else 0.45
                total = int(
                    round(per_head * share * len(people) * float(rng.uniform(0.9, 1.1)), -3)
                )
                rid = ctx.crm_id("Sales_Targets")
                tl.put(
                    rid,
                    t,
                    {
                        "id": rid,
                        "Name": f"{year}{region}{btype}{ttype}目标",
                        "Target_Level": "region",
                        "Region": region,
                        "Target_Year": year,
                        "Business_Type": btype,
                        "Target_Type": ttype,
                        "Target_Amount": float(total),
                        **_audit(ctx, admin, t),
                    },
                )
                w = rng.uniform(0.7, 1.3, size=len(people))
                cells = np.outer(w / w.sum(), season).ravel() * total
                ints = np.floor(cells).astype(np.int64)
                rest = total - int(ints.sum())
                order = np.argsort(-(cells - ints), kind="stable")[:rest]
                ints[order] += 1
                for i, pid in enumerate(people):
                    p = org.person(pid)
                    for m in range(12):
                        rid = ctx.crm_id("Sales_Targets")
                        tl.put(
                            rid,
                            t,
                            {
                                "id": rid,
                                "Name": f"{year}-{m + 1:02d}{p.name}{btype}{ttype}目标",
                                "Owner.id": p.crm_user_id,
                                "Owner.name": p.name,
                                "Owner.email": p.email,
                                "Target_Level": "person",
                                "Region": region,
                                "Target_Year": year,
                                "Target_Month": m + 1,
                                "Business_Type": btype,
                                "Target_Type": ttype,
                                "Target_Amount": float(ints[i * 12 + m]),
                                **_audit(ctx, admin, t),
                            },
                        )
