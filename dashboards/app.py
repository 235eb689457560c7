"""Zhongtai portals — the Streamlit entry point (``zhongtai portal serve`` runs it).

Language switch, login (``lib.auth``), then an ``st.navigation`` of the pages in
``app_pages/`` the user's role may open (``lib.access.can_see_page``), with who is logged in and
which publish is being read in the sidebar.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

_ROOT = Path(__file__).resolve().parents[1]
if str(_ROOT) not in sys.path:  # `streamlit run dashboards/app.py` puts only dashboards/ there
    sys.path.insert(0, str(_ROOT))

from dashboards.lib import access, auth, db  # noqa: E402
from dashboards.lib.i18n import language_switch, tr  # noqa: E402
from zhongtai.serving import ServingError  # noqa: E402

PAGES_DIR = Path(__file__).resolve().parent / "app_pages"

PAGE_INFO: dict[str, tuple[str, str, str]] = {
    "leadership": ("领导门户", "Leadership", ":material/dashboard:"),
    "personal": ("个人门户", "My portal", ":material/person:"),
    "contracts": ("合同档案查询", "Contract archive", ":material/description:"),
    "billing": ("开票与回款", "Invoicing & collections", ":material/receipt_long:"),
    "ar_aging": ("应收账龄", "AR aging", ":material/hourglass_bottom:"),
    "process": ("流程效率", "Process efficiency", ":material/account_tree:"),
    "reconciliation": ("对账", "Reconciliation", ":material/compare_arrows:"),
    "quality": ("数据质量", "Data quality", ":material/verified:"),
}

ROLE_NAMES: dict[str, tuple[str, str]] = {
    "executive": ("总经理", "Executive"),
    "finance": ("财务", "Finance"),
    "director": ("销售总监", "Sales director"),
    "manager": ("大区经理", "Sales manager"),
    "assistant": ("销售内勤", "Sales assistant"),
    "sales": ("销售", "Salesperson"),
    "pm": ("项目经理", "Project manager"),
    "legal": ("法务", "Legal"),
    "marketing": ("市场专员", "Marketing"),
}

SCOPE_NAMES: dict[str, tuple[str, str]] = {
    "own": ("本人", "own records"),
    "team": ("本团队", "team"),
    "region": ("本大区", "region"),
    "all": ("全公司", "whole company"),
}


@st.cache_data(ttl=600, show_spinner=False)
def _published_at(pid: str) -> str:
    value = db.scalar("select published_at from marts._publish")
    if value is None:
        return "?"
    try:
        return value.tz_convert("Asia/Shanghai").strftime("%Y-%m-%d %H:%M")
    except (AttributeError, TypeError):
        return str(value)[:16]


def _sidebar(scope: access.Scope, pid: str) -> None:
    role = tr(*ROLE_NAMES.get(scope.role_code, (scope.role_code, scope.role_code)))
    reach = tr(*SCOPE_NAMES.get(scope.access_scope, (scope.access_scope, scope.access_scope)))
    sb = st.sidebar
    sb.markdown(f"**{scope.name}** · {role}")
    extra = ""
    if scope.access_scope in ("team", "region") and scope.regions:
        extra = " · " + "、".join(scope.regions)
    sb.caption(tr("可见范围：", "Sees: ") + reach + extra)
    sb.caption(
        tr("数据发布于 ", "Published ") + _published_at(pid) + tr("（北京时间）", " (Beijing time)")
    )
    auth.logout_button()


def main() -> None:
    st.set_page_config(layout="wide", page_title="中台 Zhongtai", page_icon="📊")
    language_switch()
    try:
        pid = db.publish_id()
    except ServingError as exc:
        st.title(tr("中台", "Zhongtai"))
        st.warning(
            tr(
                "尚未发布任何数据：请先构建数据仓库并运行 `zhongtai publish`"
                "（`make run` 会完成这两步）。",
                "Nothing is published yet: build the warehouse and run `zhongtai publish` "
                "(`make run` does both).",
            )
        )
        st.caption(str(exc))
        st.stop()
    scope = auth.require_login()
    ids = access.visible_pages(scope)
    default = "leadership" if "leadership" in ids else "personal"
    pages = [
        st.Page(
            PAGES_DIR / f"{pid_}.py",
            title=tr(PAGE_INFO[pid_][0], PAGE_INFO[pid_][1]),
            icon=PAGE_INFO[pid_][2],
            url_path=pid_,
            default=pid_ == default,
        )
        for pid_ in ids
    ]
    _sidebar(scope, pid)
    st.navigation(pages).run()


main()
