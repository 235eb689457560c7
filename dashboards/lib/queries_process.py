"""Queries of the process-efficiency page (流程效率) for OA workflows, expense reports and
imported event logs.

Figures are computed from ``fct_workflow_instances`` / ``fct_workflow_node_visits`` with the
definitions of ``rpt_process_overview`` / ``rpt_process_efficiency`` (docs/decisions.md), so
any window of months and any set of workflow types can be chosen, and so a viewer's scope can
restrict the instances. A viewer who does not see everything sees the instances **initiated
by someone in their scope** (an instance is its initiator's record), with every task of those
instances — the approvers' waiting on them included, so a manager sees how long finance took
on their team's items and the approvers are named. Instances initiated outside the scope are
not shown, even when someone in the scope approved a step of them: their initiator's own
tasks would name that person. The backlog trend (``rpt_workflow_backlog_daily`` has no
initiator) counts the items waiting for someone in the scope, without naming anyone.

Speed: the per-viewer instance set is one semi-join on the instances' initiator; each table
(node, approver, department) is its own query, so the page computes only the table on
screen.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from dashboards.lib import db
from dashboards.lib.access import Scope
from dashboards.lib.queries_common import Where, emp

SOURCES = ("oa", "expense", "eventlog")


@dataclass(frozen=True)
class ProcessFilters:
    source: str = "oa"  # oa | expense | eventlog (every imported log)
    types: tuple[str, ...] = ()  # empty = every type of the source
    start: dt.date | None = None  # first day of the first month
    end: dt.date | None = None  # first day after the window


# dimension -> (group-by expressions per task, key and label per group): code constants only.
# Keys and labels are built after grouping (on a few hundred groups, not on every task).
DIMENSIONS = {
    "node": (
        "v.source_system, v.workflow_type, v.node_id",
        "source_system || '|' || workflow_type || '|' || node_id",
        "workflow_type || ' / ' || any_value(v.node_name)",
    ),
    "handler": (
        "coalesce(v.handler_oa_user_id, v.source_system || ':' || v.handler_id)",
        "coalesce(v.handler_oa_user_id, v.source_system || ':' || v.handler_id)",
        "coalesce(any_value(v.handler_name), any_value(v.handler_id), '—')",
    ),
    "department": (
        "coalesce(v.handler_department_id, v.handler_department_name)",
        "coalesce(v.handler_department_id, v.handler_department_name)",
        "coalesce(any_value(v.handler_department_name), any_value(v.handler_department_id), "
        "'(unknown)')",
    ),
}


def types() -> pd.DataFrame:
    """Source systems and workflow types present (metadata, no rows of anyone)."""
    return db.query(
        "select source_system, workflow_type, count(*) as instances "
        "from marts.fct_workflow_instances group by all order by source_system, instances desc"
    )


def latest_month() -> dt.date | None:
    """First day of the newest month with a submission (the end of the page's window)."""
    value = db.scalar(
        "select cast(date_trunc('month', max(submitted_date)) as date) "
        "from marts.fct_workflow_instances"
    )
    if value is None or pd.isna(value):
        return None
    return value.date() if isinstance(value, pd.Timestamp | dt.datetime) else value


def _source(alias: str, f: ProcessFilters) -> Where:
    w = Where()
    if f.source == "eventlog":
        w.add(f"{alias}.source_system like 'eventlog:%'")
    else:
        w.add(f"{alias}.source_system = ?", f.source)
    return w.one_of(f"{alias}.workflow_type", f.types)


def _scope_instances(scope: Scope, alias: str) -> tuple[str, list]:
    """Instances initiated by someone in the scope: the initiator column itself on
    ``fct_workflow_instances`` (alias ``i``), else a semi-join on it."""
    if scope.sees_everything:
        return "(true)", []
    if alias == "i":
        return emp(scope, "i.initiator_employee_code")
    ini, params = emp(scope, "initiator_employee_code")
    return (
        f"({alias}.instance_no in (select instance_no from marts.fct_workflow_instances "
        f"where {ini}))",
        params,
    )


def overview(scope: Scope, f: ProcessFilters) -> pd.DataFrame:
    """One query: a row per month of the window (``month_start``) with submitted, finished
    (by outcome), throughput of the finished (working hours), first-time-right and SLA-breach
    rates — and one row with ``month_start`` NULL for the whole window (percentiles over the
    window, not averaged months) carrying ``open_now`` (instances open today)."""
    w = _source("i", f).add_scope(_scope_instances(scope, "i")).add("i.submitted_at is not null")
    lo = "coalesce(?, date '1900-01-01')"
    hi = "coalesce(?, date '9999-01-01')"
    bounds = [f.start, f.end]
    return db.query(
        f"""
        with flagged as (
            select submitted_date, finished_date, is_finished, outcome, throughput_working_hours,
                is_first_time_right, is_sla_breached,
                submitted_date >= {lo} and submitted_date < {hi} as sub_in,
                coalesce(finished_date >= {lo} and finished_date < {hi}, false) as fin_in
            from marts.fct_workflow_instances as i where {w.sql}
        ),
        inst as materialized (  -- only the instances the window or "open now" counts
            select * from flagged where sub_in or fin_in or not is_finished
        ),
        sub as (
            select cast(date_trunc('month', submitted_date) as date) as month_start,
                count(*) as submitted
            from inst where sub_in group by all
        ),
        fin as (
            select cast(date_trunc('month', finished_date) as date) as month_start,
                count(*) as finished,
                count(*) filter (where outcome in ('approved', 'completed')) as approved,
                count(*) filter (where outcome = 'rejected') as rejected,
                count(*) filter (where outcome = 'withdrawn') as withdrawn,
                quantile_cont(throughput_working_hours, 0.5) as p50_working_hours,
                quantile_cont(throughput_working_hours, 0.9) as p90_working_hours,
                avg(throughput_working_hours) as mean_working_hours,
                count(*) filter (where is_first_time_right) / count(*) as first_time_right_rate,
                count(*) filter (where is_sla_breached) / count(*) as sla_breach_rate
            from inst where fin_in group by all
        ),
        months as (
            select coalesce(s.month_start, fin.month_start) as month_start,
                coalesce(s.submitted, 0) as submitted, coalesce(fin.finished, 0) as finished,
                coalesce(fin.approved, 0) as approved, coalesce(fin.rejected, 0) as rejected,
                coalesce(fin.withdrawn, 0) as withdrawn, fin.mean_working_hours,
                fin.p50_working_hours, fin.p90_working_hours, fin.first_time_right_rate,
                fin.sla_breach_rate, cast(null as bigint) as open_now
            from sub as s full join fin using (month_start)
        ),
        whole as (
            select cast(null as date) as month_start,
                count(*) filter (where sub_in) as submitted,
                count(*) filter (where fin_in) as finished,
                count(*) filter (where fin_in and outcome in ('approved', 'completed'))
                    as approved,
                count(*) filter (where fin_in and outcome = 'rejected') as rejected,
                count(*) filter (where fin_in and outcome = 'withdrawn') as withdrawn,
                avg(throughput_working_hours) filter (where fin_in) as mean_working_hours,
                quantile_cont(throughput_working_hours, 0.5) filter (where fin_in)
                    as p50_working_hours,
                quantile_cont(throughput_working_hours, 0.9) filter (where fin_in)
                    as p90_working_hours,
                count(*) filter (where fin_in and is_first_time_right)
                    / nullif(count(*) filter (where fin_in), 0) as first_time_right_rate,
                count(*) filter (where fin_in and is_sla_breached)
                    / nullif(count(*) filter (where fin_in), 0) as sla_breach_rate,
                count(*) filter (where not is_finished) as open_now
            from inst
        )
        select * from months union all select * from whole
        order by month_start nulls last
        """,
        [*bounds, *bounds, *w.params],
    )


def overview_monthly(scope: Scope, f: ProcessFilters) -> pd.DataFrame:
    df = overview(scope, f)
    return df[df["month_start"].notna()].drop(columns="open_now").reset_index(drop=True)


def overview_window(scope: Scope, f: ProcessFilters) -> pd.DataFrame:
    df = overview(scope, f)
    return df[df["month_start"].isna()].drop(columns="month_start").reset_index(drop=True)


_TASK_COLUMNS = (
    "v.source_system, v.workflow_type, v.node_id, v.node_name, v.handler_oa_user_id, "
    "v.handler_id, v.handler_name, v.handler_department_id, v.handler_department_name, "
    "v.instance_no, v.is_automated, v.waiting_working_hours, v.counted_working_hours, "
    "v.sla_target_working_hours, v.is_sla_breached, v.is_initiator_task, v.action"
)
_MEASURES = """
    count(*) filter (where not v.is_automated) as tasks,
    count(*) filter (where v.is_automated) as automated_tasks,
    count(distinct v.instance_no) as instances,
    avg(v.waiting_working_hours) filter (where not v.is_automated) as mean_wait,
    quantile_cont(v.waiting_working_hours, [0.5, 0.9]) filter (where not v.is_automated)
        as q_wait,
    coalesce(sum(v.counted_working_hours), 0) as delay_working_hours,
    count(*) filter (where not v.is_automated and v.sla_target_working_hours is not null)
        as sla_tasks,
    count(*) filter (where not v.is_automated and v.is_sla_breached) as sla_breached,
    count(*) filter (where not v.is_automated and not v.is_initiator_task) as decisions,
    count(*) filter (where v.action in ('return', 'reject')) as returns"""


def _efficiency(scope: Scope, f: ProcessFilters, dims: tuple[str, ...]) -> pd.DataFrame:
    w = _source("v", f).add_scope(_scope_instances(scope, "v")).add("not v.is_draft")
    if f.start is None and f.end is None:
        w.add("v.acted_at is not null")  # else implied: acted_date is NULL iff acted_at is
    if f.start is not None:
        w.add("v.acted_date >= ?", f.start)
    if f.end is not None:
        w.add("v.acted_date < ?", f.end)
    tasks = f"marts.fct_workflow_node_visits as v where {w.sql}"
    if len(dims) > 1:  # the window's tasks once, then one aggregation per dimension
        prefix, tasks = f"with t as materialized (select {_TASK_COLUMNS} from {tasks}) ", "t as v"
    else:
        prefix = ""
    groups = " union all ".join(
        f"select '{d}' as dimension, {DIMENSIONS[d][1]} as dim_key, {DIMENSIONS[d][2]} as label,"
        f"{_MEASURES} from {tasks} group by {DIMENSIONS[d][0]}"
        for d in dims
    )
    return db.query(
        f"""
        {prefix}select dimension, label, tasks, automated_tasks, instances, mean_wait,
            q_wait[1] as p50_wait, q_wait[2] as p90_wait, delay_working_hours,
            delay_working_hours / nullif(sum(delay_working_hours) over (partition by dimension), 0)
                as delay_share,
            dense_rank() over (partition by dimension order by delay_working_hours desc)
                as delay_rank,
            sla_breached / nullif(sla_tasks, 0) as sla_breach_rate,
            returns / nullif(decisions, 0) as return_rate, dim_key
        from ({groups}) as g order by dimension, delay_rank, label
        """,
        w.params,
    )


def efficiency_all(scope: Scope, f: ProcessFilters) -> pd.DataFrame:
    """Per node, handler and department (column ``dimension``) over the window (tasks by the
    month acted on): volume, waiting mean / p50 / p90 (working hours), total delay with share
    and rank within the dimension, SLA breach and return rates — the measures of
    rpt_process_efficiency (the window's tasks read once)."""
    return _efficiency(scope, f, tuple(DIMENSIONS))


def efficiency(scope: Scope, f: ProcessFilters, dimension: str) -> pd.DataFrame:
    """One dimension (node, handler or department) of ``efficiency_all``, in its own query
    (the page computes only the table on screen)."""
    if dimension not in DIMENSIONS:
        raise KeyError(dimension)
    return _efficiency(scope, f, (dimension,)).drop(columns="dimension")


def backlog_now(scope: Scope, f: ProcessFilters) -> pd.DataFrame:
    """Open tasks now (submitted instances), per node and handler, with their age."""
    w = _source("v", f).add_scope(_scope_instances(scope, "v")).add("v.is_open and not v.is_draft")
    return db.query(
        f"""
        select v.workflow_type, v.node_name, coalesce(v.handler_name, '—') as handler_name,
            any_value(v.handler_department_name) as department_name, count(*) as open_items,
            count(*) filter (where v.is_sla_breached) as sla_breached_items,
            avg(v.open_age_working_hours) as avg_age_working_hours,
            max(v.open_age_working_hours) as max_age_working_hours,
            min(v.arrived_date) as oldest_arrived_date
        from marts.fct_workflow_node_visits as v where {w.sql}
        group by all order by open_items desc, max_age_working_hours desc
        """,
        w.params,
    )


def backlog_trend(scope: Scope, f: ProcessFilters) -> pd.DataFrame:
    """Open items per day and age bucket (rpt_workflow_backlog_daily) in the window, for the
    items waiting for someone in the scope."""
    w = _source("b", f)
    if not scope.sees_everything:
        frag, params = emp(scope, "e.employee_code")
        w.add(
            "b.handler_oa_user_id in (select e.oa_user_id from marts.dim_employees as e "
            f"where e.oa_user_id is not null and {frag})",
            *params,
        )
    if f.start is not None:
        w.add("b.backlog_date >= ?", f.start)
    if f.end is not None:
        w.add("b.backlog_date < ?", f.end)
    return db.query(
        f"""select b.backlog_date, b.age_bucket, b.bucket_order, sum(b.open_items) as open_items,
            sum(b.sla_breached_items) as sla_breached_items
        from marts.rpt_workflow_backlog_daily as b where {w.sql}
        group by all order by b.backlog_date, b.bucket_order""",
        w.params,
    )
