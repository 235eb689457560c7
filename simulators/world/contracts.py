"""Contracts and everything after them: approvals, paper mailing, changes, terminations,
projects, ERP sales orders, deliveries, invoice applications, VAT invoices (with red-letter
reversals), receivables, bank receipts, payment claims, ERP receipt bills, prepayment transfers.

The chain is generated whole when an opportunity is won; events later than the world's current
date stay in the timeline as the future. Planted drift between systems is recorded in the
ground truth with the moment it becomes observable (``t``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simulators.world import constants as C
from simulators.world.context import Ctx
from simulators.world.customers import Customer
from simulators.world.schemas import FORM_TABLE
from simulators.world.workcal import DAY, HOUR, date_of_day
from simulators.world.workflow import run_workflow

HT = "HT"
YF = "YF"


@dataclass
class Line:
    entry_id: int
    material: object
    qty: float
    amount: float  # tax-inclusive

    @property
    def net(self) -> float:
        return round(self.amount / (1 + self.material.tax_rate), 2)


@dataclass
class Contract:
    no: str
    kind: str  # 标准 / 非标 / 预付款
    amount: float
    signed_t: int
    terms: int
    customer: Customer
    owner: int
    deal_id: str
    btype: str
    region: str
    terminated_t: int | None = None
    prepaid: float = 0.0  # cash transferred from a prepayment contract
    orders: list = field(default_factory=list)


def _office(ctx: Ctx, day: int, lo: int = 9, hi: int = 18) -> int:
    return day * DAY + lo * HOUR + int(ctx.rng.integers(0, (hi - lo) * HOUR))


def _after(ctx: Ctx, t: int, lo_days: float, hi_days: float) -> int:
    """An office-hours moment between ``lo_days`` and ``hi_days`` after ``t``."""
    d = t // DAY + int(lo_days + ctx.rng.random() * (hi_days - lo_days))
    d = max(d, t // DAY)
    tt = _office(ctx, d)
    return max(tt, t + 600)


def _number(ctx: Ctx, prefix: str) -> str:
    return ctx.number(prefix)


def gen_contract_chain(
    ctx: Ctx,
    *,
    customer: Customer,
    owner: int,
    deal_id: str,
    deal_name: str,
    btype: str,
    amount: float,
    won_t: int,
) -> None:
    rng = ctx.rng
    org = ctx.org
    region = org.region_at(owner, won_t // DAY) or customer.region
    r = rng.random()
    kind = "标准" if r < 0.60 else ("非标" if r < 0.85 else "预付款")
    t = _after(ctx, won_t, 0, 3)
    if kind == "预付款":
        yf_amount = round(amount * float(rng.uniform(0.2, 0.5)), -2)
        yf = _contract(
            ctx, YF, "预付款", yf_amount, t, customer, owner, deal_id, deal_name, btype, region
        )
        if yf is None:
            return
        # the customer pays the prepayment; it is claimed to the YF contract
        pay_t = _after(ctx, yf.signed_t, 3, 20)
        _receipt(ctx, yf, None, yf_amount, pay_t, claim_invoice=None)
        t_formal = _after(ctx, yf.signed_t, 20, 90)
        ht = _contract(
            ctx,
            HT,
            "标准" if rng.random() < 0.7 else "非标",
            amount,
            t_formal,
            customer,
            owner,
            deal_id,
            deal_name,
            btype,
            region,
            outcome="approved",
        )
        if ht is None:
            return
        tt = _after(ctx, ht.signed_t, 1, 10)
        assistant = org.assistant_of(owner, tt // DAY)
        run = run_workflow(
            ctx,
            "prepayment_transfer",
            assistant,
            tt,
            {
                "zzbh": _number(ctx, "ZZ"),
                "yfhtbh": yf.no,
                "zshtbh": ht.no,
                "zzje": yf_amount,
                "zzrq": tt // DAY * DAY,
            },
            request_name=f"合同转账-{yf.no}→{ht.no}",
            amount=yf_amount,
            region=region,
            outcome="approved",
        )
        ht.prepaid = yf_amount if run.outcome == "approved" else 0.0
        _fulfil(ctx, ht)
        return
    ht = _contract(ctx, HT, kind, amount, t, customer, owner, deal_id, deal_name, btype, region)
    if ht is not None:
        _fulfil(ctx, ht)


def _contract(
    ctx: Ctx,
    prefix: str,
    kind: str,
    amount: float,
    t: int,
    customer: Customer,
    owner: int,
    deal_id: str,
    deal_name: str,
    btype: str,
    region: str,
    outcome: str | None = None,
) -> Contract | None:
    rng = ctx.rng
    org = ctx.org
    code = C.REGION_CODE.get(region, "HD")
    no = (
        f"{prefix}-{code}-{date_of_day(t // DAY).strftime('%Y%m')}-"
        f"{ctx.day % 10000:04d}{ctx.next('contract'):04d}"
    )
    terms = int(
        rng.choice([d for d, _p in C.PAYMENT_TERMS_DAYS], p=[p for _d, p in C.PAYMENT_TERMS_DAYS])
    )
    p = org.person(owner)
    form = {
        "htbh": no,
        "htmc": f"{deal_name}{'预付款' if prefix == YF else ''}合同",
        "htlx": kind,
        "khid": customer.crm_id,
        "khmc": customer.name,
        "sjid": deal_id,
        "ywlx": btype,
        "htje": amount,
        "ksrq": None,
        "jsrq": None,
        "fkts": terms,
        "xsry": p.name,
        "ssqy": region,
    }
    run = run_workflow(
        ctx,
        "contract_approval",
        owner,
        t,
        form,
        request_name=f"合同审批-{no}-{customer.name[:12]}",
        amount=amount,
        region=region,
        outcome=outcome,
    )
    if run.outcome != "approved" or run.finished_t is None:
        return None
    signed = run.finished_t
    sd = signed // DAY
    end_day = sd + int(rng.integers(180, 731))
    ctx.tl("oa", FORM_TABLE["contract_approval"]).change(
        run.request_id, signed, qdrq=sd * DAY, ksrq=sd * DAY, jsrq=end_day * DAY
    )
    c = Contract(no, kind, amount, signed, terms, customer, owner, deal_id, btype, region)
    assistant = org.assistant_of(owner, sd)
    # paper copy mailed and (usually) received back
    mt = _after(ctx, signed, 1, 10)
    received = rng.random() < 0.92
    mrun = run_workflow(
        ctx,
        "contract_mailing",
        assistant,
        mt,
        {
            "htbh": no,
            "jcsj": mt // DAY * DAY,
            "kdgs": ["顺丰", "EMS", "京东"][int(rng.integers(3))],
            "kddh": ctx.number("SF"),
            "sdsj": None,
            "sfsd": "否",
        },
        request_name=f"合同寄送-{no}",
        region=region,
        outcome="approved",
    )
    if received and mrun.finished_t:
        rt = mrun.finished_t
        ctx.tl("oa", FORM_TABLE["contract_mailing"]).change(
            mrun.request_id, rt, sdsj=rt // DAY * DAY, sfsd="是"
        )
    # change of amount
    if rng.random() < 0.10:
        ct = _after(ctx, signed, 5, 40)
        new_amount = round(amount * float(rng.uniform(0.8, 1.3)), -2)
        crun = run_workflow(
            ctx,
            "contract_change",
            owner,
            ct,
            {
                "htbh": no,
                "bgqje": amount,
                "bghje": new_amount,
                "bgyy": ["增加采购数量", "调整服务内容", "客户预算调整", "价格调整"][
                    int(rng.integers(4))
                ],
                "bgrq": ct // DAY * DAY,
            },
            request_name=f"合同变更-{no}",
            amount=new_amount,
            region=region,
        )
        if crun.outcome == "approved":
            c.amount = new_amount
    # termination
    if prefix == HT and rng.random() < 0.03:
        tt = _after(ctx, signed, 30, 200)
        trun = run_workflow(
            ctx,
            "contract_termination",
            owner,
            tt,
            {
                "htbh": no,
                "zzrq": tt // DAY * DAY,
                "zzyy": ["客户取消项目", "双方协商一致", "经费未到位"][int(rng.integers(3))],
            },
            request_name=f"合同终止-{no}",
            amount=c.amount,
            region=region,
            outcome="approved",
        )
        c.terminated_t = trun.finished_t
    # projects
    if prefix == HT and rng.random() < 0.88:
        n = 1 if rng.random() < 0.75 else 2
        st = _after(ctx, signed, 3, 30)
        for i in range(n):
            pm = org.by_role["pm"][int(rng.integers(len(org.by_role["pm"])))]
            xmbh = f"{no}-P{i + 1}"
            prun = run_workflow(
                ctx,
                "project_start",
                assistant,
                st,
                {
                    "xmbh": xmbh,
                    "htbh": no,
                    "xmmc": f"{customer.name[:12]}{btype}项目{i + 1}",
                    "qdrq": st // DAY * DAY,
                    "xmjl": org.person(pm).name,
                    "xmje": round(c.amount / n, 2),
                },
                request_name=f"项目启动-{xmbh}",
                region=region,
                outcome="approved",
            )
            dt_ = _after(ctx, prun.finished_t or st, 20, 120)
            if c.terminated_t is None or dt_ < c.terminated_t:
                run_workflow(
                    ctx,
                    "project_delivery",
                    pm,
                    dt_,
                    {
                        "xmbh": xmbh,
                        "htbh": no,
                        "jfrq": dt_ // DAY * DAY,
                        "jfnr": "模型交付及实验报告" if btype == "服务类" else "小鼠交付",
                    },
                    request_name=f"项目交付-{xmbh}",
                    region=region,
                    outcome="approved",
                )
            st = _after(ctx, st, 10, 60)
    return c


# -- ERP side ---------------------------------------------------------------------------------


def _split(rng: np.random.Generator, total: float, n: int) -> list[float]:
    w = rng.uniform(0.5, 1.5, size=n)
    parts = [round(total * x / w.sum(), 2) for x in w[:-1]]
    parts.append(round(total - sum(parts), 2))
    return parts


def _fulfil(ctx: Ctx, c: Contract) -> None:
    rng = ctx.rng
    n = int(rng.choice([1, 2, 3], p=[0.6, 0.3, 0.1]))
    amounts = _split(rng, c.amount, n)
    t = c.signed_t
    prepaid_left = c.prepaid
    for amt in amounts:
        t = _after(ctx, t, 5, 45)
        if c.terminated_t is not None and t > c.terminated_t:
            break
        prepaid_left = _order(ctx, c, amt, t, prepaid_left)


def _kd_user(ctx: Ctx, pid: int) -> dict:
    p = ctx.org.person(pid)
    return {"FSalerId.FNumber": p.workcode, "FSalerId.FName": p.name}


def _order(ctx: Ctx, c: Contract, amount: float, t: int, prepaid_left: float) -> float:
    rng = ctx.rng
    org = ctx.org
    so = ctx.tl("erp", "SAL_SaleOrder")
    cust = c.customer
    t = max(t, (cust.erp_day or 0) * DAY + 12 * HOUR)
    fid = ctx.erp_fid("SAL_SaleOrder")
    bill = _number(ctx, "XSDD")
    mats = [m for m in ctx.products if m.btype == c.btype]
    n_lines = int(rng.integers(1, 4))
    line_amounts = _split(rng, amount, n_lines)
    lines: list[Line] = []
    dept = org.dept_at(c.owner, t // DAY).name
    header = {
        "FID": fid,
        "FBillNo": bill,
        "FDate": t // DAY * DAY,
        "FCloseStatus": "A",
        "FCancelStatus": "A",
        "FCustId.FNumber": cust.erp_code,
        "FCustId.FName": cust.name,
        **_kd_user(ctx, c.owner),
        "FSaleDeptId.FName": dept,
        "FSaleOrgId.FName": C.SALE_ORG,
        "F_ZT_ContractNo": c.no,
        "F_ZT_CrmDealId": c.deal_id,
        "FDocumentStatus": "A",
        "FCreateDate": t,
        "FModifyDate": t,
        "FDeliveryDate": (t // DAY + int(rng.integers(7, 40))) * DAY,
    }
    for la in line_amounts:
        m = mats[int(rng.integers(len(mats)))]
        qty = float(max(1, round(la / m.price))) if m.btype == "小鼠类" else 1.0
        eid = ctx.erp_fid("SAL_SaleOrderEntry")
        line = Line(eid, m, qty, la)
        lines.append(line)
        net = line.net
        so.put(
            str(eid),
            t,
            {
                **header,
                "FSaleOrderEntry_FEntryId": eid,
                "FMaterialId.FNumber": m.number,
                "FMaterialId.FName": m.name,
                "FQty": qty,
                "FPrice": round(net / qty, 6),
                "FTaxPrice": round(la / qty, 6),
                "FEntryTaxRate": m.tax_rate * 100,
                "FAmount": net,
                "FTaxAmount": round(la - net, 2),
                "FAllAmount": la,
            },
        )
    submit = t + int(rng.integers(600, 4 * HOUR))
    audit = submit + int(rng.integers(HOUR, 48 * HOUR))
    for ln in lines:
        so.change(str(ln.entry_id), submit, FDocumentStatus="B", FModifyDate=submit)
        so.change(
            str(ln.entry_id), audit, FDocumentStatus="C", FModifyDate=audit, FApproveDate=audit
        )
    # the integration platform copies the audited order to the CRM (and it can drift)
    crm_t = audit + DAY
    drift = rng.random()
    crm_so_id = None
    if drift < 0.02:
        ctx.plant(
            "order_missing_in_crm", t=crm_t, erp_bill_no=bill, contract_no=c.no, amount=amount
        )
    else:
        crm_amount = amount
        if drift < 0.035:
            crm_amount = round(amount * float(rng.choice([0.9, 1.1, 1.05])), 2)
            ctx.plant(
                "order_amount_mismatch",
                t=crm_t,
                erp_bill_no=bill,
                contract_no=c.no,
                erp_amount=amount,
                crm_amount=crm_amount,
            )
        crm_so_id = _crm_order(ctx, c, bill, fid, crm_amount, crm_t)
    if 0.035 <= drift < 0.045 and crm_so_id is not None:
        # un-audited and deleted in the ERP; the CRM copy stays live
        ut = audit + int(rng.integers(2, 20)) * DAY
        for ln in lines:
            so.change(str(ln.entry_id), ut, FDocumentStatus="D", FModifyDate=ut)
            so.delete(str(ln.entry_id), ut + HOUR)
        ctx.plant(
            "order_deleted_in_erp_live_in_crm",
            t=ut + HOUR,
            erp_bill_no=bill,
            crm_id=crm_so_id,
            contract_no=c.no,
            amount=amount,
        )
        return prepaid_left
    if rng.random() < 0.005:
        fake = _number(ctx, "XSDD")
        fake_id = _crm_order(ctx, c, fake, None, round(amount * 0.5, 2), crm_t + HOUR)
        ctx.plant(
            "order_missing_in_erp",
            t=crm_t + HOUR,
            crm_so_number=fake,
            crm_id=fake_id,
            contract_no=c.no,
        )
    # delivery
    delivered_t = None
    if rng.random() < 0.93:
        delivered_t = _after(ctx, audit, 3, 20)
        _delivery(ctx, c, bill, lines, delivered_t)
    # invoice application and invoice
    if delivered_t is not None or rng.random() < 0.3:
        base_t = delivered_t if delivered_t is not None else audit
        if rng.random() < 0.05:
            base_t = audit  # invoiced before delivery
        prepaid_left = _invoice_chain(ctx, c, bill, lines, _after(ctx, base_t, 1, 20), prepaid_left)
    return prepaid_left


def _crm_order(ctx: Ctx, c: Contract, bill: str, fid: int | None, amount: float, t: int) -> str:
    sid = ctx.crm_id("Sales_Orders")
    p = ctx.org.person(c.owner)
    ctx.tl("crm", "Sales_Orders").put(
        sid,
        t,
        {
            "id": sid,
            "Subject": f"{c.no}-{bill}",
            "Owner.id": p.crm_user_id,
            "Owner.name": p.name,
            "Owner.email": p.email,
            "SO_Number": bill,
            "Status": "已审核",
            "Grand_Total": amount,
            "Account_Name.id": c.customer.crm_id,
            "Account_Name.name": c.customer.name,
            "Deal_Name.id": c.deal_id,
            "Contract_No": c.no,
            "ERP_Bill_Id": str(fid) if fid is not None else None,
            "Created_Time": t,
            "Modified_Time": t,
            "Created_By.id": p.crm_user_id,
            "Created_By.name": p.name,
            "Modified_By.id": p.crm_user_id,
            "Modified_By.name": p.name,
        },
    )
    return sid


def _delivery(ctx: Ctx, c: Contract, bill: str, lines: list[Line], t: int) -> None:
    out = ctx.tl("erp", "SAL_OUTSTOCK")
    fid = ctx.erp_fid("SAL_OUTSTOCK")
    no = _number(ctx, "XSCKD")
    audit = t + int(ctx.rng.integers(600, 6 * HOUR))
    for ln in lines:
        eid = ctx.erp_fid("SAL_OUTSTOCKEntry")
        out.put(
            str(eid),
            t,
            {
                "FID": fid,
                "FBillNo": no,
                "FDate": t // DAY * DAY,
                "FCustomerID.FNumber": c.customer.erp_code,
                "FCustomerID.FName": c.customer.name,
                "FSalesManID.FNumber": ctx.org.person(c.owner).workcode,
                "FStockOrgId.FName": C.SALE_ORG,
                "F_ZT_ContractNo": c.no,
                "FEntity_FEntryId": eid,
                "FMaterialId.FNumber": ln.material.number,
                "FRealQty": ln.qty,
                "FTaxPrice": round(ln.amount / ln.qty, 6),
                "FAllAmount": ln.amount,
                "FSrcBillNo": bill,
                "FSoEntryId": ln.entry_id,
                "FStockId.FName": "成品仓" if ln.material.btype == "小鼠类" else "服务虚拟仓",
                "FDocumentStatus": "A",
                "FCreateDate": t,
                "FModifyDate": t,
            },
        )
        out.change(str(eid), audit, FDocumentStatus="C", FModifyDate=audit, FApproveDate=audit)


def _invoice_chain(
    ctx: Ctx, c: Contract, bill: str, lines: list[Line], t: int, prepaid_left: float
) -> float:
    rng = ctx.rng
    org = ctx.org
    total = round(sum(ln.amount for ln in lines), 2)
    assistant = org.assistant_of(c.owner, t // DAY)
    special = c.customer.special_invoice
    apply_no = _number(ctx, "KP")
    rate = lines[0].material.tax_rate
    run = run_workflow(
        ctx,
        "invoice_application",
        assistant,
        t,
        {
            "sqbh": apply_no,
            "htbh": c.no,
            "ddbh": bill,
            "khmc": c.customer.name,
            "fplx": "增值税专用发票" if special else "增值税普通发票",
            "sl": rate * 100,
            "kpje": total,
            "sqrq": t // DAY * DAY,
        },
        request_name=f"开票申请-{c.no}-{bill}",
        amount=total,
        region=c.region,
        outcome="approved",
    )
    if run.finished_t is None:
        return prepaid_left
    if rng.random() < 0.03:
        ctx.plant(
            "invoice_application_not_issued",
            t=run.finished_t,
            apply_no=apply_no,
            request_id=run.request_id,
            contract_no=c.no,
            amount=total,
        )
        return prepaid_left
    it = _after(ctx, run.finished_t, 0, 5)
    issued_amount = total
    if rng.random() < 0.02:
        issued_amount = round(total * float(rng.choice([0.95, 0.9])), 2)
        ctx.plant(
            "invoice_amount_mismatch",
            t=it,
            apply_no=apply_no,
            contract_no=c.no,
            applied=total,
            issued=issued_amount,
        )
    scale_f = issued_amount / total
    inv_lines = [
        Line(ln.entry_id, ln.material, ln.qty, round(ln.amount * scale_f, 2)) for ln in lines
    ]
    inv_lines[-1].amount = round(issued_amount - sum(x.amount for x in inv_lines[:-1]), 2)
    inv = _issue(ctx, c, bill, apply_no, inv_lines, it, special)
    if rng.random() < 0.03:
        # red-letter reversal and re-issue
        rt = _after(ctx, it, 10, 60)
        _issue(
            ctx,
            c,
            bill,
            apply_no,
            [Line(x.entry_id, x.material, -x.qty, -x.amount) for x in inv_lines],
            rt,
            special,
            red_of=inv,
        )
        inv = _issue(ctx, c, bill, apply_no, inv_lines, _after(ctx, rt, 1, 5), special)
    # payment
    owed = issued_amount
    covered = min(prepaid_left, owed)
    prepaid_left = round(prepaid_left - covered, 2)
    owed = round(owed - covered, 2)
    if owed <= 0:
        return prepaid_left
    due_day = inv[1] // DAY + c.terms
    r = rng.random()
    if r < 0.07:
        ctx.plant(
            "receivable_never_paid",
            t=due_day * DAY,
            invoice_no=inv[0],
            contract_no=c.no,
            amount=owed,
        )
        return prepaid_left
    pay_day = max(inv[1] // DAY + 3, due_day + int(rng.normal(5, 25)))
    pay_t = _office(ctx, pay_day)
    if r < 0.12:
        first = round(owed * 0.6, 2)
        _receipt(ctx, c, inv, first, pay_t, claim_invoice=inv)
        _receipt(ctx, c, inv, round(owed - first, 2), _after(ctx, pay_t, 15, 60), claim_invoice=inv)
    else:
        _receipt(ctx, c, inv, owed, pay_t, claim_invoice=inv)
    return prepaid_left


def _issue(
    ctx: Ctx,
    c: Contract,
    bill: str,
    apply_no: str,
    lines: list[Line],
    t: int,
    special: bool,
    red_of: tuple | None = None,
) -> tuple[str, int, float]:
    form = "IV_SALESIC" if special else "IV_SALESOC"
    entry = "FSALESICENTRY" if special else "FSALESOCENTRY"
    iv = ctx.tl("erp", form)
    fid = ctx.erp_fid(form)
    bill_no = _number(ctx, "XSFP")
    # 20-digit number of a fully digital VAT invoice (全电发票)
    ivnum = f"2432{ctx.day:06d}{ctx.stream_no}{ctx.next('ivnum'):09d}"
    total = round(sum(x.amount for x in lines), 2)
    audit = t + int(ctx.rng.integers(600, 4 * HOUR))
    for ln in lines:
        eid = ctx.erp_fid(form + "Entry")
        net = ln.net
        iv.put(
            str(eid),
            t,
            {
                "FID": fid,
                "FBillNo": bill_no,
                "FDate": t // DAY * DAY,
                "FCUSTOMERID.FNumber": c.customer.erp_code,
                "FCUSTOMERID.FName": c.customer.name,
                "FIVNUMBER": ivnum,
                "FRedBlue": "1" if red_of else "0",
                "FSrcInvoiceNo": red_of[0] if red_of else None,
                "FSETTLEORGID.FName": C.SALE_ORG,
                "F_ZT_ContractNo": c.no,
                "F_ZT_OaApplyNo": apply_no,
                f"{entry}_FEntryId": eid,
                "FMATERIALID.FNumber": ln.material.number,
                "FPRICEQTY": ln.qty,
                "FTAXRATE": ln.material.tax_rate * 100,
                "FAMOUNTFOR": net,
                "FDETAILTAXAMOUNTFOR": round(ln.amount - net, 2),
                "FALLAMOUNTFOR": ln.amount,
                "FSRCBILLNO": bill,
                "FDocumentStatus": "A",
                "FCreateDate": t,
                "FModifyDate": t,
            },
        )
        iv.change(str(eid), audit, FDocumentStatus="C", FModifyDate=audit, FApproveDate=audit)
    ar = ctx.tl("erp", "AR_receivable")
    afid = ctx.erp_fid("AR_receivable")
    ar.put(
        str(afid),
        audit,
        {
            "FID": afid,
            "FBillNo": _number(ctx, "AR"),
            "FDATE": t // DAY * DAY,
            "FENDDATE_H": (t // DAY + c.terms) * DAY,
            "FCUSTOMERID.FNumber": c.customer.erp_code,
            "FALLAMOUNTFOR": total,
            "FPayConditon.FName": f"开票后{c.terms}天",
            "F_ZT_ContractNo": c.no,
            "F_ZT_InvoiceNo": ivnum,
            "FSALEERID.FNumber": ctx.org.person(c.owner).workcode,
            "FCancelStatus": "A",
            "FDocumentStatus": "C",
            "FCreateDate": audit,
            "FModifyDate": audit,
            "FApproveDate": audit,
        },
    )
    # CRM copy of the invoice
    ct = audit + DAY
    sid = ctx.crm_id("Invoices")
    p = ctx.org.person(c.owner)
    ctx.tl("crm", "Invoices").put(
        sid,
        ct,
        {
            "id": sid,
            "Subject": f"{c.no}-{ivnum}",
            "Owner.id": p.crm_user_id,
            "Owner.name": p.name,
            "Owner.email": p.email,
            "Invoice_Number": ivnum,
            "Invoice_Date": t // DAY * DAY,
            "Status": "红冲" if red_of else "已开票",
            "Grand_Total": total,
            "Account_Name.id": c.customer.crm_id,
            "Account_Name.name": c.customer.name,
            "Sales_Order.name": bill,
            "Contract_No": c.no,
            "ERP_Bill_Id": str(fid),
            "Created_Time": ct,
            "Modified_Time": ct,
        },
    )
    return (ivnum, t, total)


def _payer(ctx: Ctx, cust: Customer) -> tuple[str, str, str]:
    r = ctx.rng.random()
    name = cust.name
    if cust.ctype in ("高校", "医院", "科研院所"):
        base = name.split("课题组")[0]
        name = base + ("财务处" if r < 0.5 else "")
    elif r < 0.1:
        name = name + "(代付)"
    account = f"6222{cust.idx:012d}"
    bank = ["中国银行", "建设银行", "工商银行", "农业银行", "交通银行"][cust.idx % 5]
    return name, account, bank


def _receipt(
    ctx: Ctx, c: Contract, inv: tuple | None, amount: float, t: int, claim_invoice: tuple | None
) -> None:
    """Money arrives at the bank; usually someone claims it in OA and finance books it."""
    rng = ctx.rng
    acc_i = int(rng.random() < 0.4)
    bank_name, acc_no, _fmt = C.BANK_ACCOUNTS[acc_i]
    serial = ctx.number("CMB" if acc_i == 0 else "ICBC")
    payer, payer_acc, payer_bank = _payer(ctx, c.customer)
    memo = ["货款", f"{c.no}款", "实验费", "测试费", "", "合同款"][int(rng.integers(6))]
    ctx.tl("bank", "statements").put(
        serial,
        t,
        {
            "serial_no": serial,
            "account_no": acc_no,
            "bank_name": bank_name,
            "txn_time": t,
            "payer_name": payer,
            "payer_account": payer_acc,
            "payer_bank": payer_bank,
            "amount": amount,
            "memo": memo,
        },
    )
    if rng.random() < 0.02:
        ctx.plant(
            "unclaimed_receipt", t=t, serial_no=serial, amount=amount, payer=payer, contract_no=c.no
        )
        return
    claimer = c.owner if rng.random() < 0.7 else ctx.org.assistant_of(c.owner, t // DAY)
    ct = _after(ctx, t, 1, 10)
    mode = rng.random()
    fphm = claim_invoice[0] if (claim_invoice and mode < 0.6) else None
    ddbh = None
    claim_no = _number(ctx, "RL")
    run = run_workflow(
        ctx,
        "payment_claim",
        claimer,
        ct,
        {
            "rlbh": claim_no,
            "yhlsh": serial,
            "fkrmc": payer,
            "rlje": amount,
            "htbh": c.no,
            "ddbh": ddbh,
            "fphm": fphm,
            "rlrq": ct // DAY * DAY,
        },
        request_name=f"来款认领-{serial}",
        amount=amount,
        region=c.region,
        outcome="approved",
    )
    if run.finished_t is None:
        return
    bt = _after(ctx, run.finished_t, 0, 3)
    rb = ctx.tl("erp", "AR_RECEIVEBILL")
    fid = ctx.erp_fid("AR_RECEIVEBILL")
    rb.put(
        str(fid),
        bt,
        {
            "FID": fid,
            "FBillNo": _number(ctx, "SKD"),
            "FDate": t // DAY * DAY,
            "FCONTACTUNIT.FNumber": c.customer.erp_code,
            "FPAYUNIT.FName": payer,
            "FRECTOTALAMOUNTFOR": amount,
            "F_ZT_BankSerialNo": serial,
            "F_ZT_OaClaimNo": claim_no,
            "F_ZT_ContractNo": c.no,
            "F_ZT_InvoiceNo": fphm,
            "FSETTLEORGID.FName": C.SALE_ORG,
            "FDocumentStatus": "A",
            "FCreateDate": bt,
            "FModifyDate": bt,
        },
    )
    at = bt + int(rng.integers(HOUR, 24 * HOUR))
    rb.change(str(fid), at, FDocumentStatus="C", FModifyDate=at, FApproveDate=at)
