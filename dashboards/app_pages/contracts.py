"""合同档案查询 — Contract archive: find contracts by number, name, customer, paper copy
sent / received, started; open one to see its changes, projects, orders, invoices and
receipts with the source-system document id behind every figure.

Scope: the contract owner (fct_contracts.owner_employee_code), in the SQL of every query.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from dashboards.lib import db, fmt, ui
from dashboards.lib import queries_contracts as q
from dashboards.lib.access import Scope
from dashboards.lib.auth import page_guard
from dashboards.lib.i18n import lang, tr
from dashboards.lib.queries_common import as_dates, per_value


def show(df, name, labels=None, key=None):
    """Every row with an Excel download (ui.table), dates shown as dates."""
    ui.table(as_dates(df), name, labels, key=key)


MAX_PICK = 3000  # above this the detail is opened by typing the number
LIST_LIMIT = 5000  # above this the list is offered as a download instead of on screen

STATUS = {
    "签订前": "Pre-signing",
    "签订中": "Signing",
    "履行中": "Performing",
    "完成": "Completed",
    "终止": "Terminated",
    "作废": "Void",
}
OUTCOME = {
    "approved": ("已批准", "approved"),
    "rejected": ("已否决", "rejected"),
    "withdrawn": ("已撤回", "withdrawn"),
    "draft": ("草稿", "draft"),
    "returned": ("已退回", "returned"),
    "pending": ("审批中", "pending"),
    "draft_or_returned": ("草稿/退回", "draft or returned"),
    "unknown": ("未知", "unknown"),
}


@st.cache_data(ttl=600, show_spinner=False)
def load_list(pub: str, scope: Scope, f: q.ContractFilters) -> pd.DataFrame:
    return q.search(scope, f)


@st.cache_data(ttl=600, show_spinner=False)
def load_detail(pub: str, scope: Scope, contract_no: str) -> dict[str, pd.DataFrame]:
    head = q.contract(scope, contract_no)
    if head.empty:
        return {"contract": head}
    return {
        "contract": head,
        "changes": q.changes(scope, contract_no),
        "projects": q.projects(scope, contract_no),
        "orders": q.orders(scope, contract_no),
        "invoices": q.invoices(scope, contract_no),
        "claims": q.claims(scope, contract_no),
        "allocations": q.allocations(scope, contract_no),
    }


def yes_no(v) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NA:
        return "—"
    return tr("是", "Yes") if bool(v) else tr("否", "No")


def tri_state(label: str, key: str) -> bool | None:
    choice = st.selectbox(
        label,
        ("all", "yes", "no"),
        format_func=lambda v: {
            "all": tr("全部", "All"),
            "yes": tr("是", "Yes"),
            "no": tr("否", "No"),
        }[v],
        key=key,
    )
    return None if choice == "all" else choice == "yes"


def date_range(label: str, key: str) -> tuple[dt.date | None, dt.date | None]:
    value = st.date_input(label, value=(), key=key, format="YYYY-MM-DD")
    if isinstance(value, dt.date):
        return value, value
    value = tuple(value or ())
    if len(value) == 1:
        return value[0], value[0]
    if len(value) == 2:
        return value[0], value[1]
    return None, None


def status_text(s) -> str:
    return s if lang() == "zh" else STATUS.get(s, s)


def outcome_text(s) -> str:
    if s is None or (isinstance(s, float) and pd.isna(s)):
        return "—"
    return tr(*OUTCOME.get(s, (s, s)))


scope = page_guard("contracts")
ui.page_header(
    tr("合同档案查询", "Contract archive"),
    tr(
        "按编号、名称、客户、原件寄出/收回、是否启动查找合同；选中一份合同查看变更、项目、订单、"
        "发票与回款，以及每个数字对应的来源系统单据号。",
        "Find contracts by number, name, customer, paper copy sent / back and started; open one "
        "for its changes, projects, orders, invoices and receipts with the source document ids.",
    ),
)

with st.container(border=True):
    c1, c2, c3 = st.columns(3)
    number = c1.text_input(tr("合同编号", "Contract number"), key="c_number", placeholder="HT-…")
    name = c2.text_input(tr("合同名称", "Contract name"), key="c_name")
    customer = c3.text_input(tr("客户名称", "Customer"), key="c_customer")
    c4, c5, c6 = st.columns(3)
    with c4:
        received = tri_state(tr("原件已收回", "Paper copy back"), "c_received")
    with c5:
        started = tri_state(tr("已启动", "Started"), "c_started")
    statuses = c6.multiselect(
        tr("合同状态", "Status"),
        list(STATUS),
        format_func=status_text,
        placeholder=tr("全部状态", "All statuses"),
        key="c_status",
    )
    c7, c8 = st.columns(2)
    with c7:
        sent_from, sent_to = date_range(tr("寄出日期（起止）", "Sent between"), "c_sent")
    with c8:
        recv_from, recv_to = date_range(tr("收到日期（起止）", "Received between"), "c_recv")

filters = q.ContractFilters(
    number=number or "",
    name=name or "",
    customer=customer or "",
    received=received,
    sent_from=sent_from,
    sent_to=sent_to,
    received_from=recv_from,
    received_to=recv_to,
    started=started,
    statuses=tuple(statuses),
)
pub = db.publish_id()
found = load_list(pub, scope, filters)

m1, m2, m3, m4 = st.columns(4)
m1.metric(tr("合同数", "Contracts"), fmt.count(len(found)))
m2.metric(tr("合同额", "Contract amount"), fmt.wan(found["amount"].sum() if len(found) else 0))
m3.metric(
    tr("原件已收回", "Paper copy back"),
    fmt.count(found["is_paper_received"].fillna(False).astype(bool).sum() if len(found) else 0),
)
m4.metric(
    tr("已启动", "Started"),
    fmt.count(found["is_started"].fillna(False).astype(bool).sum() if len(found) else 0),
)

shown = fmt.to_wan(found, ["amount"])
# translate once per value, not per row (tr() reads the session state)
yes, no = tr("是", "Yes"), tr("否", "No")
for col in ("is_paper_received", "is_started"):
    shown[col] = shown[col].map({True: yes, False: no}).fillna("—")
shown["status"] = shown["status"].map({k: status_text(k) for k in shown["status"].unique()})
LIST_LABELS = {
    "contract_no": tr("合同编号", "Contract no."),
    "contract_name": tr("合同名称", "Name"),
    "customer_name": tr("客户", "Customer"),
    "contract_type": tr("合同类型", "Type"),
    "business_type": tr("业务类型", "Business"),
    "owner_name": tr("销售", "Owner"),
    "owner_region": tr("大区", "Region"),
    "status": tr("状态", "Status"),
    "signed_date": tr("签订日期", "Signed"),
    "amount": tr("合同额(万元)", "Amount (¥10k)"),
    "paper_sent_date": tr("寄出日期", "Sent"),
    "paper_received_date": tr("收到日期", "Received"),
    "is_paper_received": tr("原件已收回", "Paper back"),
    "is_started": tr("已启动", "Started"),
    "first_start_date": tr("首次启动日期", "First start"),
    "end_date": tr("结束日期", "Ends"),
    "oa_request_id": tr("OA审批单号", "OA request id"),
}
if len(shown) > LIST_LIMIT:
    # tens of thousands of rows help nobody on screen and take seconds to send to the
    # browser: say so, offer every row as a download, and ask for a filter
    ui.empty(
        tr(
            f"共 {len(shown):,} 份合同，超过 {LIST_LIMIT:,} 份时不在页面逐行列出："
            "请设置筛选条件（如合同编号、客户、日期），或下载全部记录。",
            f"{len(shown):,} contracts: lists longer than {LIST_LIMIT:,} rows are not shown "
            "on screen — set a filter (number, customer, dates) or download every row.",
        )
    )
    listed = as_dates(shown).rename(columns=LIST_LABELS)
    st.download_button(
        tr(f"下载全部 {len(shown):,} 份合同（Excel）", f"Download all {len(shown):,} (Excel)"),
        data=lambda: ui.excel_bytes(listed, "contracts"),
        file_name="contracts.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        on_click="ignore",
        icon=":material/download:",
        key="dl_contracts_all",
    )
else:
    show(shown, "contracts", LIST_LABELS, key="contracts_list")

# ---- detail -----------------------------------------------------------------------------
st.subheader(tr("合同详情", "Contract detail"))
chosen: str | None = None
if found.empty:
    pass
elif len(found) <= MAX_PICK:
    # display text -> number (no format_func: AppTest cannot round-trip one)
    options = {
        f"{no} · {nm}": no
        for no, nm in zip(found["contract_no"], found["contract_name"].fillna(""), strict=False)
    }
    picked = st.selectbox(
        tr("选择合同", "Choose a contract"),
        list(options),
        index=None,
        placeholder=tr("选择或输入合同编号…", "Pick or type a contract number…"),
        key="c_pick",
    )
    chosen = options.get(picked) if picked else None
else:
    st.caption(
        tr(
            f"共 {len(found):,} 份合同，请缩小筛选条件，或直接输入完整合同编号：",
            f"{len(found):,} contracts: narrow the filters, or type a full contract number:",
        )
    )
    typed = st.text_input(tr("完整合同编号", "Full contract number"), key="c_exact")
    chosen = typed.strip() or None

if chosen is None:
    ui.empty(
        tr(
            "选择一份合同查看其变更、项目、订单、发票与回款。",
            "Choose a contract to see its changes, projects, orders, invoices and receipts.",
        )
    )
    st.stop()

detail = load_detail(pub, scope, chosen)
head = detail["contract"]
if head.empty:
    ui.empty(tr("没有找到该合同（或不在您的查看范围内）。", "No such contract in your scope."))
    st.stop()
c = head.iloc[0]

st.markdown(f"#### {c['contract_no']} · {c['contract_name'] or ''}")
st.caption(
    " · ".join(
        str(x)
        for x in (
            c["customer_name"],
            c["contract_type"],
            c["business_type"],
            status_text(c["status"]),
            tr("销售 ", "Owner ") + str(c["owner_name"] or "—"),
            c["owner_region"],
        )
        if x is not None and not (isinstance(x, float) and pd.isna(x))
    )
)
k = st.columns(6)
k[0].metric(tr("合同额", "Contract amount"), fmt.wan(c["amount"]))
k[1].metric(tr("已发货", "Delivered"), fmt.wan(c["delivered_amount_incl_tax"]))
k[2].metric(tr("已开票", "Invoiced"), fmt.wan(c["invoiced_amount_incl_tax"]))
k[3].metric(tr("已回款", "Collected"), fmt.wan(c["collected_amount_incl_tax"]))
k[4].metric(
    tr("已发货未开票", "Delivered, not invoiced"), fmt.wan(c["delivered_not_invoiced_incl_tax"])
)
k[5].metric(tr("应收余额", "Open AR"), fmt.wan(c["open_ar_amount"]))


def _v(x):
    """None for missing values; dates (Timestamps at midnight) as YYYY-MM-DD."""
    if x is None or x is pd.NaT or x is pd.NA or (isinstance(x, float) and pd.isna(x)):
        return None
    if isinstance(x, pd.Timestamp | dt.datetime):
        return x.date().isoformat() if x == x.normalize() else str(x)
    if isinstance(x, dt.date):
        return x.isoformat()
    return x


facts = [
    (
        tr("合同审批", "Contract approval"),
        "OA",
        _v(c["oa_request_id"]),
        outcome_text(c["approval_outcome"]),
    ),
    (tr("商机", "Opportunity"), "CRM", _v(c["crm_deal_id"]), None),
    (tr("客户", "Customer"), "CRM", _v(c["crm_account_id"]), _v(c["customer_name"])),
    (tr("客户", "Customer"), "ERP", _v(c["erp_customer_code"]), None),
    (
        tr("合同终止", "Termination"),
        "OA",
        _v(c["termination_request_id"]),
        _v(c["termination_reason"]),
    ),
    (
        tr("预付款转入自", "Prepayment transferred from"),
        "OA",
        _v(c["transferred_from_contract_no"]),
        None,
    ),
    (
        tr("预付款转出至", "Prepayment transferred to"),
        "OA",
        _v(c["transferred_to_contract_no"]),
        None,
    ),
]
dates = pd.DataFrame(
    [
        (tr("签订日期", "Signed"), _v(c["signed_date"]) or "—"),
        (
            tr("开始 / 结束", "Start / end"),
            f"{_v(c['start_date']) or '—'} / {_v(c['end_date']) or '—'}",
        ),
        (
            tr("原件寄出 / 收到", "Paper sent / back"),
            f"{_v(c['paper_sent_date']) or '—'} / {_v(c['paper_received_date']) or '—'}",
        ),
        (tr("首次启动", "First project start"), _v(c["first_start_date"]) or "—"),
        (tr("付款天数", "Payment terms (days)"), _v(c["payment_terms_days"]) or "—"),
    ],
    columns=[tr("项目", "Item"), tr("值", "Value")],
)
col_a, col_b = st.columns([3, 2])
with col_a:
    st.markdown("**" + tr("来源单据", "Source documents") + "**")
    ids = pd.DataFrame(
        [(a, b, c_, n or "") for a, b, c_, n in facts if c_ is not None],
        columns=[
            tr("单据", "Document"),
            tr("系统", "System"),
            tr("单据号", "Id"),
            tr("说明", "Note"),
        ],
    )
    st.dataframe(ids, hide_index=True, width="stretch")
with col_b:
    st.markdown("**" + tr("关键日期", "Key dates") + "**")
    st.dataframe(dates.astype(str), hide_index=True, width="stretch")

tabs = st.tabs(
    [
        tr(f"变更 ({len(detail['changes'])})", f"Changes ({len(detail['changes'])})"),
        tr(f"项目 ({len(detail['projects'])})", f"Projects ({len(detail['projects'])})"),
        tr(f"订单 ({len(detail['orders'])})", f"Orders ({len(detail['orders'])})"),
        tr(f"发票 ({len(detail['invoices'])})", f"Invoices ({len(detail['invoices'])})"),
        tr(f"来款认领 ({len(detail['claims'])})", f"Payment claims ({len(detail['claims'])})"),
        tr(
            f"回款核销 ({len(detail['allocations'])})",
            f"Applied to invoices ({len(detail['allocations'])})",
        ),
    ]
)
AMOUNT = tr("(元)", " (¥)")
with tabs[0]:
    ch = detail["changes"].copy()
    ch["approval_outcome"] = per_value(ch["approval_outcome"], outcome_text)
    ch["counts_toward_amount"] = per_value(ch["counts_toward_amount"], yes_no)
    show(
        ch,
        f"contract_{chosen}_changes",
        labels={
            "change_seq": tr("序号", "#"),
            "change_date": tr("变更日期", "Date"),
            "amount_before": tr("变更前金额", "Before") + AMOUNT,
            "amount_after": tr("变更后金额", "After") + AMOUNT,
            "amount_delta": tr("变动", "Change") + AMOUNT,
            "change_reason": tr("变更原因", "Reason"),
            "approval_outcome": tr("审批结果", "Outcome"),
            "approved_date": tr("批准日期", "Approved"),
            "counts_toward_amount": tr("计入合同额", "Counts"),
            "change_request_id": tr("OA变更单号", "OA change request"),
        },
        key="c_changes",
    )
with tabs[1]:
    pr = detail["projects"].copy()
    for col in ("start_approval_outcome", "delivery_approval_outcome"):
        pr[col] = per_value(pr[col], outcome_text)
    for col in ("is_started", "is_delivered"):
        pr[col] = per_value(pr[col], yes_no)
    show(
        pr,
        f"contract_{chosen}_projects",
        labels={
            "project_no": tr("项目编号", "Project no."),
            "project_name": tr("项目名称", "Name"),
            "project_manager_name": tr("项目经理", "PM"),
            "project_amount": tr("项目金额", "Amount") + AMOUNT,
            "start_date": tr("启动日期", "Start date"),
            "start_approval_outcome": tr("启动审批", "Start approval"),
            "is_started": tr("已启动", "Started"),
            "delivery_date": tr("交付日期", "Delivery date"),
            "delivery_approval_outcome": tr("交付审批", "Delivery approval"),
            "is_delivered": tr("已交付", "Delivered"),
            "start_request_id": tr("OA启动单号", "OA start request"),
            "delivery_request_id": tr("OA交付单号", "OA delivery request"),
        },
        key="c_projects",
    )
with tabs[2]:
    show(
        detail["orders"],
        f"contract_{chosen}_orders",
        labels={
            "erp_order_no": tr("ERP销售订单号", "ERP sales order"),
            "order_date": tr("订单日期", "Order date"),
            "lines": tr("行数", "Lines"),
            "ordered_amount_incl_tax": tr("订单金额", "Ordered") + AMOUNT,
            "delivered_amount_incl_tax": tr("已发货", "Delivered") + AMOUNT,
            "invoiced_amount_incl_tax": tr("已开票", "Invoiced") + AMOUNT,
            "collected_amount_incl_tax": tr("已回款", "Collected") + AMOUNT,
            "delivered_not_invoiced_incl_tax": tr("已发货未开票", "Delivered not invoiced")
            + AMOUNT,
        },
        key="c_orders",
    )
with tabs[3]:
    inv = detail["invoices"].copy()
    inv["is_effective"] = per_value(inv["is_effective"], yes_no)
    show(
        inv,
        f"contract_{chosen}_invoices",
        labels={
            "invoice_number": tr("发票号码", "VAT invoice no."),
            "invoice_date": tr("开票日期", "Date"),
            "invoice_kind": tr("发票类型", "Kind"),
            "red_blue": tr("红/蓝字", "Red/blue"),
            "amount_incl_tax": tr("价税合计", "Amount incl. tax") + AMOUNT,
            "net_amount_incl_tax": tr("冲红后净额", "Net of red letters") + AMOUNT,
            "due_date": tr("到期日", "Due"),
            "is_effective": tr("有效", "Effective"),
            "original_invoice_number": tr("原蓝字发票", "Original invoice"),
            "erp_invoice_bill_no": tr("ERP发票单号", "ERP invoice bill"),
            "erp_form_id": tr("ERP单据类型", "ERP form"),
            "erp_order_no": tr("ERP销售订单号", "ERP sales order"),
            "erp_receivable_no": tr("ERP应收单号", "ERP receivable"),
            "oa_application_no": tr("OA开票申请号", "OA invoice application"),
        },
        key="c_invoices",
    )
with tabs[4]:
    cl = detail["claims"].copy()
    cl["approval_outcome"] = per_value(cl["approval_outcome"], outcome_text)
    cl["counts_as_collection"] = per_value(cl["counts_as_collection"], yes_no)
    show(
        cl,
        f"contract_{chosen}_claims",
        labels={
            "claim_no": tr("认领单号", "Claim no."),
            "claim_date": tr("认领日期", "Claim date"),
            "claim_amount": tr("认领金额", "Claimed") + AMOUNT,
            "approval_outcome": tr("审批结果", "Outcome"),
            "counts_as_collection": tr("计入回款", "Counts as collection"),
            "applied_amount": tr("已核销", "Applied") + AMOUNT,
            "unapplied_amount": tr("未核销", "Unapplied") + AMOUNT,
            "bank_received_date": tr("到账日期", "Received"),
            "payer_name": tr("付款人", "Payer"),
            "bank_serial_no": tr("银行流水号", "Bank serial no."),
            "bank_txn_id": tr("银行流水ID", "Bank statement line"),
            "oa_request_id": tr("OA认领单ID", "OA claim request"),
            "erp_receipt_no": tr("ERP收款单号", "ERP receipt bill"),
            "named_invoice_number": tr("指定发票", "Names invoice"),
            "named_erp_order_no": tr("指定订单", "Names order"),
        },
        key="c_claims",
    )
with tabs[5]:
    show(
        detail["allocations"],
        f"contract_{chosen}_allocations",
        labels={
            "document_no": tr("认领/转账单号", "Claim / transfer no."),
            "credit_type": tr("来源", "Credit type"),
            "credit_date": tr("日期", "Date"),
            "ar_invoice_number": tr("核销发票", "Invoice paid"),
            "applied_amount": tr("核销金额", "Applied") + AMOUNT,
            "allocation_method": tr("核销方式", "Method"),
            "allocation_date": tr("核销日期", "Applied on"),
            "days_paid_after_due": tr("逾期天数", "Days after due"),
            "bank_serial_no": tr("银行流水号", "Bank serial no."),
            "oa_request_id": tr("OA单号", "OA request"),
        },
        key="c_allocations",
    )
