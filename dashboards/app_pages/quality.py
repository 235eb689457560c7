"""数据质量 — Data quality: the latest check results (failed first), how fresh the published
data is, the recent pipeline runs and the Data Docs.

For the roles ``access.can_see_page`` allows (executives and finance); nothing here is a
salesperson's record.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboards.lib import db, fmt, ui
from dashboards.lib import queries_quality as q
from dashboards.lib.access import Scope
from dashboards.lib.auth import page_guard
from dashboards.lib.i18n import tr
from dashboards.lib.queries_common import as_dates
from zhongtai import serving


def show(df, name, labels=None, key=None):
    """Every row with an Excel download (ui.table), dates shown as dates."""
    ui.table(as_dates(df), name, labels, key=key)


TZ = "Asia/Shanghai"
SOURCES = {
    "crm": ("CRM", "CRM"),
    "erp": ("ERP", "ERP"),
    "oa": ("OA审批", "OA"),
    "expense": ("费用报销", "Expense"),
    "bank": ("银行流水", "Bank statements"),
    "extraction": ("最近抽取（落地时间）", "Latest extraction (landing time)"),
}


@st.cache_data(ttl=600, show_spinner=False)
def load_results(pub: str, scope: Scope, stamp: float) -> tuple[pd.DataFrame, str]:
    return q.check_results()


@st.cache_data(ttl=600, show_spinner=False)
def load_freshness(pub: str, scope: Scope) -> tuple[pd.DataFrame, pd.DataFrame, object]:
    return q.publish_info(), q.freshness(), q.as_of()


def age_text(then: pd.Timestamp | None, now: pd.Timestamp) -> str:
    if then is None or pd.isna(then):
        return "—"
    secs = (now - then).total_seconds()
    if secs < 0:
        return tr("刚刚", "just now")
    if secs < 3600:
        return tr(f"{secs / 60:.0f} 分钟前", f"{secs / 60:.0f} min ago")
    if secs < 48 * 3600:
        return tr(f"{secs / 3600:.1f} 小时前", f"{secs / 3600:.1f} h ago")
    return tr(f"{secs / 86400:.0f} 天前", f"{secs / 86400:.0f} days ago")


def local(ts) -> str:
    if ts is None or pd.isna(ts):
        return "—"
    ts = pd.Timestamp(ts)
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    return ts.tz_convert(TZ).strftime("%Y-%m-%d %H:%M")


scope = page_guard("quality")
ui.page_header(
    tr("数据质量", "Data quality"),
    tr(
        "最近一次质量检查的结果、数据新鲜度与流水线运行记录。",
        "The latest quality checks, how fresh the data is, and the recent pipeline runs.",
    ),
)
pub = db.publish_id()
now = pd.Timestamp.now(tz="UTC")
results, origin = load_results(pub, scope, q.file_stamp(q.results_file()))
publish, fresh, as_of = load_freshness(pub, scope)
as_of_text = str(as_of)[:10] if as_of is not None else "—"

# ---- headline ---------------------------------------------------------------------------
latest = pd.DataFrame(columns=results.columns)
if not results.empty:
    last_run = results.sort_values("run_at").iloc[-1]["run_id"]
    latest = results[results["run_id"] == last_run].copy()
published_at = publish["published_at"].iloc[0] if len(publish) else None

m = st.columns(5)
if latest.empty:
    m[0].metric(tr("最近检查", "Last check run"), "—")
else:
    run_at = latest["run_at"].max()
    m[0].metric(tr("最近检查", "Last check run"), age_text(run_at, now), help=local(run_at))
failed = latest[latest["passed"] == False]  # noqa: E712 - nullable boolean
blocking = failed[failed["severity"] == "blocking"]
m[1].metric(
    tr("检查通过", "Checks passed"),
    f"{int((latest['passed'] == True).sum()):,} / {len(latest):,}" if len(latest) else "—",  # noqa: E712
)
m[2].metric(tr("阻断性失败", "Blocking failures"), fmt.count(len(blocking)) if len(latest) else "—")
m[3].metric(tr("警告", "Warnings"), fmt.count(len(failed) - len(blocking)) if len(latest) else "—")
m[4].metric(
    tr("数据发布", "Published"),
    age_text(published_at, now),
    help=local(published_at)
    + tr("（北京时间）；业务数据截至 ", " (Beijing time); data as of ")
    + as_of_text,
)

if not blocking.empty:
    st.error(
        tr(
            f"{len(blocking)} 项阻断性检查未通过：新数据不会发布，门户继续显示上一版数据。",
            f"{len(blocking)} blocking checks failed: new data is not published; the portal "
            "keeps showing the previous publish.",
        ),
        icon=":material/block:",
    )
elif not failed.empty:
    st.warning(
        tr(
            f"{len(failed)} 项警告级检查未通过（不阻断发布），详见下表。",
            f"{len(failed)} warn-level checks failed (they do not block publishing); see below.",
        ),
        icon=":material/warning:",
    )
elif len(latest):
    st.success(
        tr("最近一次检查全部通过。", "Every check of the latest run passed."),
        icon=":material/check_circle:",
    )

try:
    log = serving.publish_log(db.data_dir(), last=10)
except (OSError, ValueError):
    log = []
if log and log[0].get("outcome") == "blocked":
    st.warning(
        tr("最近一次流水线运行未发布：", "The latest pipeline run did not publish: ")
        + str(log[0].get("reason", "")),
        icon=":material/warning:",
    )

# ---- freshness --------------------------------------------------------------------------
st.subheader(tr("数据新鲜度", "Freshness"))
fr = fresh.copy()
fr["newest"] = pd.to_datetime(fr["newest"], utc=True, errors="coerce")
fr = fr.groupby("source", as_index=False, sort=False)["newest"].max()
rows = [
    {
        tr("来源", "Source"): tr(*SOURCES.get(s, (s, s))),
        tr("最新记录（北京时间）", "Newest record (Beijing time)"): local(t),
        tr("距今", "Age"): age_text(t, now),
    }
    for s, t in zip(fr["source"], fr["newest"], strict=False)
]
rows.append(
    {
        tr("来源", "Source"): tr("门户数据发布", "Portal publish"),
        tr("最新记录（北京时间）", "Newest record (Beijing time)"): local(published_at),
        tr("距今", "Age"): age_text(published_at, now),
    }
)
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
st.caption(
    tr(
        f"业务数据截至 {as_of_text}；各系统最新记录时间取自已发布的数据集市。",
        f"Business data as of {as_of_text}; newest record times are read from the published marts.",
    )
)

# ---- check results ----------------------------------------------------------------------
st.subheader(tr("检查结果", "Check results"))
if results.empty:
    ui.empty(
        tr(
            "尚未运行任何数据质量检查：请运行 `make pipeline`（或 `zhongtai pipeline`）。",
            "No checks have run yet: run `make pipeline` (or `zhongtai pipeline`).",
        )
    )
else:
    st.caption(
        tr("来源：", "Source: ")
        + (
            str(q.results_file())
            if origin == "file"
            else tr("当前发布中的 marts.dq_check_results", "marts.dq_check_results of this publish")
        )
    )
    c1, c2, c3 = st.columns(3)
    status = c1.radio(
        tr("状态", "Status"),
        ("failed", "all"),
        format_func=lambda s: tr("仅未通过", "Failed only") if s == "failed" else tr("全部", "All"),
        horizontal=True,
        key="dq_status",
    )
    suites = c2.multiselect(
        tr("检查集", "Suite"), sorted(latest["suite"].dropna().unique()), key="dq_suite"
    )
    srcs = c3.multiselect(
        tr("检查来源", "Checked by"), sorted(latest["source"].dropna().unique()), key="dq_src"
    )
    shown = latest.copy()
    if status == "failed":
        shown = shown[shown["passed"] == False]  # noqa: E712
    if suites:
        shown = shown[shown["suite"].isin(suites)]
    if srcs:
        shown = shown[shown["source"].isin(srcs)]
    shown = shown.sort_values(["passed", "severity", "asset", "check_name"], na_position="first")
    shown["passed"] = shown["passed"].map(
        lambda v: "✅" if v is True else ("❌" if v is False else "—")
    )
    shown["run_at"] = shown["run_at"].map(local)
    if shown.empty and status == "failed":
        st.success(tr("没有未通过的检查。", "No failed checks."))
    else:
        show(
            shown[
                [
                    "passed",
                    "severity",
                    "asset",
                    "check_name",
                    "observed_value",
                    "expectation",
                    "details",
                    "suite",
                    "source",
                    "run_at",
                    "run_id",
                ]
            ],
            "quality_checks",
            {
                "passed": tr("通过", "Passed"),
                "severity": tr("级别", "Severity"),
                "asset": tr("数据表", "Asset"),
                "check_name": tr("检查", "Check"),
                "observed_value": tr("观测值", "Observed"),
                "expectation": tr("期望", "Expectation"),
                "details": tr("说明", "Details"),
                "suite": tr("检查集", "Suite"),
                "source": tr("来源", "Checked by"),
                "run_at": tr("运行时间", "Run at"),
                "run_id": tr("运行ID", "Run id"),
            },
            key="dq_table",
        )

    runs = (
        results.groupby("run_id", as_index=False)
        .agg(
            run_at=("run_at", "max"),
            passed=("passed", lambda s: int((s == True).sum())),  # noqa: E712
            failed=("passed", lambda s: int((s == False).sum())),  # noqa: E712
        )
        .sort_values("run_at")
    )
    if len(runs) > 1:
        st.markdown("**" + tr("最近运行", "Recent runs") + "**")
        fig = go.Figure()
        x = [local(t) for t in runs["run_at"]]
        fig.add_bar(x=x, y=runs["passed"], name=tr("通过", "Passed"), marker_color="#59A14F")
        fig.add_bar(x=x, y=runs["failed"], name=tr("未通过", "Failed"), marker_color="#E15759")
        fig.update_layout(
            barmode="stack",
            height=260,
            margin=dict(l=10, r=10, t=10, b=10),
            legend=dict(orientation="h", y=-0.3),
            xaxis_type="category",
        )
        st.plotly_chart(fig, width="stretch", key="dq_runs")

# ---- data docs --------------------------------------------------------------------------
st.subheader(tr("数据文档（Data Docs）", "Data Docs"))
index = q.docs_index()
if index.exists():
    st.markdown(
        tr(
            "检查的完整报告（Great Expectations Data Docs）。浏览器不允许从网页直接打开本地文件："
            "请复制下面的路径在本机浏览器中打开，或下载压缩包解压后打开 index.html。",
            "The full report of the checks (Great Expectations Data Docs). Browsers do not open "
            "local files from a web page: copy the path below into a browser on this machine, or "
            "download the zip and open index.html.",
        )
    )
    st.code(index.resolve().as_uri(), language=None)
    folder = index.parent
    st.download_button(
        tr("下载 Data Docs（zip）", "Download the Data Docs (zip)"),
        data=lambda: q.docs_zip(folder),
        file_name=f"data_docs_{dt.date.today().isoformat()}.zip",
        mime="application/zip",
        on_click="ignore",
        icon=":material/download:",
        key="dq_docs",
    )
else:
    ui.empty(
        tr(
            "还没有生成 Data Docs：运行 `make pipeline` 后会出现在 " + str(index),
            "No Data Docs yet: `make pipeline` writes them to " + str(index),
        )
    )

if log:
    with st.expander(tr("流水线发布记录", "Publish log")):
        st.dataframe(pd.DataFrame(log), hide_index=True, width="stretch")
