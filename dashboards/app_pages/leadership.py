"""领导门户 Leadership portal: the period's KPIs against the previous period, rankings, key
customers, funnel, stalled customers, contract status, AR aging and warnings.

Scope: executives and finance see the company (the marts' 全公司 rows); directors and managers
the regions in their scope for region-level marts (``region_filter``) and the people in their
scope for person-level marts (``employee_filter``). Every loader takes ``publish_id()`` and the
``Scope``.
"""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboards.lib import auth, db, fmt, ui
from dashboards.lib.access import Scope, employee_filter, region_filter
from dashboards.lib.i18n import lang, tr

PAGE_ID = "leadership"
TTL = 600

# (column in rpt_leadership_kpis, zh, en, help zh, help en, is a stock)
KPIS: tuple[tuple[str, str, str, str, str, bool], ...] = (
    (
        "signed_amount",
        "签约额",
        "Signed",
        "期内签订的正式合同金额",
        "Formal contracts signed",
        False,
    ),
    (
        "started_amount",
        "已启动合同额",
        "Started",
        "期内首个项目启动的合同金额",
        "Contracts whose first project started in the period",
        False,
    ),
    (
        "prepayment_amount",
        "预付款合同额",
        "Prepayment",
        "期内签订的预付款合同金额",
        "Prepayment contracts signed",
        False,
    ),
    (
        "received_back_amount",
        "合同回收额",
        "Received back",
        "期内纸质合同寄回的合同金额",
        "Contracts whose signed paper copy came back",
        False,
    ),
    (
        "collected_amount",
        "回款额",
        "Collected",
        "期内审批通过的来款认领",
        "Approved payment claims",
        False,
    ),
    (
        "invoiced_amount",
        "开票额",
        "Invoiced",
        "期内开具的增值税发票（红字冲减）",
        "VAT invoices issued, net of red letters",
        False,
    ),
    (
        "delivered_not_invoiced_amount",
        "已发货未开票",
        "Delivered, not invoiced",
        "期末余额：按合同 max(发货 − 开票, 0) 求和",
        "Balance at period end: Σ per contract max(delivered − invoiced, 0)",
        True,
    ),
    (
        "invoiced_not_collected_amount",
        "已开票未收款",
        "Invoiced, not collected",
        "期末余额：按合同 max(开票 − 回款, 0) 求和",
        "Balance at period end: Σ per contract max(invoiced − collected, 0)",
        True,
    ),
)
KPI_COLUMNS = [k[0] for k in KPIS]


# ---------------------------------------------------------------------------------------------
# loaders (cached per publish, scope and arguments)


def _kpi_region_where(scope: Scope) -> tuple[str, list]:
    if scope.sees_everything:
        return "is_company_total", []
    where, params = region_filter(scope, "region")
    return f"not is_company_total and {where}", params


@st.cache_data(ttl=TTL, show_spinner=False)
def load_kpis(pid: str, scope: Scope, period: ui.Period) -> pd.DataFrame:
    """One row per period (current, previous) with the eight KPIs summed over the scope."""
    where, params = _kpi_region_where(scope)
    sums = ", ".join(f"sum({c}) as {c}" for c in KPI_COLUMNS)
    return db.query(
        f"""
        select period_start, {sums}, sum(signed_count) as signed_count,
               sum(received_back_count) as received_back_count
        from marts.rpt_leadership_kpis
        where period_type = ? and period_start in (?, ?) and {where}
        group by period_start
        """,
        [period.grain, period.start, period.prev_start, *params],
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def load_trend(pid: str, scope: Scope, period: ui.Period) -> pd.DataFrame:
    """Signed, collected and invoiced of the 12 periods up to the chosen one."""
    where, params = _kpi_region_where(scope)
    return db.query(
        f"""
        select period_label, period_start, sum(signed_amount) as signed_amount,
               sum(collected_amount) as collected_amount, sum(invoiced_amount) as invoiced_amount
        from marts.rpt_leadership_kpis
        where period_type = ? and period_start <= ? and {where}
        group by period_label, period_start
        order by period_start desc
        limit 12
        """,
        [period.grain, period.start, *params],
    ).sort_values("period_start")


@st.cache_data(ttl=TTL, show_spinner=False)
def load_ranking(pid: str, scope: Scope, period: ui.Period, level: str) -> pd.DataFrame:
    if level == "region":
        where, params = region_filter(scope, "entity_key")
    else:
        where, params = employee_filter(scope, "entity_key")
    return db.query(
        f"""
        select signed_rank, signed_rank_change, entity_key, entity_name, region,
               signed_amount, signed_count, started_amount, start_rate, collected_amount,
               collected_rank, collected_rank_change, contract_target,
               contract_target_completion, collection_target, collection_completion
        from marts.rpt_sales_ranking
        where level = ? and period_type = ? and period_start = ? and {where}
        order by signed_rank, collected_rank, entity_key
        """,
        [level, period.grain, period.start, *params],
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def load_key_customers(pid: str, scope: Scope) -> pd.DataFrame:
    where, params = employee_filter(scope, "owner_employee_code")
    return db.query(
        f"""
        select customer_grade, rank_in_grade, customer_name, region, owner_employee_code,
               owner_name, cumulative_contract_amount, cumulative_contract_count,
               last_signed_date
        from marts.rpt_customer_grades
        where is_key_customer and {where}
        order by case customer_grade when 'TOP' then 1 when 'S' then 2 else 3 end,
                 cumulative_contract_amount desc, customer_name
        """,
        params,
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def load_funnel(pid: str, scope: Scope, period: ui.Period) -> pd.DataFrame:
    """Funnel of the opportunities created in the 12 months up to the period's end."""
    where, params = employee_filter(scope, "owner_employee_code")
    return db.query(
        f"""
        select stage_order, stage, stage_name_en,
               sum(reached_count) as reached_count, sum(reached_amount) as reached_amount,
               sum(open_count) as open_count, sum(open_amount) as open_amount,
               sum(weighted_open_amount) as weighted_open_amount,
               sum(won_count) as won_count, sum(won_amount) as won_amount,
               sum(lost_count) as lost_count, sum(expired_count) as expired_count
        from marts.rpt_sales_funnel
        where cohort_month > date_trunc('month', ?::date) - interval 12 month
          and cohort_month <= ? and {where}
        group by all
        order by stage_order
        """,
        [period.end, period.end, *params],
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def load_stalled(pid: str, scope: Scope) -> pd.DataFrame:
    where, params = employee_filter(scope, "owner_employee_code")
    return db.query(
        f"""
        select customer_name, customer_grade, owner_employee_code, owner_name, owner_region,
               open_opportunity_count, amount_at_risk, weighted_amount_at_risk,
               last_action_date, last_action_type, days_since_last_action
        from marts.rpt_stalled_customers
        where {where}
        order by days_since_last_action desc, amount_at_risk desc
        """,
        params,
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def load_contract_status(pid: str, scope: Scope) -> pd.DataFrame:
    if scope.sees_everything:
        where, params = "report_level = 'company'", []
    else:
        f, params = employee_filter(scope, "owner_employee_code")
        where = f"report_level = 'owner' and {f}"
    return db.query(
        f"""
        select status, any_value(status_en) as status_en, sum(contract_count) as contract_count,
               sum(amount) as amount, sum(new_this_month_count) as new_this_month_count,
               sum(expiring_count) as expiring_count, sum(expiring_amount) as expiring_amount
        from marts.rpt_contract_status
        where {where}
        group by status
        order by case status when '签订前' then 1 when '签订中' then 2 when '履行中' then 3
                 when '完成' then 4 when '终止' then 5 else 6 end
        """,
        params,
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def load_aging(pid: str, scope: Scope, period: ui.Period) -> pd.DataFrame:
    """Open AR by due bucket and owner on the latest snapshot up to the period's end."""
    where, params = employee_filter(scope, "owner_employee_code")
    return db.query(
        f"""
        with snap as (
            select max(snapshot_date) as d from marts.rpt_ar_aging where snapshot_date <= ?
        )
        select snapshot_date, due_bucket_sort_order, due_bucket_label_zh, due_bucket_label_en,
               owner_employee_code, owner_name, owner_region,
               count(*) as item_count, sum(open_amount) as open_amount
        from marts.rpt_ar_aging
        where snapshot_date = (select d from snap) and {where}
        group by all
        order by due_bucket_sort_order, open_amount desc
        """,
        [period.end, *params],
    )


_LANG_COLUMNS = {"zh": ("rule_name_zh", "message_zh"), "en": ("rule_name_en", "message_en")}


@st.cache_data(ttl=TTL, show_spinner=False)
def load_warnings(pid: str, scope: Scope, language: str) -> pd.DataFrame:
    """Warnings in scope, with the rule name and message in ``language`` only."""
    rule, message = _LANG_COLUMNS[language]
    resp, p1 = employee_filter(scope, "responsible_employee_code")
    own, p2 = employee_filter(scope, "owner_employee_code")
    where = (
        "true" if scope.sees_everything else f"{resp} and (owner_employee_code is null or {own})"
    )
    return db.query(
        f"""
        select severity, {rule} as rule_name, subject_name, contract_no,
               amount, measured_value, unit, owner_employee_code, owner_name,
               responsible_employee_code, due_date, {message} as message
        from marts.fct_warnings
        where {where}
        order by case severity when 'high' then 1 when 'medium' then 2 else 3 end,
                 due_date, warning_id
        """,
        [*p1, *p2],
    )


# ---------------------------------------------------------------------------------------------
# sections


def _kpi_section(scope: Scope, period: ui.Period) -> None:
    df = load_kpis(db.publish_id(), scope, period)
    cur = df[df["period_start"] == pd.Timestamp(period.start)]
    prev = df[df["period_start"] == pd.Timestamp(period.prev_start)]
    if cur.empty:
        ui.empty(
            tr(
                f"{period.label} 在您的范围内没有业务数据。",
                f"No business data in your scope for {period.label}.",
            )
        )
    c = cur.iloc[0] if not cur.empty else None
    p = prev.iloc[0] if not prev.empty else None
    cols = st.columns(4)
    for i, (col, zh, en, hzh, hen, stock) in enumerate(KPIS):
        value = c[col] if c is not None else None
        before = p[col] if p is not None else None
        with cols[i % 4]:
            st.metric(
                tr(zh, en),
                fmt.wan(value),
                fmt.delta(value, before) if c is not None else None,
                delta_color="inverse" if stock else "normal",
                help=tr(hzh, hen) + tr("；与上期比较。", "; change vs the previous period."),
                border=True,
            )
    st.caption(
        tr(
            f"{period.label}（{period.start} 至 {period.end}）对比上期 "
            f"{period.prev_start} 至 {period.prev_end}。余额类指标上升显示为红色。",
            f"{period.label} ({period.start} to {period.end}) vs the previous period "
            f"{period.prev_start} to {period.prev_end}. Balances rising show in red.",
        )
    )


def _trend_chart(scope: Scope, period: ui.Period) -> None:
    df = load_trend(db.publish_id(), scope, period)
    if df.empty:
        return
    names = {
        "signed_amount": tr("签约额", "Signed"),
        "collected_amount": tr("回款额", "Collected"),
        "invoiced_amount": tr("开票额", "Invoiced"),
    }
    long = fmt.to_wan(df, list(names)).melt(
        id_vars="period_label", value_vars=list(names), var_name="kpi", value_name="wan"
    )
    long["kpi"] = long["kpi"].map(names)
    fig = px.bar(
        long,
        x="period_label",
        y="wan",
        color="kpi",
        barmode="group",
        labels={"period_label": "", "wan": tr("万元", "¥10k"), "kpi": ""},
        title=tr("近 12 期趋势", "Last 12 periods"),
    )
    fig.update_layout(height=320, margin={"t": 40, "b": 10}, legend={"orientation": "h"})
    fig.update_xaxes(type="category")  # '2026-11' is a period label, not a date
    st.plotly_chart(fig, key="lead_trend")


RANK_LABELS_ZH = {
    "signed_rank": "签约排名",
    "signed_rank_change": "排名变化",
    "entity_key": "编号",
    "entity_name": "名称",
    "region": "大区",
    "signed_amount": "签约额(万元)",
    "signed_count": "签约数",
    "started_amount": "已启动(万元)",
    "start_rate": "启动率",
    "collected_amount": "回款额(万元)",
    "collected_rank": "回款排名",
    "collected_rank_change": "回款排名变化",
    "contract_target": "合同目标(万元)",
    "contract_target_completion": "合同目标完成率",
    "collection_target": "回款目标(万元)",
    "collection_completion": "回款完成率",
}
RANK_LABELS_EN = {
    "signed_rank": "Signed rank",
    "signed_rank_change": "Rank change",
    "entity_key": "Key",
    "entity_name": "Name",
    "region": "Region",
    "signed_amount": "Signed (¥10k)",
    "signed_count": "Contracts",
    "started_amount": "Started (¥10k)",
    "start_rate": "Start rate",
    "collected_amount": "Collected (¥10k)",
    "collected_rank": "Collected rank",
    "collected_rank_change": "Collected rank change",
    "contract_target": "Contract target (¥10k)",
    "contract_target_completion": "Contract target done",
    "collection_target": "Collection target (¥10k)",
    "collection_completion": "Collection target done",
}
RANK_AMOUNTS = ["signed_amount", "started_amount", "collected_amount", "contract_target"]
RANK_AMOUNTS += ["collection_target"]


def _pct_cols(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    out = df.copy()
    for c in cols:
        if c in out.columns:
            out[c] = out[c].map(fmt.pct)
    return out


def _ranking_section(scope: Scope, period: ui.Period) -> None:
    labels = RANK_LABELS_EN if lang() == "en" else RANK_LABELS_ZH
    ratios = ["start_rate", "contract_target_completion", "collection_completion"]
    regions = load_ranking(db.publish_id(), scope, period, "region")
    people = load_ranking(db.publish_id(), scope, period, "person")
    left, right = st.columns(2)
    with left:
        st.subheader(tr("大区排名", "Regions"))
        if not regions.empty:
            fig = px.bar(
                fmt.to_wan(regions, RANK_AMOUNTS),
                x="entity_name",
                y=["signed_amount", "collected_amount"],
                barmode="group",
                labels={"entity_name": "", "value": tr("万元", "¥10k"), "variable": ""},
            )
            fig.for_each_trace(
                lambda t: t.update(
                    name=tr("签约额", "Signed")
                    if t.name == "signed_amount"
                    else tr("回款额", "Collected")
                )
            )
            fig.update_layout(height=360, margin={"t": 40, "b": 10}, legend={"orientation": "h"})
            st.plotly_chart(fig, key="lead_region_chart")
        else:
            ui.empty(tr("本期范围内没有大区数据。", "No region figures in your scope."))
    with right:
        st.subheader(tr("个人排名", "People"))
        if not people.empty:
            top = fmt.to_wan(people.head(15), RANK_AMOUNTS)
            fig = px.bar(
                top.iloc[::-1],
                x="signed_amount",
                y="entity_name",
                orientation="h",
                labels={"entity_name": "", "signed_amount": tr("签约额(万元)", "Signed (¥10k)")},
                title=tr(
                    f"签约额前 {len(top)} 名（完整名单见下表）",
                    f"Top {len(top)} by signed amount (full list below)",
                ),
            )
            fig.update_layout(height=360, margin={"t": 40, "b": 10})
            st.plotly_chart(fig, key="lead_people_chart")
    st.markdown(tr("**大区排名明细**", "**Regions in detail**"))
    ui.table(
        _pct_cols(fmt.to_wan(regions, RANK_AMOUNTS), ratios).drop(columns=["entity_key", "region"]),
        f"region_ranking_{period.label}",
        labels,
        key="lead_region_rank",
    )
    st.markdown(tr("**个人排名明细**", "**People in detail**"))
    ui.table(
        _pct_cols(fmt.to_wan(people, RANK_AMOUNTS), ratios),
        f"person_ranking_{period.label}",
        labels,
        key="lead_person_rank",
    )


def _customers_section(scope: Scope) -> None:
    df = load_key_customers(db.publish_id(), scope)
    if not df.empty:
        summary = (
            df.groupby("customer_grade", sort=False)
            .agg(n=("customer_name", "size"), amount=("cumulative_contract_amount", "sum"))
            .reset_index()
        )
        cols = st.columns(len(summary))
        for col, row in zip(cols, summary.itertuples(), strict=True):
            col.metric(
                tr(f"{row.customer_grade} 类客户", f"{row.customer_grade} customers"),
                fmt.count(row.n),
                help=tr("累计合同额 ", "Cumulative contracts ") + fmt.wan(row.amount),
                border=True,
            )
    labels = {
        "customer_grade": tr("等级", "Grade"),
        "rank_in_grade": tr("等级内排名", "Rank in grade"),
        "customer_name": tr("客户", "Customer"),
        "region": tr("区域", "Region"),
        "owner_employee_code": tr("负责人工号", "Owner code"),
        "owner_name": tr("负责人", "Owner"),
        "cumulative_contract_amount": tr("累计合同额(万元)", "Cumulative contracts (¥10k)"),
        "cumulative_contract_count": tr("累计合同数", "Contracts"),
        "last_signed_date": tr("最近签约", "Last signed"),
    }
    ui.table(
        fmt.to_wan(df, ["cumulative_contract_amount"]),
        "key_customers",
        labels,
        key="lead_key_customers",
    )


def _funnel_section(scope: Scope, period: ui.Period) -> None:
    df = load_funnel(db.publish_id(), scope, period)
    st.caption(
        tr(
            f"{period.end:%Y-%m} 及之前 12 个月创建的商机（按创建月份 cohort）。",
            f"Opportunities created in the 12 months to {period.end:%Y-%m} (creation cohorts).",
        )
    )
    if df.empty or df["reached_count"].sum() == 0:
        ui.empty(tr("该期间没有商机。", "No opportunities in this window."))
        return
    closed = df["won_count"].sum() + df["lost_count"].sum() + df["expired_count"].sum()
    c = st.columns(4)
    c[0].metric(tr("商机数", "Opportunities"), fmt.count(df["reached_count"].iloc[0]), border=True)
    c[1].metric(tr("在途金额", "Open pipeline"), fmt.wan(df["open_amount"].sum()), border=True)
    c[2].metric(
        tr("加权在途", "Weighted pipeline"), fmt.wan(df["weighted_open_amount"].sum()), border=True
    )
    c[3].metric(
        tr("赢单率（数量）", "Win rate (count)"),
        fmt.pct(df["won_count"].sum() / closed if closed else None),
        border=True,
    )
    stage_col = "stage_name_en" if lang() == "en" else "stage"
    fig = px.funnel(df, x="reached_count", y=stage_col, labels={stage_col: "", "reached_count": ""})
    fig.update_layout(height=320, margin={"t": 10, "b": 10})
    st.plotly_chart(fig, key="lead_funnel")
    shown = df.drop(columns=["stage_order", "stage_name_en" if lang() != "en" else "stage"])
    labels = {
        "stage": "阶段",
        "stage_name_en": "Stage",
        "reached_count": tr("到达数", "Reached"),
        "reached_amount": tr("到达金额(万元)", "Reached (¥10k)"),
        "open_count": tr("在途数", "Open"),
        "open_amount": tr("在途金额(万元)", "Open (¥10k)"),
        "weighted_open_amount": tr("加权在途(万元)", "Weighted open (¥10k)"),
        "won_count": tr("赢单数", "Won"),
        "won_amount": tr("赢单金额(万元)", "Won (¥10k)"),
        "lost_count": tr("输单数", "Lost"),
        "expired_count": tr("失效数", "Expired"),
    }
    amounts = ["reached_amount", "open_amount", "weighted_open_amount", "won_amount"]
    ui.table(fmt.to_wan(shown, amounts), "funnel", labels, key="lead_funnel_table")


def _stalled_section(scope: Scope) -> None:
    df = load_stalled(db.publish_id(), scope)
    if not df.empty:
        st.metric(
            tr("缓行客户风险金额", "Amount at risk"),
            fmt.wan(df["amount_at_risk"].sum()),
            help=tr("缓行客户在途商机金额合计", "Open opportunities of stalled customers"),
        )
    labels = {
        "customer_name": tr("客户", "Customer"),
        "customer_grade": tr("等级", "Grade"),
        "owner_employee_code": tr("负责人工号", "Owner code"),
        "owner_name": tr("负责人", "Owner"),
        "owner_region": tr("大区", "Region"),
        "open_opportunity_count": tr("在途商机", "Open opps"),
        "amount_at_risk": tr("风险金额(万元)", "At risk (¥10k)"),
        "weighted_amount_at_risk": tr("加权风险(万元)", "Weighted (¥10k)"),
        "last_action_date": tr("最近动作日期", "Last action"),
        "last_action_type": tr("最近动作", "Action"),
        "days_since_last_action": tr("停滞天数", "Days idle"),
    }
    ui.table(
        fmt.to_wan(df, ["amount_at_risk", "weighted_amount_at_risk"]),
        "stalled_customers",
        labels,
        key="lead_stalled",
    )


def _contracts_section(scope: Scope) -> None:
    df = load_contract_status(db.publish_id(), scope)
    if df.empty:
        ui.empty(tr("范围内没有合同。", "No contracts in your scope."))
        return
    name_col = "status_en" if lang() == "en" else "status"
    left, right = st.columns([2, 3])
    with left:
        fig = px.bar(
            df,
            x="contract_count",
            y=name_col,
            orientation="h",
            text="contract_count",
            labels={name_col: "", "contract_count": tr("合同数", "Contracts")},
        )
        fig.update_layout(height=300, margin={"t": 10, "b": 10})
        st.plotly_chart(fig, key="lead_status_chart")
    with right:
        labels = {
            "status": tr("状态", "Status"),
            "status_en": tr("状态(英文)", "Status"),
            "contract_count": tr("合同数", "Contracts"),
            "amount": tr("金额(万元)", "Amount (¥10k)"),
            "new_this_month_count": tr("本月新增", "New this month"),
            "expiring_count": tr("即将到期", "Expiring"),
            "expiring_amount": tr("到期金额(万元)", "Expiring (¥10k)"),
        }
        shown = df.drop(columns=["status_en" if lang() != "en" else "status"])
        ui.table(
            fmt.to_wan(shown, ["amount", "expiring_amount"]),
            "contract_status",
            labels,
            key="lead_status",
        )


def _aging_section(scope: Scope, period: ui.Period) -> None:
    df = load_aging(db.publish_id(), scope, period)
    if df.empty:
        ui.empty(tr("范围内没有未收应收款。", "No open receivables in your scope."))
        return
    snap = pd.Timestamp(df["snapshot_date"].iloc[0]).date()
    label_col = "due_bucket_label_en" if lang() == "en" else "due_bucket_label_zh"
    buckets = (
        df.groupby(["due_bucket_sort_order", label_col], as_index=False)
        .agg(item_count=("item_count", "sum"), open_amount=("open_amount", "sum"))
        .sort_values("due_bucket_sort_order")
    )
    total = buckets["open_amount"].sum()
    overdue = buckets.loc[buckets["due_bucket_sort_order"] > buckets["due_bucket_sort_order"].min()]
    c = st.columns(3)
    c[0].metric(tr("应收余额", "Open AR"), fmt.wan(total), border=True)
    c[1].metric(tr("逾期金额", "Overdue"), fmt.wan(overdue["open_amount"].sum()), border=True)
    c[2].metric(
        tr("逾期占比", "Overdue share"),
        fmt.pct(overdue["open_amount"].sum() / total if total else None),
        border=True,
    )
    st.caption(tr(f"账龄快照：{snap}（按到期日）", f"Aging snapshot: {snap} (by due date)"))
    fig = px.bar(
        fmt.to_wan(buckets, ["open_amount"]),
        x=label_col,
        y="open_amount",
        text_auto=".1f",
        labels={label_col: "", "open_amount": tr("万元", "¥10k")},
    )
    fig.update_layout(height=300, margin={"t": 10, "b": 10})
    st.plotly_chart(fig, key="lead_aging_chart")
    keys = ["owner_employee_code", "owner_name", "owner_region"]
    owners = df.assign(**{k: df[k].fillna("—") for k in keys}).pivot_table(
        index=keys, columns=label_col, values="open_amount", aggfunc="sum", fill_value=0
    )
    order = buckets[label_col].tolist()
    owners = owners.reindex(columns=[b for b in order if b in owners.columns])
    owners[tr("合计", "Total")] = owners.sum(axis=1)
    owners = owners.sort_values(tr("合计", "Total"), ascending=False).reset_index()
    amount_cols = [c for c in owners.columns if c not in ("owner_employee_code", "owner_name")]
    amount_cols = [c for c in amount_cols if c != "owner_region"]
    labels = {
        "owner_employee_code": tr("负责人工号", "Owner code"),
        "owner_name": tr("负责人", "Owner"),
        "owner_region": tr("大区", "Region"),
    }
    st.markdown(tr("**按负责人（万元）**", "**By owner (¥10k)**"))
    ui.table(fmt.to_wan(owners, amount_cols), f"ar_aging_{snap}", labels, key="lead_aging")


def _warnings_section(scope: Scope) -> None:
    df = load_warnings(db.publish_id(), scope, lang())
    if df.empty:
        ui.empty(tr("范围内没有预警。", "No warnings in your scope."))
        return
    sev = df["severity"].value_counts()
    c = st.columns(3)
    for col, (key, zh, en) in zip(
        c, [("high", "高", "High"), ("medium", "中", "Medium"), ("low", "低", "Low")], strict=True
    ):
        col.metric(tr(f"{zh}级预警", f"{en} severity"), fmt.count(sev.get(key, 0)), border=True)
    name_col = "rule_name"
    by_rule = df.groupby([name_col, "severity"], as_index=False).size()
    fig = px.bar(
        by_rule,
        x="size",
        y=name_col,
        color="severity",
        orientation="h",
        color_discrete_map={"high": "#d62728", "medium": "#ff7f0e", "low": "#7f7f7f"},
        labels={name_col: "", "size": tr("预警数", "Warnings"), "severity": ""},
    )
    fig.update_layout(height=300, margin={"t": 10, "b": 10})
    st.plotly_chart(fig, key="lead_warnings_chart")
    labels = {
        "severity": tr("级别", "Severity"),
        "rule_name": tr("规则", "Rule"),
        "subject_name": tr("对象", "Subject"),
        "contract_no": tr("合同号", "Contract"),
        "amount": tr("金额(万元)", "Amount (¥10k)"),
        "measured_value": tr("实测值", "Measured"),
        "unit": tr("单位", "Unit"),
        "owner_employee_code": tr("处理人工号", "Owner code"),
        "owner_name": tr("处理人", "Owner"),
        "responsible_employee_code": tr("责任销售工号", "Responsible code"),
        "due_date": tr("处理期限", "Due"),
        "message": tr("说明", "Message"),
    }
    ui.table(fmt.to_wan(df, ["amount"]), "warnings", labels, key="lead_warnings")


# ---------------------------------------------------------------------------------------------


def render() -> None:
    scope = auth.page_guard(PAGE_ID)
    where = (
        tr("全公司", "whole company")
        if scope.sees_everything
        else "、".join(scope.regions) or tr("无", "none")
    )
    ui.page_header(tr("领导门户", "Leadership"), tr("范围：", "Scope: ") + where)
    period = ui.period_picker("lead_period")
    _kpi_section(scope, period)
    _trend_chart(scope, period)
    tabs = st.tabs(
        [
            tr("排名", "Rankings"),
            tr("重点客户", "Key customers"),
            tr("商机漏斗", "Funnel"),
            tr("缓行客户", "Stalled customers"),
            tr("合同状态", "Contract status"),
            tr("应收账龄", "AR aging"),
            tr("预警", "Warnings"),
        ]
    )
    with tabs[0]:
        _ranking_section(scope, period)
    with tabs[1]:
        _customers_section(scope)
    with tabs[2]:
        _funnel_section(scope, period)
    with tabs[3]:
        _stalled_section(scope)
    with tabs[4]:
        _contracts_section(scope)
    with tabs[5]:
        _aging_section(scope, period)
    with tabs[6]:
        _warnings_section(scope)


if __name__ == "__main__":  # run as a page by st.navigation; importable for tests
    render()
