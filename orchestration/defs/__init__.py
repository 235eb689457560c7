"""Dagster definitions by stage: ingest, imports, transform, publish, schedules, maintenance.

Each module only wires existing platform code (``extractors``, ``zhongtai.warehouse``,
``zhongtai.serving``) into Dagster; no business logic lives here.
"""

from __future__ import annotations

import datetime as dt
import os

import dagster as dg

from zhongtai import quality

# Every asset that opens data/warehouse.duckdb runs in this pool; its limit is 1 (see
# orchestration/dagster.yaml), so the dbt build and the publish never overlap across runs.
WAREHOUSE_POOL = "duckdb_warehouse"
TIMEZONE = "Asia/Shanghai"
AUTOMATION_ENV = "ZHONGTAI_DAGSTER_AUTOMATION"

# Sources, key marts and the publish must be refreshed every day by 09:00 Shanghai time (the
# nightly full build at 02:00 does it; the working-hours cycle keeps them fresher). Missing
# it turns the asset's freshness red in the UI before anyone opens the portal.
DAILY_FRESHNESS = dg.FreshnessPolicy.cron(
    deadline_cron="0 9 * * *", lower_bound_delta=dt.timedelta(hours=9), timezone=TIMEZONE
)
KEY_MARTS = (*quality.KEY_MARTS, "rpt_sales_ranking")  # the checked marts, and the ranking


def automation_running() -> bool:
    """Whether schedules and sensors start switched on (``ZHONGTAI_DAGSTER_AUTOMATION=on``,
    as ``make dev`` sets it); otherwise they are off until switched on in the UI."""
    return os.environ.get(AUTOMATION_ENV, "").strip().lower() in ("1", "on", "true", "yes")


def default_schedule_status() -> dg.DefaultScheduleStatus:
    return (
        dg.DefaultScheduleStatus.RUNNING
        if automation_running()
        else dg.DefaultScheduleStatus.STOPPED
    )


def default_sensor_status() -> dg.DefaultSensorStatus:
    return (
        dg.DefaultSensorStatus.RUNNING if automation_running() else dg.DefaultSensorStatus.STOPPED
    )
