"""应收账龄 — AR aging: open receivables on a chosen month-end (or today) in age buckets by
customer, owner, team or region, and how they developed month-end by month-end.

Scope: the invoice owner (rpt_ar_aging.owner_employee_code), in the SQL of every query.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboards.lib import db, fmt, ui
from dashboards.lib import queries_ar as q
from dashboards.lib.access import Scope
from dashboards.lib.auth import page_guard
from dashboards.lib.i18n import lang, tr
from dashboards.lib.queries_common import as_dates


def show(df, name, labels=None, key=None):
    """Every row with an Excel download (ui.table), dates shown as dates."""
    ui.table(as_dates(df), name, labels, key=key)


# green → red as receivables age
BUCKET_COLORS = ["#59A14F", "#EDC948", "#F28E2B", "#E15759", "#B6333B", "#7B1E2B", "#3F0F16"]


@st.cache_data(ttl=600, show_spinner=False)
def load_snapshots(pub: str) -> pd.DataFrame:
    return q.snapshots()


@st.cache_data(ttl=600, show_spinner=False)
def load_totals(pub: str, scope: Scope, snapshot: dt.date, customer: str) -> pd.DataFrame:
    return q.totals(scope, snapshot, customer)


@st.cache_data(ttl=600, show_spinner=False)
def load_buckets(
    pub: str, scope: Scope, snapshot: dt.date, group: str, view: str, customer: str
) -> pd.DataFrame:
    return q.buckets(scope, snapshot, group, view, customer)


@st.cache_data(ttl=600, show_spinner=False)
def load_trend(pub: str, scope: Scope, view: str, customer: str) -> pd.DataFrame:
    return q.trend(scope, view, customer)


@st.cache_data(ttl=600, show_spinner=False)
def load_invoices(pub: str, scope: Scope, snapshot: dt.date, customer: str) -> pd.DataFrame:
    return q.invoices(scope, snapshot, customer)


@st.cache_data(ttl=600, show_spinner=False)
def load_dso(pub: str, snapshot: dt.date) -> float | None:
    return q.dso(snapshot)


scope = page_guard("ar_aging")
ui.page_header(
    tr("应收账龄", "AR aging"),
    tr(
        "截至所选日期的未收发票余额（含税，万元），按逾期天数或开票时间分段。",
        "Open invoice balances on the chosen date (tax-inclusive, ¥10k), by days past due or "
        "by invoice age.",
    ),
)
pub = db.publish_id()
snaps = load_snapshots(pub)
if snaps.empty:
    ui.empty(tr("当前数据中没有应收账款。", "There are no receivables in the current data."))
    st.stop()

dates = [d.date() if isinstance(d, pd.Timestamp) else d for d in snaps["snapshot_date"]]
today_flags = dict(zip(dates, snaps["is_as_of_date"], strict=False))

with st.container(border=True):
    c1, c2, c3, c4 = st.columns([2, 2, 3, 2])
    snapshot = c1.selectbox(
        tr("截至日期", "As of"),
        dates,
        index=0,
        format_func=lambda d: (
            d.isoformat()
            + (
                tr("（最新）", " (latest)")
                if today_flags.get(d)
                else tr("（月末）", " (month-end)")
            )
        ),
        key="ar_asof",
    )
    view = c2.radio(
        tr("账龄口径", "Age by"),
        ("due", "invoice"),
        format_func=lambda v: (
            tr("逾期天数", "Days past due") if v == "due" else tr("开票时间", "Invoice age")
        ),
        key="ar_view",
    )
    group = c3.radio(
        tr("分组", "Group by"),
        tuple(q.GROUPS),
        format_func=lambda g: {
            "customer": tr("客户", "Customer"),
            "owner": tr("销售", "Owner"),
            "team": tr("团队", "Team"),
            "region": tr("大区", "Region"),
        }[g],
        horizontal=True,
        index=3,
        key="ar_group",
    )
    customer = c4.text_input(tr("客户名称", "Customer name"), key="ar_customer")
customer = customer or ""

tot = load_totals(pub, scope, snapshot, customer).iloc[0]
open_amt = float(tot["open_amount"])
m = st.columns(5)
m[0].metric(tr("应收余额", "Open AR"), fmt.wan(open_amt))
m[1].metric(
    tr("已逾期", "Overdue"),
    fmt.wan(tot["overdue_amount"]),
    help=tr("逾期占比 ", "Share overdue ")
    + fmt.pct(float(tot["overdue_amount"]) / open_amt if open_amt else None),
)
m[2].metric(tr("逾期超过90天", "Over 90 days past due"), fmt.wan(tot["over_90_amount"]))
m[3].metric(tr("未结发票", "Open invoices"), fmt.count(tot["invoices"]))
if scope.sees_everything and not customer.strip():
    dso = load_dso(pub, snapshot)
    m[4].metric(
        tr("应收周转天数 DSO", "DSO (days)"),
        "—" if dso is None or pd.isna(dso) else f"{float(dso):,.1f}",
        help=tr(
            "全公司：应收余额 ÷ 近90天净开票 × 90",
            "Company: open AR ÷ net invoiced in 90 days × 90",
        ),
    )
else:
    m[4].metric(tr("客户数", "Customers"), fmt.count(tot["customers"]))

long = load_buckets(pub, scope, snapshot, group, view, customer)
if long.empty:
    ui.empty(tr("所选日期没有未收应收。", "No open receivables on that date."))
else:
    bucket_col = "bucket_zh" if lang() == "zh" else "bucket_en"
    order = long.drop_duplicates("bucket_code").sort_values("bucket_order")[bucket_col].tolist()
    long["open_wan"] = long["open_amount"].astype(float) / 10_000
    pivot = long.pivot_table(
        index="group_label", columns=bucket_col, values="open_wan", aggfunc="sum", fill_value=0
    ).reindex(columns=order, fill_value=0)
    pivot[tr("合计", "Total")] = pivot.sum(axis=1)
    pivot = pivot.sort_values(tr("合计", "Total"), ascending=False).round(2)
    group_name = {
        "customer": tr("客户", "Customer"),
        "owner": tr("销售", "Owner"),
        "team": tr("团队", "Team"),
        "region": tr("大区", "Region"),
    }[group]

    top = (
        pivot.head(15)
        .reset_index()
        .melt(id_vars="group_label", value_vars=order, var_name="bucket", value_name="wan")
    )
    fig = px.bar(
        top,
        y="group_label",
        x="wan",
        color="bucket",
        orientation="h",
        category_orders={"bucket": order, "group_label": pivot.head(15).index.tolist()},
        color_discrete_sequence=BUCKET_COLORS,
        labels={"group_label": group_name, "wan": tr("万元", "¥10k"), "bucket": ""},
        title=(
            tr(f"按{group_name}的账龄分布（万元）", f"Aging by {group_name.lower()} (¥10k)")
            + (tr("，前15名", ", top 15") if len(pivot) > 15 else "")
        ),
    )
    fig.update_layout(
        height=max(260, 28 * min(len(pivot), 15) + 110),
        margin=dict(l=10, r=10, t=50, b=10),
        legend=dict(orientation="h", y=-0.15),
    )
    st.plotly_chart(fig, width="stretch", key="ar_bars")

    show(
        pivot.reset_index().rename(columns={"group_label": group_name}),
        f"ar_aging_{group}_{snapshot}",
        key="ar_pivot",
    )
    st.caption(tr("金额单位：万元（含税）", "Amounts in ¥10k (tax-inclusive)"))

st.subheader(tr("月末趋势", "Month-end trend"))
trend = load_trend(pub, scope, view, customer)
if trend.empty:
    ui.empty(tr("没有月末应收数据。", "No month-end receivables."))
else:
    bucket_col = "bucket_zh" if lang() == "zh" else "bucket_en"
    order = trend.drop_duplicates("bucket_code").sort_values("bucket_order")[bucket_col].tolist()
    trend["wan"] = trend["open_amount"].astype(float) / 10_000
    fig = px.bar(
        trend,
        x="snapshot_date",
        y="wan",
        color=bucket_col,
        category_orders={bucket_col: order},
        color_discrete_sequence=BUCKET_COLORS,
        labels={"snapshot_date": "", "wan": tr("万元", "¥10k"), bucket_col: ""},
    )
    fig.update_layout(
        height=340,
        margin=dict(l=10, r=10, t=10, b=10),
        legend=dict(orientation="h", y=-0.2),
        xaxis=dict(tickformat="%Y-%m"),
    )
    st.plotly_chart(fig, width="stretch", key="ar_trend")

st.subheader(tr("未结发票明细", "Open invoices"))
inv = load_invoices(pub, scope, snapshot, customer)
inv = fmt.to_wan(inv, ["invoiced_amount", "red_letter_amount", "collected_amount", "open_amount"])
inv = inv.drop(columns=["due_bucket_label_en" if lang() == "zh" else "due_bucket_label_zh"])
W = tr("(万元)", " (¥10k)")
show(
    inv,
    f"ar_invoices_{snapshot}",
    {
        "invoice_number": tr("发票号码", "Invoice no."),
        "invoice_date": tr("开票日期", "Invoice date"),
        "due_date": tr("到期日", "Due"),
        "days_past_due": tr("逾期天数", "Days past due"),
        "due_bucket_label_zh": "账龄段",
        "due_bucket_label_en": "Bucket",
        "customer_name": tr("客户", "Customer"),
        "owner_name": tr("销售", "Owner"),
        "owner_team_name": tr("团队", "Team"),
        "owner_region": tr("大区", "Region"),
        "contract_no": tr("合同编号", "Contract"),
        "erp_order_no": tr("ERP订单号", "ERP order"),
        "invoiced_amount": tr("开票金额", "Invoiced") + W,
        "red_letter_amount": tr("红冲", "Red letters") + W,
        "collected_amount": tr("已回款", "Collected") + W,
        "open_amount": tr("未收余额", "Open") + W,
        "erp_customer_code": tr("ERP客户编码", "ERP customer"),
    },
    key="ar_invoices",
)
