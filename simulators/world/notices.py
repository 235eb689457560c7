"""Company notices (公告), published through an OA approval."""

from __future__ import annotations

from simulators.world.context import Ctx
from simulators.world.workcal import is_workday

TOPICS = [
    "关于调整差旅报销标准的通知",
    "关于春节放假安排的通知",
    "关于开展合同档案自查的通知",
    "关于发布新品小鼠模型的通知",
    "关于加强回款管理的通知",
    "关于组织年度体检的通知",
    "关于更新开票信息的通知",
    "关于召开季度销售会议的通知",
]


def gen_notices_day(ctx: Ctx) -> None:
    from simulators.world.workflow import run_workflow

    if not is_workday(ctx.day) or ctx.rng.random() > 0.12:
        return
    org = ctx.org
    author = org.by_role["marketing"][0]
    t = ctx.office_time(ctx.day)
    title = TOPICS[int(ctx.rng.integers(len(TOPICS)))]
    run_workflow(
        ctx,
        "notice",
        author,
        t,
        {"ggbt": title, "ggnr": f"{title}。详见附件。", "fbrq": t - t % 86400},
        request_name=f"公告发布-{title}",
        outcome="approved",
    )
