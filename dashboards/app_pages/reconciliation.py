"""对账 — Reconciliation: where the CRM, ERP, OA and the bank disagree (customers, orders,
contracts, invoice applications, invoices, claims, receipts), with counts, the money at stake
and every record's id in each system.

Scope (queries_recon): everything for executives and finance; others see the issues of the
salespeople in their scope. The person an issue is routed to is named (employee code) only
when they are in the viewer's scope too; otherwise the assignee column says "outside your
scope" and the role column says who fixes it (e.g. 销售内勤 of the salesperson's new team).
"""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboards.lib import db, fmt, ui
from dashboards.lib import queries_recon as q
from dashboards.lib.access import Scope
from dashboards.lib.auth import page_guard
from dashboards.lib.i18n import lang, tr
from dashboards.lib.queries_common import as_dates, per_value


def show(df, name, labels=None, key=None):
    """Every row with an Excel download (ui.table), dates shown as dates."""
    ui.table(as_dates(df), name, labels, key=key)


SEVERITY = {"high": ("高", "High"), "medium": ("中", "Medium"), "low": ("低", "Low")}
SEVERITY_COLORS = {
    "高": "#E15759",
    "中": "#F28E2B",
    "低": "#BAB0AC",
    "High": "#E15759",
    "Medium": "#F28E2B",
    "Low": "#BAB0AC",
}
ROLE = {
    "assistant": ("销售内勤", "Sales assistant"),
    "sales": ("销售", "Salesperson"),
    "owner": ("销售", "Salesperson"),
    "manager": ("大区经理", "Manager"),
    "finance": ("财务", "Finance"),
}


@st.cache_data(ttl=600, show_spinner=False)
def load_checks(pub: str) -> pd.DataFrame:
    return q.checks()


@st.cache_data(ttl=600, show_spinner=False)
def load_summary(pub: str, scope: Scope, f: q.ReconFilters) -> pd.DataFrame:
    return q.summary(scope, f)


@st.cache_data(ttl=600, show_spinner=False)
def load_issues(pub: str, scope: Scope, f: q.ReconFilters) -> pd.DataFrame:
    return q.issues(scope, f)


def sev(s) -> str:
    return tr(*SEVERITY.get(s, (s, s)))


scope = page_guard("reconciliation")
ui.page_header(
    tr("对账", "Reconciliation"),
    tr(
        "CRM、ERP、OA 与银行流水之间不一致的记录：数量、涉及金额和各系统单据号。",
        "Records the CRM, ERP, OA and bank statements disagree on: counts, money at stake "
        "and each system's document ids.",
    ),
)
if not scope.sees_everything:
    st.caption(
        tr(
            "范围：责任销售在您可见范围内的问题；处理人不在您范围内时只显示其角色。",
            "Scope: issues whose responsible salesperson is in your scope; an assignee outside "
            "your scope is shown by role only.",
        )
    )
pub = db.publish_id()
meta = load_checks(pub)
zh = lang() == "zh"
check_names = dict(
    zip(meta["check_code"], meta["check_name_zh" if zh else "check_name_en"], strict=False)
)
type_names = dict(
    zip(meta["issue_type"], meta["issue_name_zh" if zh else "issue_name_en"], strict=False)
)

with st.container(border=True):
    c1, c2, c3 = st.columns([3, 2, 3])
    sel_checks = c1.multiselect(
        tr("对账项目", "Check"),
        list(check_names),
        format_func=lambda c: check_names.get(c, c),
        placeholder=tr("全部项目", "All checks"),
        key="r_checks",
    )
    sel_sev = c2.multiselect(
        tr("严重程度", "Severity"),
        list(q.SEVERITIES),
        format_func=sev,
        placeholder=tr("全部", "All"),
        key="r_sev",
    )
    types_for = meta[meta["check_code"].isin(sel_checks)] if sel_checks else meta
    sel_types = c3.multiselect(
        tr("问题类型", "Issue type"),
        sorted(types_for["issue_type"].unique()),
        format_func=lambda t: type_names.get(t, t),
        placeholder=tr("全部类型", "All types"),
        key="r_types",
    )
    c4, c5 = st.columns([3, 2])
    text = c4.text_input(
        tr("搜索（合同、客户、单据号）", "Search (contract, customer, document no.)"), key="r_text"
    )
    min_days = c5.number_input(
        tr("至少已存在天数", "Open at least (days)"), min_value=0, value=0, step=7, key="r_days"
    )

f = q.ReconFilters(
    checks=tuple(sel_checks),
    severities=tuple(sel_sev),
    issue_types=tuple(sel_types),
    min_days_open=int(min_days or 0),
    text=text or "",
)
summ = load_summary(pub, scope, f)
iss = load_issues(pub, scope, f)

total = int(summ["issue_count"].sum()) if len(summ) else 0
high = int(summ.loc[summ["severity"] == "high", "issue_count"].sum()) if len(summ) else 0
older = int(summ["older_than_30_days_count"].sum()) if len(summ) else 0
stake = summ["absolute_difference_amount"].astype(float).sum() if len(summ) else 0.0
m = st.columns(4)
m[0].metric(tr("未解决问题", "Open issues"), fmt.count(total))
m[1].metric(tr("高严重度", "High severity"), fmt.count(high))
m[2].metric(tr("超过30天", "Older than 30 days"), fmt.count(older))
m[3].metric(
    tr("涉及金额差异", "Money at stake"), fmt.wan(stake), help=tr("Σ|差额|", "Σ |difference|")
)

if total == 0:
    ui.empty(tr("没有未解决的对账问题。", "No open reconciliation issues."))
else:
    chart = summ[summ["issue_count"] > 0].copy()
    chart["check"] = chart["check_name_zh" if zh else "check_name_en"]
    chart["sev"] = per_value(chart["severity"], sev)
    chart["issue"] = chart["issue_name_zh" if zh else "issue_name_en"]
    by = chart.groupby(["check", "sev"], as_index=False)["issue_count"].sum()
    order = by.groupby("check")["issue_count"].sum().sort_values().index.tolist()
    fig = px.bar(
        by,
        y="check",
        x="issue_count",
        color="sev",
        orientation="h",
        category_orders={"check": order, "sev": [sev(s) for s in q.SEVERITIES]},
        color_discrete_map=SEVERITY_COLORS,
        title=tr("各对账项目的未解决问题", "Open issues by check"),
        labels={
            "check": "",
            "issue_count": tr("问题数", "Issues"),
            "sev": tr("严重程度", "Severity"),
        },
    )
    fig.update_layout(
        height=max(220, 40 * len(order) + 80),
        margin=dict(l=10, r=10, t=10, b=10),
        legend=dict(orientation="h", y=-0.25),
    )
    st.plotly_chart(fig, width="stretch", key="r_chart")

W = tr("(万元)", " (¥10k)")
tab_sum, tab_iss = st.tabs(
    [tr("汇总", "Summary"), tr(f"问题明细 ({len(iss):,})", f"Issues ({len(iss):,})")]
)
with tab_sum:
    out = summ.copy()
    out["check"] = out["check_name_zh" if zh else "check_name_en"]
    out["issue"] = out["issue_name_zh" if zh else "issue_name_en"]
    out["severity"] = per_value(out["severity"], sev)
    out["owner_role"] = per_value(out["owner_role"], lambda r: tr(*ROLE.get(r, (r, r))))
    out["absolute_difference_amount"] = out["absolute_difference_amount"].fillna(0)
    out = fmt.to_wan(out, ["absolute_difference_amount"])
    show(
        out[
            [
                "check",
                "issue",
                "severity",
                "issue_count",
                "older_than_30_days_count",
                "customer_count",
                "absolute_difference_amount",
                "oldest_days_open",
                "owner_role",
            ]
        ],
        "reconciliation_summary",
        {
            "check": tr("对账项目", "Check"),
            "issue": tr("问题类型", "Issue"),
            "severity": tr("严重程度", "Severity"),
            "issue_count": tr("问题数", "Issues"),
            "older_than_30_days_count": tr("超过30天", "> 30 days"),
            "customer_count": tr("涉及客户", "Customers"),
            "absolute_difference_amount": tr("金额差异", "Money at stake") + W,
            "oldest_days_open": tr("最久天数", "Oldest (days)"),
            "owner_role": tr("处理角色", "Fixed by"),
        },
        key="r_summary",
    )
with tab_iss:
    out = iss.copy()
    out["check"] = out["check_name_zh" if zh else "check_name_en"]
    out["issue"] = out["issue_name_zh" if zh else "issue_name_en"]
    out["severity"] = per_value(out["severity"], sev)
    out["owner_role"] = per_value(out["owner_role"], lambda r: tr(*ROLE.get(r, (r, r))))
    # the assignee's code is withheld (NULL) by the query when they are outside the scope
    elsewhere = out["owner_outside_scope"].fillna(False).astype(bool)
    out["owner_employee_code"] = out["owner_employee_code"].astype(object)
    out.loc[elsewhere, "owner_employee_code"] = tr("不在您的范围内", "outside your scope")
    out = out.drop(
        columns=[
            "check_name_zh",
            "check_name_en",
            "issue_name_zh",
            "issue_name_en",
            "owner_outside_scope",
        ]
    )
    lead = ["check", "issue", "severity"]
    out = out[lead + [c for c in out.columns if c not in lead]]
    out = fmt.to_wan(
        out, ["crm_amount", "erp_amount", "oa_amount", "bank_amount", "difference_amount"]
    )
    show(
        out,
        "reconciliation_issues",
        {
            "check": tr("对账项目", "Check"),
            "issue": tr("问题类型", "Issue"),
            "severity": tr("严重程度", "Severity"),
            "days_open": tr("已存在天数", "Days open"),
            "first_seen": tr("发现日期", "First seen"),
            "contract_no": tr("合同编号", "Contract"),
            "customer_name": tr("客户", "Customer"),
            "details": tr("差异说明", "Details"),
            "crm_amount": "CRM" + W,
            "erp_amount": "ERP" + W,
            "oa_amount": "OA" + W,
            "bank_amount": tr("银行", "Bank") + W,
            "difference_amount": tr("差额", "Difference") + W,
            "crm_account_id": tr("CRM客户ID", "CRM account"),
            "crm_order_no": tr("CRM订单号", "CRM order no."),
            "crm_invoice_number": tr("CRM发票号", "CRM invoice no."),
            "erp_customer_code": tr("ERP客户编码", "ERP customer"),
            "erp_order_no": tr("ERP订单号", "ERP order"),
            "erp_invoice_number": tr("ERP发票号", "ERP invoice"),
            "erp_receipt_no": tr("ERP收款单号", "ERP receipt"),
            "oa_request_id": tr("OA单据ID", "OA request"),
            "oa_application_no": tr("OA开票申请号", "OA application"),
            "oa_claim_no": tr("OA认领单号", "OA claim"),
            "bank_serial_no": tr("银行流水号", "Bank serial no."),
            "owner_role": tr("处理角色", "Fixed by"),
            "owner_employee_code": tr("处理人工号", "Assignee"),
            "responsible_employee_code": tr("责任销售工号", "Responsible"),
            "issue_id": tr("问题ID", "Issue id"),
            "check_code": tr("项目代码", "Check code"),
            "issue_type": tr("类型代码", "Type code"),
        },
        key="r_issues",
    )
