"""流程效率 — Process efficiency for OA workflows, expense reports and imported event logs:
volume and throughput, where the waiting time goes (bottleneck ranking by total delay), node /
approver / department tables and the backlog.

Scope (in the SQL, queries_process): viewers who do not see everything get the instances
initiated by someone in their scope, with every step of them (approvers named); the backlog
trend counts the items waiting for someone in their scope.

The tabs are lazy (``on_change="rerun"``): only the open tab's table is queried, so opening
the page runs the headline, monthly and node queries only.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from dashboards.lib import db, fmt, ui
from dashboards.lib import queries_process as q
from dashboards.lib.access import Scope
from dashboards.lib.auth import page_guard
from dashboards.lib.i18n import tr
from dashboards.lib.queries_common import as_dates


def show(df, name, labels=None, key=None):
    """Every row with an Excel download (ui.table), dates shown as dates."""
    ui.table(as_dates(df), name, labels, key=key)


TABS_KEY = "p_tab"  # session-state key of the lazy tabs (value: the open tab's label)

SOURCE_NAMES = {
    "oa": ("OA审批流程", "OA workflows"),
    "expense": ("费用报销", "Expense reports"),
    "eventlog": ("导入的流程日志", "Imported event logs"),
}


@st.cache_data(ttl=600, show_spinner=False)
def load_types(pub: str) -> pd.DataFrame:
    return q.types()


@st.cache_data(ttl=600, show_spinner=False)
def load_latest_month(pub: str) -> dt.date | None:
    return q.latest_month()


@st.cache_data(ttl=600, show_spinner=False)
def load_overview(pub: str, scope: Scope, f: q.ProcessFilters) -> pd.DataFrame:
    return q.overview(scope, f)


def load_window(pub: str, scope: Scope, f: q.ProcessFilters) -> pd.DataFrame:
    df = load_overview(pub, scope, f)
    return df[df["month_start"].isna()].reset_index(drop=True)


def load_monthly(pub: str, scope: Scope, f: q.ProcessFilters) -> pd.DataFrame:
    df = load_overview(pub, scope, f)
    return df[df["month_start"].notna()].drop(columns="open_now").reset_index(drop=True)


@st.cache_data(ttl=600, show_spinner=False)
def load_eff(pub: str, scope: Scope, f: q.ProcessFilters, dimension: str) -> pd.DataFrame:
    return q.efficiency(scope, f, dimension)


@st.cache_data(ttl=600, show_spinner=False)
def load_backlog(pub: str, scope: Scope, f: q.ProcessFilters) -> pd.DataFrame:
    return q.backlog_now(scope, f)


@st.cache_data(ttl=600, show_spinner=False)
def load_backlog_trend(pub: str, scope: Scope, f: q.ProcessFilters) -> pd.DataFrame:
    return q.backlog_trend(scope, f)


def add_months(d: dt.date, n: int) -> dt.date:
    m = d.month - 1 + n
    return dt.date(d.year + m // 12, m % 12 + 1, 1)


def hours(x) -> str:
    return "—" if x is None or pd.isna(x) else f"{float(x):,.1f} h"


scope = page_guard("process")
ui.page_header(
    tr("流程效率", "Process efficiency"),
    tr(
        "审批耗时、瓶颈节点与积压；时长为中国工作日历下的工作小时。",
        "Approval time, bottlenecks and backlog; durations in working hours on the Chinese "
        "working calendar.",
    ),
)
if not scope.sees_everything:
    st.caption(
        tr(
            "范围：您或您可见范围内的同事发起的流程（含其全部审批环节及审批人）。",
            "Scope: workflows initiated by you or the people in your scope (with every "
            "approval step and its approver).",
        )
    )
pub = db.publish_id()
types_df = load_types(pub)
if types_df.empty:
    ui.empty(tr("当前数据中没有流程记录。", "There are no workflow records in the current data."))
    st.stop()
present = []
for src in q.SOURCES:
    if src == "eventlog":
        if types_df["source_system"].str.startswith("eventlog:").any():
            present.append(src)
    elif (types_df["source_system"] == src).any():
        present.append(src)

latest = load_latest_month(pub) or ui.as_of_date().replace(day=1)

with st.container(border=True):
    c1, c2, c3 = st.columns([2, 4, 2])
    source = c1.radio(
        tr("流程来源", "Workflows"),
        present,
        format_func=lambda s: tr(*SOURCE_NAMES[s]),
        key="p_source",
    )
    if source == "eventlog":
        src_types = types_df[types_df["source_system"].str.startswith("eventlog:")]
    else:
        src_types = types_df[types_df["source_system"] == source]
    chosen_types = c2.multiselect(
        tr("流程类型（不选=全部）", "Workflow types (none = all)"),
        src_types["workflow_type"].drop_duplicates().tolist(),
        placeholder=tr("全部类型", "All types"),
        key="p_types",
    )
    window = c3.selectbox(
        tr("时间范围", "Window"),
        (1, 3, 6, 12),
        index=1,
        format_func=lambda n: tr(f"最近{n}个月", f"Last {n} month" + ("s" if n > 1 else "")),
        key="p_window",
    )
start = add_months(latest, -(window - 1))
end = add_months(latest, 1)
f = q.ProcessFilters(source=source, types=tuple(chosen_types), start=start, end=end)
last_day = min(end - dt.timedelta(days=1), ui.as_of_date())
st.caption(
    tr(
        f"统计期间：{start.isoformat()} 至 {last_day.isoformat()}（整月，最后一月截至数据日期）",
        f"Window: {start.isoformat()} to {last_day.isoformat()} (whole months, the last one "
        "up to the data date)",
    )
)

w = load_window(pub, scope, f).iloc[0]
m = st.columns(6)
m[0].metric(tr("提交", "Submitted"), fmt.count(w["submitted"]))
m[1].metric(tr("办结", "Finished"), fmt.count(w["finished"]))
m[2].metric(
    tr("耗时中位数", "Median time"),
    hours(w["p50_working_hours"]),
    help=tr("提交→办结，工作小时", "Submit → finish, working hours"),
)
m[3].metric(tr("耗时P90", "P90 time"), hours(w["p90_working_hours"]))
m[4].metric(tr("一次通过率", "First-time right"), fmt.pct(w["first_time_right_rate"]))
m[5].metric(tr("当前在办", "Open now"), fmt.count(w["open_now"]))

monthly = load_monthly(pub, scope, f)
nodes = load_eff(pub, scope, f, "node")

left, right = st.columns(2)
with left:
    st.markdown(
        "**" + tr("瓶颈排名：总延误（工作小时）", "Bottlenecks: total delay (working hours)") + "**"
    )
    if nodes.empty:
        ui.empty(tr("所选期间没有已处理的审批任务。", "No tasks acted on in this window."))
    else:
        top = nodes.head(12).iloc[::-1]
        fig = go.Figure(
            go.Bar(
                x=top["delay_working_hours"],
                y=top["label"],
                orientation="h",
                marker_color="#E15759",
                text=[fmt.pct(s) for s in top["delay_share"]],
                textposition="auto",
            )
        )
        fig.update_layout(
            height=max(260, 26 * len(top) + 60),
            margin=dict(l=10, r=10, t=10, b=10),
            xaxis_title=tr(
                "总延误（工作小时），标签为占比", "Total delay (working h), label = share"
            ),
        )
        st.plotly_chart(fig, width="stretch", key="p_bottleneck")
with right:
    st.markdown("**" + tr("每月提交与办结", "Submitted and finished per month") + "**")
    if monthly.empty:
        ui.empty(tr("所选期间没有流程。", "No workflows in this window."))
    else:
        fig = go.Figure()
        fig.add_bar(
            x=monthly["month_start"],
            y=monthly["submitted"],
            name=tr("提交", "Submitted"),
            marker_color="#4E79A7",
        )
        fig.add_bar(
            x=monthly["month_start"],
            y=monthly["finished"],
            name=tr("办结", "Finished"),
            marker_color="#59A14F",
        )
        fig.add_scatter(
            x=monthly["month_start"],
            y=monthly["p50_working_hours"],
            name=tr("耗时中位数(h)", "Median time (h)"),
            yaxis="y2",
            mode="lines+markers",
            line_color="#E15759",
        )
        fig.update_layout(
            barmode="group",
            height=320,
            margin=dict(l=10, r=10, t=10, b=10),
            yaxis2=dict(overlaying="y", side="right", rangemode="tozero", showgrid=False),
            yaxis=dict(title=tr("流程数", "Instances")),
            legend=dict(orientation="h", y=-0.2),
            xaxis=dict(tickformat="%Y-%m", dtick="M1"),
        )
        st.plotly_chart(fig, width="stretch", key="p_monthly")

H = tr("(工作小时)", " (working h)")
EFF_LABELS = {
    "label": tr("对象", "Item"),
    "tasks": tr("处理任务", "Tasks"),
    "automated_tasks": tr("自动通过", "Auto-approved"),
    "instances": tr("流程数", "Instances"),
    "mean_wait": tr("平均等待", "Mean wait") + H,
    "p50_wait": tr("等待中位数", "Median wait") + H,
    "p90_wait": tr("等待P90", "P90 wait") + H,
    "delay_working_hours": tr("总延误", "Total delay") + H,
    "delay_share": tr("延误占比", "Share of delay"),
    "delay_rank": tr("排名", "Rank"),
    "sla_breach_rate": tr("超时率", "SLA breach rate"),
    "return_rate": tr("退回率", "Return rate"),
    "dim_key": tr("编码", "Key"),
}


def eff_table(df: pd.DataFrame, dimension: str, label: str) -> None:
    out = df.copy()
    for col in ("mean_wait", "p50_wait", "p90_wait", "delay_working_hours"):
        out[col] = out[col].astype(float).round(1)
    for col in ("delay_share", "sla_breach_rate", "return_rate"):
        out[col] = out[col].map(fmt.pct)
    lead = ["delay_rank", "label", "delay_working_hours", "delay_share"]
    cols = [*lead, *[c for c in out.columns if c not in lead]]
    show(out[cols], f"process_{dimension}", {**EFF_LABELS, "label": label}, key=f"p_{dimension}")


# lazy tabs: only the open tab runs (and queries); switching tabs reruns the page, whose other
# loaders are then cache hits
tab_node, tab_handler, tab_dept, tab_backlog, tab_month = st.tabs(
    [
        tr("节点", "Nodes"),
        tr("审批人", "Approvers"),
        tr("部门", "Departments"),
        tr("积压", "Backlog"),
        tr("月度概览", "Monthly overview"),
    ],
    key=TABS_KEY,
    on_change="rerun",
)
if tab_node.open:
    with tab_node:
        eff_table(nodes, "node", tr("流程 / 节点", "Workflow / node"))
if tab_handler.open:
    with tab_handler:
        eff_table(load_eff(pub, scope, f, "handler"), "handler", tr("审批人", "Approver"))
if tab_dept.open:
    with tab_dept:
        eff_table(load_eff(pub, scope, f, "department"), "department", tr("部门", "Department"))
if tab_backlog.open:
    with tab_backlog:
        now = load_backlog(pub, scope, f)
        b1, b2, b3 = st.columns(3)
        b1.metric(
            tr("待办任务", "Open tasks"), fmt.count(now["open_items"].sum() if len(now) else 0)
        )
        b2.metric(
            tr("已超时", "Past SLA"), fmt.count(now["sla_breached_items"].sum() if len(now) else 0)
        )
        b3.metric(
            tr("最久等待", "Oldest waiting"),
            hours(now["max_age_working_hours"].max() if len(now) else None),
        )
        trend = load_backlog_trend(pub, scope, f)
        if not trend.empty:
            fig = px.area(
                trend,
                x="backlog_date",
                y="open_items",
                color="age_bucket",
                category_orders={
                    "age_bucket": trend.sort_values("bucket_order")["age_bucket"].unique().tolist()
                },
                labels={
                    "backlog_date": "",
                    "open_items": tr("待办数（日末）", "Open at day end"),
                    "age_bucket": tr("已等待", "Waiting"),
                },
            )
            fig.update_layout(
                height=300,
                margin=dict(l=10, r=10, t=10, b=10),
                legend=dict(orientation="h", y=-0.2),
            )
            st.plotly_chart(fig, width="stretch", key="p_backlog_trend")
            if not scope.sees_everything:
                st.caption(
                    tr(
                        "趋势：等待您范围内人员处理的待办数（不论由谁发起）；下表：您范围内发起的"
                        "流程的待办。",
                        "Trend: items waiting for the people in your scope (whoever initiated "
                        "them); table: open items of the workflows initiated in your scope.",
                    )
                )
        out = now.copy()
        for col in ("avg_age_working_hours", "max_age_working_hours"):
            out[col] = out[col].astype(float).round(1)
        show(
            out,
            "process_backlog",
            {
                "workflow_type": tr("流程", "Workflow"),
                "node_name": tr("节点", "Node"),
                "handler_name": tr("待办人", "Waiting for"),
                "department_name": tr("部门", "Department"),
                "open_items": tr("待办数", "Open"),
                "sla_breached_items": tr("已超时", "Past SLA"),
                "avg_age_working_hours": tr("平均已等待", "Mean age") + H,
                "max_age_working_hours": tr("最久已等待", "Oldest") + H,
                "oldest_arrived_date": tr("最早到达", "Oldest arrived"),
            },
            key="p_backlog",
        )
if tab_month.open:
    with tab_month:
        mo = monthly.copy()
        for col in ("mean_working_hours", "p50_working_hours", "p90_working_hours"):
            mo[col] = mo[col].astype(float).round(1)
        for col in ("first_time_right_rate", "sla_breach_rate"):
            mo[col] = mo[col].map(fmt.pct)
        show(
            mo,
            "process_monthly",
            {
                "month_start": tr("月份", "Month"),
                "submitted": tr("提交", "Submitted"),
                "finished": tr("办结", "Finished"),
                "approved": tr("通过", "Approved"),
                "rejected": tr("否决", "Rejected"),
                "withdrawn": tr("撤回", "Withdrawn"),
                "mean_working_hours": tr("平均耗时", "Mean time") + H,
                "p50_working_hours": tr("耗时中位数", "Median time") + H,
                "p90_working_hours": tr("耗时P90", "P90 time") + H,
                "first_time_right_rate": tr("一次通过率", "First-time right"),
                "sla_breach_rate": tr("超时率", "SLA breach rate"),
            },
            key="p_month",
        )
