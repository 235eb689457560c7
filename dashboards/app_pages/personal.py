"""个人门户 Personal portal: targets and completion, customers by grade, contracts with their
invoicing and collection, collections and invoices of the period, stalled customers, ranks,
approvals (pending / sent / done) and notices — for the logged-in person, or for a person in
their scope picked by a manager, director, executive or finance user.

The person picker offers only ``scope.employee_codes``; the chosen code is checked against the
scope again server-side, and every loader also applies ``employee_filter(scope, ...)``.
"""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboards.lib import auth, db, fmt, ui
from dashboards.lib.access import Scope, employee_filter
from dashboards.lib.i18n import lang, tr

PAGE_ID = "personal"
TTL = 600


# ---------------------------------------------------------------------------------------------
# loaders: (publish id, scope, person, ...) — person is always one of scope.employee_codes


def _guard(scope: Scope, column: str, person: str) -> tuple[str, list]:
    where, params = employee_filter(scope, column)
    return f"{column} = ? and {where}", [person, *params]


@st.cache_data(ttl=TTL, show_spinner=False)
def load_people(pid: str, scope: Scope) -> pd.DataFrame:
    """The people in scope (latest HR row of each) for the picker."""
    where, params = employee_filter(scope, "employee_code")
    return db.query(
        f"""
        select employee_code, employee_name, role_code, team_name, region, is_active
        from marts.dim_employees
        where {where}
        qualify row_number() over (partition by employee_code order by valid_from desc) = 1
        order by is_active desc, region nulls last, team_name nulls last, employee_code
        """,
        params,
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def load_quota(pid: str, scope: Scope, person: str, year_start, end) -> pd.DataFrame:
    where, params = _guard(scope, "owner_employee_code", person)
    return db.query(
        f"""
        select month_start, year_month, contract_target, signed_amount, contract_completion,
               collection_target, collected_amount, collection_completion,
               ytd_contract_target, ytd_signed_amount, ytd_contract_completion,
               ytd_collection_target, ytd_collected_amount, ytd_collection_completion
        from marts.rpt_quota_attainment
        where business_type = '合计' and month_start >= ? and month_start <= ? and {where}
        order by month_start
        """,
        [year_start, end, *params],
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def load_ranks(pid: str, scope: Scope, person: str, period: ui.Period) -> pd.DataFrame:
    where, params = _guard(scope, "entity_key", person)
    return db.query(
        f"""
        select signed_rank, signed_rank_change, collected_rank, collected_rank_change,
               signed_amount, collected_amount, start_rate, contract_target_completion,
               collection_completion,
               (select max(signed_rank) from marts.rpt_sales_ranking r2
                 where r2.level = 'person' and r2.period_type = ? and r2.period_start = ?)
                 as people_ranked
        from marts.rpt_sales_ranking
        where level = 'person' and period_type = ? and period_start = ? and {where}
        """,
        [period.grain, period.start, period.grain, period.start, *params],
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def load_customers(pid: str, scope: Scope, person: str) -> pd.DataFrame:
    where, params = _guard(scope, "owner_employee_code", person)
    return db.query(
        f"""
        select customer_grade, customer_name, customer_type, region,
               cumulative_contract_amount, cumulative_contract_count, last_signed_date
        from marts.rpt_customer_grades
        where {where}
        order by case customer_grade when 'TOP' then 1 when 'S' then 2 when 'A' then 3
                 when 'B' then 4 when 'C' then 5 else 6 end,
                 cumulative_contract_amount desc, customer_name
        """,
        params,
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def load_contracts(pid: str, scope: Scope, person: str) -> pd.DataFrame:
    where, params = _guard(scope, "c.owner_employee_code", person)
    return db.query(
        f"""
        select c.contract_no, c.contract_name, c.customer_name, c.status, c.status_en,
               c.amount, c.signed_date, c.end_date, c.is_paper_received, c.is_started,
               b.invoiced_amount_incl_tax, b.collected_amount_incl_tax,
               b.delivered_not_invoiced_incl_tax, b.invoiced_not_collected_incl_tax
        from marts.fct_contracts c
        left join marts.rpt_contract_billing_status b using (contract_no)
        where c.status <> '作废' and {where}
        order by c.signed_date desc nulls first, c.contract_no
        """,
        params,
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def load_collections(pid: str, scope: Scope, person: str, period: ui.Period) -> pd.DataFrame:
    where, params = _guard(scope, "owner_employee_code", person)
    return db.query(
        f"""
        select claim_date, claim_no, contract_no, payer_name, claim_amount, applied_amount,
               unapplied_amount, bank_received_date
        from marts.fct_payment_claims
        where counts_as_collection and claim_date between ? and ? and {where}
        order by claim_date desc, claim_no
        """,
        [period.start, period.end, *params],
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def load_invoices(pid: str, scope: Scope, person: str, period: ui.Period) -> pd.DataFrame:
    where, params = _guard(scope, "owner_employee_code", person)
    return db.query(
        f"""
        select invoice_date, invoice_number, invoice_kind, red_blue, customer_name, contract_no,
               amount_incl_tax, net_amount_incl_tax, due_date
        from marts.fct_invoices
        where is_effective and invoice_date between ? and ? and {where}
        order by invoice_date desc, invoice_number
        """,
        [period.start, period.end, *params],
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def load_stalled(pid: str, scope: Scope, person: str) -> pd.DataFrame:
    where, params = _guard(scope, "owner_employee_code", person)
    return db.query(
        f"""
        select customer_name, customer_grade, open_opportunity_count, amount_at_risk,
               last_action_date, last_action_type, days_since_last_action
        from marts.rpt_stalled_customers
        where {where}
        order by days_since_last_action desc
        """,
        params,
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def load_approvals(pid: str, scope: Scope, person: str, period: ui.Period) -> pd.DataFrame:
    """Pending items (all), and sent / done items of the period."""
    where, params = _guard(scope, "person_employee_code", person)
    return db.query(
        f"""
        select item_type, workflow_type, request_name, initiator_name, node_name,
               arrived_at, acted_at, action, age_working_hours, sla_target_working_hours,
               is_sla_breached, current_handler_names, instance_outcome
        from marts.rpt_my_workflow_items
        where {where}
          and (item_type = 'pending'
               or (item_type = 'sent' and arrived_at::date between ? and ?)
               or (item_type = 'done' and acted_at::date between ? and ?))
        order by item_type, arrived_at desc
        """,
        [*params, period.start, period.end, period.start, period.end],
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def load_notices(pid: str, scope: Scope, person: str, language: str) -> pd.DataFrame:
    rule, message = {"zh": ("rule_name_zh", "message_zh"), "en": ("rule_name_en", "message_en")}[
        language
    ]
    resp, p1 = employee_filter(scope, "responsible_employee_code")
    guard = "true" if scope.sees_everything else f"(responsible_employee_code is null or {resp})"
    return db.query(
        f"""
        select severity, {rule} as rule_name, subject_name, contract_no, amount,
               due_date, {message} as message
        from marts.fct_warnings
        where (owner_employee_code = ? or list_contains(notify_employee_codes, ?))
          and {guard}
        order by case severity when 'high' then 1 when 'medium' then 2 else 3 end, due_date
        """,
        [person, person, *p1],
    )


# ---------------------------------------------------------------------------------------------
# sections


def _pick_person(scope: Scope) -> tuple[str, str]:
    """(employee code, name) of the person shown: the user, or one picked within the scope."""
    if scope.access_scope == "own" or len(scope.employee_codes) <= 1:
        return scope.employee_code, scope.name
    people = load_people(db.publish_id(), scope)
    people = people[people["employee_code"].isin(scope.employee_codes)]
    names = dict(zip(people["employee_code"], people["employee_name"], strict=True))
    options = people["employee_code"].tolist()
    if scope.employee_code in options:
        options.remove(scope.employee_code)
    options.insert(0, scope.employee_code)
    names.setdefault(scope.employee_code, scope.name)
    chosen = st.selectbox(
        tr("查看人员（限您的权限范围）", "Person (within your scope)"),
        options,
        format_func=lambda c: f"{names.get(c, c)} ({c})",
        key="personal_person",
    )
    if chosen not in scope.employee_codes and chosen != scope.employee_code:
        chosen = scope.employee_code  # never widen: the widget value is re-checked
    return chosen, names.get(chosen, chosen)


def _targets_section(scope: Scope, person: str, period: ui.Period) -> None:
    year_start = period.end.replace(month=1, day=1)
    df = load_quota(db.publish_id(), scope, person, year_start, period.end)
    st.subheader(tr("目标与完成", "Targets and completion"))
    if df.empty:
        ui.empty(tr("本年度没有目标或业绩。", "No targets or results this year."))
        return
    months = pd.to_datetime(df["month_start"]).dt.date
    in_period = df[(months >= period.start.replace(day=1)) & (months <= period.end)]
    last = df.iloc[-1]
    ct, sa = in_period["contract_target"].sum(), in_period["signed_amount"].sum()
    cot, coa = in_period["collection_target"].sum(), in_period["collected_amount"].sum()
    c = st.columns(4)
    c[0].metric(
        tr("合同目标完成率", "Contract target done"),
        fmt.pct(sa / ct if ct else None),
        help=tr("签约 ", "Signed ") + fmt.wan(sa) + " / " + fmt.wan(ct),
        border=True,
    )
    c[1].metric(
        tr("回款目标完成率", "Collection target done"),
        fmt.pct(coa / cot if cot else None),
        help=tr("回款 ", "Collected ") + fmt.wan(coa) + " / " + fmt.wan(cot),
        border=True,
    )
    c[2].metric(
        tr("年累计合同完成率", "Contracts YTD"),
        fmt.pct(last["ytd_contract_completion"]),
        help=fmt.wan(last["ytd_signed_amount"]) + " / " + fmt.wan(last["ytd_contract_target"]),
        border=True,
    )
    c[3].metric(
        tr("年累计回款完成率", "Collections YTD"),
        fmt.pct(last["ytd_collection_completion"]),
        help=fmt.wan(last["ytd_collected_amount"]) + " / " + fmt.wan(last["ytd_collection_target"]),
        border=True,
    )
    if period.grain == "week":
        st.caption(
            tr(
                "目标按月设定：完成率为该周所在月份。",
                "Targets are monthly: the rates are for the week's month.",
            )
        )
    chart = fmt.to_wan(df, ["contract_target", "signed_amount"]).melt(
        id_vars="year_month", value_vars=["contract_target", "signed_amount"]
    )
    chart["variable"] = chart["variable"].map(
        {"contract_target": tr("合同目标", "Target"), "signed_amount": tr("签约额", "Signed")}
    )
    fig = px.bar(
        chart,
        x="year_month",
        y="value",
        color="variable",
        barmode="group",
        labels={"year_month": "", "value": tr("万元", "¥10k"), "variable": ""},
    )
    fig.update_layout(height=280, margin={"t": 10, "b": 10}, legend={"orientation": "h"})
    fig.update_xaxes(type="category")
    st.plotly_chart(fig, key="personal_quota_chart")
    labels = {
        "year_month": tr("月份", "Month"),
        "contract_target": tr("合同目标(万元)", "Contract target (¥10k)"),
        "signed_amount": tr("签约额(万元)", "Signed (¥10k)"),
        "contract_completion": tr("合同完成率", "Contract done"),
        "collection_target": tr("回款目标(万元)", "Collection target (¥10k)"),
        "collected_amount": tr("回款额(万元)", "Collected (¥10k)"),
        "collection_completion": tr("回款完成率", "Collection done"),
    }
    shown = fmt.to_wan(
        df[list(labels)],
        ["contract_target", "signed_amount", "collection_target", "collected_amount"],
    )
    for col in ("contract_completion", "collection_completion"):
        shown[col] = shown[col].map(fmt.pct)
    ui.table(shown, f"targets_{person}_{period.end.year}", labels, key="personal_targets")


def _ranks_section(scope: Scope, person: str, period: ui.Period) -> None:
    st.subheader(tr("我的排名", "My ranks") + f" · {period.label}")
    df = load_ranks(db.publish_id(), scope, person, period)
    if df.empty:
        ui.empty(
            tr(
                "本期没有排名（无签约或回款）。",
                "Not ranked this period (nothing signed or collected).",
            )
        )
        return
    r = df.iloc[0]

    def change(v) -> str | None:
        return None if pd.isna(v) else f"{int(v):+d}"

    c = st.columns(4)
    c[0].metric(
        tr("签约排名", "Signed rank"),
        f"{int(r['signed_rank'])} / {int(r['people_ranked'])}",
        change(r["signed_rank_change"]),
        help=tr("正数表示比上期上升", "Positive = moved up vs the previous period"),
        border=True,
    )
    c[1].metric(
        tr("回款排名", "Collected rank"),
        str(int(r["collected_rank"])),
        change(r["collected_rank_change"]),
        border=True,
    )
    c[2].metric(tr("签约额", "Signed"), fmt.wan(r["signed_amount"]), border=True)
    c[3].metric(tr("回款额", "Collected"), fmt.wan(r["collected_amount"]), border=True)


def _customers_section(scope: Scope, person: str) -> None:
    df = load_customers(db.publish_id(), scope, person)
    if not df.empty:
        counts = df["customer_grade"].value_counts()
        grades = [g for g in ("TOP", "S", "A", "B", "C") if g in counts.index]
        cols = st.columns(max(len(grades), 1))
        for col, g in zip(cols, grades, strict=False):
            col.metric(tr(f"{g} 类", f"Grade {g}"), fmt.count(counts[g]), border=True)
    labels = {
        "customer_grade": tr("等级", "Grade"),
        "customer_name": tr("客户", "Customer"),
        "customer_type": tr("类型", "Type"),
        "region": tr("区域", "Region"),
        "cumulative_contract_amount": tr("累计合同额(万元)", "Cumulative (¥10k)"),
        "cumulative_contract_count": tr("合同数", "Contracts"),
        "last_signed_date": tr("最近签约", "Last signed"),
    }
    ui.table(
        fmt.to_wan(df, ["cumulative_contract_amount"]),
        f"customers_{person}",
        labels,
        key="personal_customers",
    )


def _contracts_section(scope: Scope, person: str) -> None:
    df = load_contracts(db.publish_id(), scope, person)
    if not df.empty:
        c = st.columns(4)
        c[0].metric(
            tr("履行中合同", "Performing"), fmt.count((df["status"] == "履行中").sum()), border=True
        )
        c[1].metric(
            tr("已发货未开票", "Delivered, not invoiced"),
            fmt.wan(df["delivered_not_invoiced_incl_tax"].sum()),
            border=True,
        )
        c[2].metric(
            tr("已开票未收款", "Invoiced, not collected"),
            fmt.wan(df["invoiced_not_collected_incl_tax"].sum()),
            border=True,
        )
        c[3].metric(
            tr("纸质合同未回", "Paper not back"),
            fmt.count((~df["is_paper_received"].fillna(False).astype(bool)).sum()),
            border=True,
        )
    shown = df.drop(columns=["status_en" if lang() != "en" else "status"])
    labels = {
        "contract_no": tr("合同号", "Contract"),
        "contract_name": tr("合同名称", "Name"),
        "customer_name": tr("客户", "Customer"),
        "status": "状态",
        "status_en": "Status",
        "amount": tr("合同额(万元)", "Amount (¥10k)"),
        "signed_date": tr("签订日期", "Signed"),
        "end_date": tr("结束日期", "Ends"),
        "is_paper_received": tr("纸质已回", "Paper back"),
        "is_started": tr("已启动", "Started"),
        "invoiced_amount_incl_tax": tr("已开票(万元)", "Invoiced (¥10k)"),
        "collected_amount_incl_tax": tr("已回款(万元)", "Collected (¥10k)"),
        "delivered_not_invoiced_incl_tax": tr("已发货未开票(万元)", "Delivered not inv. (¥10k)"),
        "invoiced_not_collected_incl_tax": tr("已开票未收款(万元)", "Invoiced not coll. (¥10k)"),
    }
    amounts = [
        "amount",
        "invoiced_amount_incl_tax",
        "collected_amount_incl_tax",
        "delivered_not_invoiced_incl_tax",
        "invoiced_not_collected_incl_tax",
    ]
    ui.table(fmt.to_wan(shown, amounts), f"contracts_{person}", labels, key="personal_contracts")


def _money_section(scope: Scope, person: str, period: ui.Period) -> None:
    pid = db.publish_id()
    claims = load_collections(pid, scope, person, period)
    invoices = load_invoices(pid, scope, person, period)
    c = st.columns(2)
    c[0].metric(
        tr("本期回款", "Collected this period"),
        fmt.wan(claims["claim_amount"].sum() if not claims.empty else 0),
        border=True,
    )
    c[1].metric(
        tr("本期开票（净额）", "Invoiced this period (net)"),
        fmt.wan(invoices["net_amount_incl_tax"].sum() if not invoices.empty else 0),
        border=True,
    )
    st.markdown(tr("**回款明细**", "**Collections**"))
    ui.table(
        fmt.to_wan(claims, ["claim_amount", "applied_amount", "unapplied_amount"]),
        f"collections_{person}_{period.label}",
        {
            "claim_date": tr("认领日期", "Claimed"),
            "claim_no": tr("认领单号", "Claim"),
            "contract_no": tr("合同号", "Contract"),
            "payer_name": tr("付款方", "Payer"),
            "claim_amount": tr("认领金额(万元)", "Amount (¥10k)"),
            "applied_amount": tr("已核销(万元)", "Applied (¥10k)"),
            "unapplied_amount": tr("未核销(万元)", "Unapplied (¥10k)"),
            "bank_received_date": tr("到账日期", "Received"),
        },
        key="personal_collections",
    )
    st.markdown(tr("**开票明细**", "**Invoices**"))
    ui.table(
        fmt.to_wan(invoices, ["amount_incl_tax", "net_amount_incl_tax"]),
        f"invoices_{person}_{period.label}",
        {
            "invoice_date": tr("开票日期", "Date"),
            "invoice_number": tr("发票号", "Invoice"),
            "invoice_kind": tr("类型", "Kind"),
            "red_blue": tr("红/蓝", "Red/blue"),
            "customer_name": tr("客户", "Customer"),
            "contract_no": tr("合同号", "Contract"),
            "amount_incl_tax": tr("金额(万元)", "Amount (¥10k)"),
            "net_amount_incl_tax": tr("净额(万元)", "Net (¥10k)"),
            "due_date": tr("到期日", "Due"),
        },
        key="personal_invoices",
    )


def _stalled_section(scope: Scope, person: str) -> None:
    df = load_stalled(db.publish_id(), scope, person)
    ui.table(
        fmt.to_wan(df, ["amount_at_risk"]),
        f"stalled_{person}",
        {
            "customer_name": tr("客户", "Customer"),
            "customer_grade": tr("等级", "Grade"),
            "open_opportunity_count": tr("在途商机", "Open opps"),
            "amount_at_risk": tr("风险金额(万元)", "At risk (¥10k)"),
            "last_action_date": tr("最近动作日期", "Last action"),
            "last_action_type": tr("最近动作", "Action"),
            "days_since_last_action": tr("停滞天数", "Days idle"),
        },
        key="personal_stalled",
    )


def _approvals_section(scope: Scope, person: str, period: ui.Period) -> None:
    df = load_approvals(db.publish_id(), scope, person, period)
    kinds = [
        ("pending", "待办", "Pending"),
        ("sent", "我发起的（本期）", "Sent (this period)"),
        ("done", "已办（本期）", "Done (this period)"),
    ]
    c = st.columns(3)
    for col, (k, zh, en) in zip(c, kinds, strict=True):
        part = df[df["item_type"] == k]
        breached = int(part["is_sla_breached"].fillna(False).astype(bool).sum())
        col.metric(
            tr(zh, en),
            fmt.count(len(part)),
            help=tr(f"其中超时 {breached} 项", f"{breached} past their SLA"),
            border=True,
        )
    labels = {
        "workflow_type": tr("流程", "Workflow"),
        "request_name": tr("标题", "Title"),
        "initiator_name": tr("发起人", "Initiator"),
        "node_name": tr("节点", "Node"),
        "arrived_at": tr("到达/提交", "Arrived"),
        "acted_at": tr("处理/结束", "Acted"),
        "action": tr("操作", "Action"),
        "age_working_hours": tr("工作小时", "Working hours"),
        "sla_target_working_hours": tr("时限(小时)", "SLA (h)"),
        "is_sla_breached": tr("超时", "Breached"),
        "current_handler_names": tr("当前处理人", "Now with"),
        "instance_outcome": tr("结果", "Outcome"),
    }
    tabs = st.tabs([tr(zh, en) for _, zh, en in kinds])
    for tab, (k, _zh, _en) in zip(tabs, kinds, strict=True):
        with tab:
            part = df[df["item_type"] == k].drop(columns=["item_type"])
            part = part.assign(age_working_hours=part["age_working_hours"].round(1))
            ui.table(part, f"approvals_{k}_{person}", labels, key=f"personal_appr_{k}")


def _notices_section(scope: Scope, person: str) -> None:
    shown = load_notices(db.publish_id(), scope, person, lang())
    ui.table(
        fmt.to_wan(shown, ["amount"]),
        f"notices_{person}",
        {
            "severity": tr("级别", "Severity"),
            "rule_name": tr("规则", "Rule"),
            "subject_name": tr("对象", "Subject"),
            "contract_no": tr("合同号", "Contract"),
            "amount": tr("金额(万元)", "Amount (¥10k)"),
            "due_date": tr("处理期限", "Due"),
            "message": tr("说明", "Message"),
        },
        key="personal_notices",
    )


def render() -> None:
    scope = auth.page_guard(PAGE_ID)
    ui.page_header(tr("个人门户", "My portal"))
    person, name = _pick_person(scope)
    period = ui.period_picker("personal_period")
    if person != scope.employee_code:
        st.info(tr(f"正在查看：{name}（{person}）", f"Viewing {name} ({person})"))
    _targets_section(scope, person, period)
    _ranks_section(scope, person, period)
    tabs = st.tabs(
        [
            tr("我的客户", "Customers"),
            tr("我的合同", "Contracts"),
            tr("回款与开票", "Collections & invoices"),
            tr("缓行客户", "Stalled customers"),
            tr("我的流程", "Approvals"),
            tr("通知", "Notices"),
        ]
    )
    with tabs[0]:
        _customers_section(scope, person)
    with tabs[1]:
        _contracts_section(scope, person)
    with tabs[2]:
        _money_section(scope, person, period)
    with tabs[3]:
        _stalled_section(scope, person)
    with tabs[4]:
        _approvals_section(scope, person, period)
    with tabs[5]:
        _notices_section(scope, person)


if __name__ == "__main__":  # run as a page by st.navigation; importable for tests
    render()
