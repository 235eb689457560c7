"""开票与回款 — Invoicing & collections: what was delivered but not invoiced, invoiced but not
collected, and the money that came in but is not claimed or not applied yet.

Scope (in the SQL): contract owner; order lines by the order's salesperson or the contract
owner; unclaimed receipts by the owner of the payer's likely customer (see
queries_billing).
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboards.lib import db, fmt, ui
from dashboards.lib import queries_billing as q
from dashboards.lib.access import Scope
from dashboards.lib.auth import page_guard
from dashboards.lib.i18n import tr
from dashboards.lib.queries_common import as_dates, per_value


def show(df, name, labels=None, key=None):
    """Every row with an Excel download (ui.table), dates shown as dates."""
    ui.table(as_dates(df), name, labels, key=key)


AGE_ZH = {
    "1-30 days": "1-30天",
    "31-60 days": "31-60天",
    "61-90 days": "61-90天",
    "91-180 days": "91-180天",
    "181-365 days": "181-365天",
    "Over 365 days": "365天以上",
}


@st.cache_data(ttl=600, show_spinner=False)
def load_totals(pub: str, scope: Scope, f: q.BillingFilters) -> pd.DataFrame:
    return q.totals(scope, f)


@st.cache_data(ttl=600, show_spinner=False)
def load_by_region(pub: str, scope: Scope, f: q.BillingFilters) -> pd.DataFrame:
    return q.by_region(scope, f)


@st.cache_data(ttl=600, show_spinner=False)
def load_contracts(pub: str, scope: Scope, f: q.BillingFilters, metric: str) -> pd.DataFrame:
    return q.contracts(scope, f, metric)


@st.cache_data(ttl=600, show_spinner=False)
def load_lines(pub: str, scope: Scope, f: q.BillingFilters, metric: str) -> pd.DataFrame:
    return q.order_lines(scope, f, metric)


@st.cache_data(ttl=600, show_spinner=False)
def load_unclaimed(pub: str, scope: Scope, f: q.BillingFilters) -> pd.DataFrame:
    return q.unclaimed(scope, f)


@st.cache_data(ttl=600, show_spinner=False)
def load_unapplied(pub: str, scope: Scope, f: q.BillingFilters) -> pd.DataFrame:
    return q.unapplied(scope, f)


scope = page_guard("billing")
ui.page_header(
    tr("开票与回款", "Invoicing & collections"),
    tr(
        "已发货未开票、已开票未收款、未认领来款与未核销款；金额为含税，单位万元。",
        "Delivered not invoiced, invoiced not collected, unclaimed and unapplied cash; "
        "amounts tax-inclusive in ¥10k (万元).",
    ),
)
pub = db.publish_id()

with st.container(border=True):
    c1, c2, c3 = st.columns(3)
    customer = c1.text_input(tr("客户 / 付款人名称", "Customer / payer name"), key="b_customer")
    contract = c2.text_input(tr("合同编号", "Contract number"), key="b_contract")
    regions = c3.multiselect(
        tr("大区", "Region"),
        list(scope.regions),
        placeholder=tr("全部大区", "All regions"),
        key="b_regions",
        disabled=not scope.regions,
    )
f = q.BillingFilters(customer=customer or "", contract=contract or "", regions=tuple(regions))

totals = load_totals(pub, scope, f).iloc[0]
unclaimed = load_unclaimed(pub, scope, f)
unapplied = load_unapplied(pub, scope, f)

m = st.columns(4)
m[0].metric(
    tr("已发货未开票", "Delivered, not invoiced"),
    fmt.wan(totals["dni_incl"]),
    help=tr(
        f"{int(totals['dni_contracts']):,} 份合同；不含税 {fmt.wan(totals['dni_excl'])}",
        f"{int(totals['dni_contracts']):,} contracts; excl. tax {fmt.wan(totals['dni_excl'])}",
    ),
)
m[1].metric(
    tr("已开票未收款", "Invoiced, not collected"),
    fmt.wan(totals["inc_incl"]),
    help=tr(
        f"{int(totals['inc_contracts']):,} 份合同；不含税 {fmt.wan(totals['inc_excl'])}；"
        f"其中已逾期应收 {fmt.wan(totals['overdue_ar'])}",
        f"{int(totals['inc_contracts']):,} contracts; excl. tax {fmt.wan(totals['inc_excl'])}; "
        f"overdue AR {fmt.wan(totals['overdue_ar'])}",
    ),
)
m[2].metric(
    tr("未认领来款", "Unclaimed receipts"),
    fmt.wan(unclaimed["amount"].sum() if len(unclaimed) else 0),
    help=tr(f"{len(unclaimed):,} 笔银行来款", f"{len(unclaimed):,} bank receipts"),
)
m[3].metric(
    tr("未核销款", "Unapplied cash"),
    fmt.wan(unapplied["unapplied_amount"].sum() if len(unapplied) else 0),
    help=tr(
        "已认领但尚未核销到发票的回款（含预收款）",
        "Claimed money not yet applied to invoices (prepayments included)",
    ),
)
st.caption(
    tr(
        f"已发货未开票 {int(totals['dni_contracts']):,} 份合同 · 已开票未收款 "
        f"{int(totals['inc_contracts']):,} 份合同 · 未认领来款 {len(unclaimed):,} 笔",
        f"Delivered not invoiced: {int(totals['dni_contracts']):,} contracts · invoiced not "
        f"collected: {int(totals['inc_contracts']):,} contracts · unclaimed: "
        f"{len(unclaimed):,} receipts",
    )
)

regions_df = load_by_region(pub, scope, f)
if not regions_df.empty:
    regions_df["region"] = regions_df["region"].replace("—", tr("未知大区", "Unknown"))
    regions_df = regions_df.assign(
        _t=regions_df["dni_incl"].astype(float) + regions_df["inc_incl"].astype(float)
    ).sort_values("_t", ascending=False)
    fig = go.Figure()
    fig.add_bar(
        name=tr("已发货未开票", "Delivered, not invoiced"),
        x=regions_df["region"],
        y=regions_df["dni_incl"].astype(float) / 10_000,
        marker_color="#F28E2B",
    )
    fig.add_bar(
        name=tr("已开票未收款", "Invoiced, not collected"),
        x=regions_df["region"],
        y=regions_df["inc_incl"].astype(float) / 10_000,
        marker_color="#4E79A7",
    )
    fig.update_layout(
        barmode="group",
        height=300,
        margin=dict(l=10, r=10, t=30, b=10),
        title=tr("按大区（万元）", "By region (¥10k)"),
        legend=dict(orientation="h", y=1.15, x=1, xanchor="right"),
        yaxis_title=tr("万元", "¥10k"),
    )
    st.plotly_chart(fig, width="stretch", key="b_chart")

AMOUNT_COLS = [
    "contracted_amount_incl_tax",
    "delivered_amount_incl_tax",
    "invoiced_amount_incl_tax",
    "collected_amount_incl_tax",
    "delivered_not_invoiced_incl_tax",
    "delivered_not_invoiced_excl_tax",
    "invoiced_not_collected_incl_tax",
    "invoiced_not_collected_excl_tax",
    "overdue_ar_amount",
    "amount",
    "credited_amount",
    "applied_amount",
    "unapplied_amount",
]
W = tr("(万元)", " (¥10k)")
LABELS = {
    "contract_no": tr("合同编号", "Contract no."),
    "customer_name": tr("客户", "Customer"),
    "owner_name": tr("销售", "Owner"),
    "owner_region": tr("大区", "Region"),
    "status": tr("合同状态", "Status"),
    "contracted_amount_incl_tax": tr("合同额", "Contracted") + W,
    "delivered_amount_incl_tax": tr("已发货", "Delivered") + W,
    "invoiced_amount_incl_tax": tr("已开票", "Invoiced") + W,
    "collected_amount_incl_tax": tr("已回款", "Collected") + W,
    "delivered_not_invoiced_incl_tax": tr("已发货未开票(含税)", "Not invoiced, incl. tax") + W,
    "delivered_not_invoiced_excl_tax": tr("已发货未开票(不含税)", "Not invoiced, excl. tax") + W,
    "invoiced_not_collected_incl_tax": tr("已开票未收款(含税)", "Not collected, incl. tax") + W,
    "invoiced_not_collected_excl_tax": tr("已开票未收款(不含税)", "Not collected, excl. tax") + W,
    "overdue_ar_amount": tr("已逾期应收", "Overdue AR") + W,
    "last_delivery_date": tr("最近发货", "Last delivery"),
    "last_invoice_date": tr("最近开票", "Last invoice"),
    "last_collection_date": tr("最近回款", "Last collection"),
    "erp_order_no": tr("ERP订单号", "ERP order"),
    "line_seq": tr("行号", "Line"),
    "order_date": tr("订单日期", "Order date"),
    "salesperson_name": tr("销售", "Salesperson"),
    "salesperson_region": tr("大区", "Region"),
    "material_name": tr("物料", "Material"),
    "business_type": tr("业务类型", "Business"),
    "days_delivered_not_invoiced": tr("发货未开票天数", "Days since delivery"),
    "erp_order_entry_id": tr("ERP订单行ID", "ERP order line id"),
}

tab_dni, tab_inc, tab_unclaimed, tab_unapplied = st.tabs(
    [
        tr("已发货未开票", "Delivered, not invoiced"),
        tr("已开票未收款", "Invoiced, not collected"),
        tr(f"未认领来款 ({len(unclaimed):,})", f"Unclaimed receipts ({len(unclaimed):,})"),
        tr(f"未核销款 ({len(unapplied):,})", f"Unapplied cash ({len(unapplied):,})"),
    ]
)


def _grain(key: str) -> str:
    return st.radio(
        tr("明细粒度", "Detail"),
        ("contract", "line"),
        format_func=lambda g: (
            tr("按合同", "By contract") if g == "contract" else tr("按订单行", "By order line")
        ),
        horizontal=True,
        key=key,
    )


for tab, metric in ((tab_dni, "dni"), (tab_inc, "inc")):
    with tab:
        grain = _grain(f"b_grain_{metric}")
        if grain == "contract":
            df = load_contracts(pub, scope, f, metric)
            lead = ["contract_no", "customer_name"] + [
                c for c in df.columns if c.startswith(("delivered_not", "invoiced_not"))
            ]
            df = df[lead + [c for c in df.columns if c not in lead]]
        else:
            df = load_lines(pub, scope, f, metric)
            lead = ["erp_order_no", "line_seq", "customer_name"] + [
                c for c in df.columns if c.startswith(("delivered_not", "invoiced_not"))
            ]
            df = df[lead + [c for c in df.columns if c not in lead]]
            st.caption(
                tr(
                    "订单行口径：按订单行计算，合计可能与合同口径略有差异（合同口径为主）。",
                    "Order-line view: computed per order line; its total can differ slightly "
                    "from the contract view (the headline figures).",
                )
            )
        show(
            fmt.to_wan(df, AMOUNT_COLS),
            f"billing_{metric}_{grain}",
            LABELS,
            key=f"b_{metric}_{grain}",
        )

with tab_unclaimed:
    st.caption(
        tr(
            "银行已到账、尚无已批准认领的来款（按到账天数排序）。",
            "Money on the bank statements without an approved claim (oldest first).",
        )
    )
    u = fmt.to_wan(unclaimed, ["amount"])
    if tr("zh", "en") == "zh":
        u["age_bucket_label_en"] = per_value(u["age_bucket_label_en"], lambda v: AGE_ZH.get(v, v))
    u["has_pending_claim"] = u["has_pending_claim"].map(
        lambda v: tr("是", "Yes") if v is True else tr("否", "No")
    )
    show(
        u,
        "unclaimed_receipts",
        {
            "received_date": tr("到账日期", "Received"),
            "amount": tr("金额", "Amount") + W,
            "payer_name": tr("付款人", "Payer"),
            "payer_account": tr("付款账号", "Payer account"),
            "memo": tr("摘要", "Memo"),
            "days_unclaimed": tr("未认领天数", "Days unclaimed"),
            "age_bucket_label_en": tr("账龄", "Age"),
            "has_pending_claim": tr("认领审批中", "Claim pending"),
            "pending_claim_no": tr("审批中认领单", "Pending claim"),
            "likely_erp_customer_code": tr("可能的客户(ERP编码)", "Likely customer (ERP)"),
            "bank_name": tr("收款银行", "Bank"),
            "bank_serial_no": tr("银行流水号", "Bank serial no."),
            "bank_txn_id": tr("流水ID", "Statement line"),
            "source_file": tr("对账单文件", "Statement file"),
        },
        key="b_unclaimed",
    )

with tab_unapplied:
    st.caption(
        tr(
            "已认领但未核销到发票的款项（数据截至日）；负数表示转出多于认领。",
            "Claimed money not applied to invoices on the as-of date; negative = more "
            "transferred out than claimed.",
        )
    )
    ua = fmt.to_wan(unapplied, AMOUNT_COLS)
    ua["is_overdrawn"] = per_value(
        ua["is_overdrawn"], lambda v: tr("是", "Yes") if v is True else ""
    )
    show(
        ua,
        "unapplied_cash",
        {
            **LABELS,
            "pool_key": tr("款项池", "Pool"),
            "pool_type": tr("类型", "Pool type"),
            "credited_amount": tr("已认领", "Credited") + W,
            "applied_amount": tr("已核销", "Applied") + W,
            "unapplied_amount": tr("未核销", "Unapplied") + W,
            "is_overdrawn": tr("透支", "Overdrawn"),
            "last_credit_date": tr("最近认领", "Last credit"),
            "days_since_last_credit": tr("距最近认领天数", "Days since"),
            "erp_customer_code": tr("ERP客户编码", "ERP customer"),
        },
        key="b_unapplied",
    )
