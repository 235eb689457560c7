"""Schedules (Asia/Shanghai): an incremental cycle every 15 minutes in working hours and a
nightly full build."""

from __future__ import annotations

import dagster as dg

from . import TIMEZONE, default_schedule_status
from .imports import EVENTLOG_KEY
from .transform import DBT_OP

INCREMENTAL_CRON = "*/15 9-18 * * 1-5"  # Mon–Fri 09:00 … 18:45
NIGHTLY_CRON = "0 2 * * *"
FULL_REFRESH_CONFIG = {"ops": {DBT_OP: {"config": {"full_refresh": True}}}}

# ingest + bank import + transform + publish (checks of selected assets come along). Event
# logs are imported per file by their sensor (each run names its file), so not here.
CYCLE = dg.AssetSelection.all() - dg.AssetSelection.assets(EVENTLOG_KEY)
incremental_job = dg.define_asset_job("incremental", selection=CYCLE)
nightly_job = dg.define_asset_job("nightly_full_build", selection=CYCLE, config=FULL_REFRESH_CONFIG)


def build_schedules() -> list[dg.ScheduleDefinition]:
    return [
        dg.ScheduleDefinition(
            name="incremental_working_hours",
            job=incremental_job,
            cron_schedule=INCREMENTAL_CRON,
            execution_timezone=TIMEZONE,
            default_status=default_schedule_status(),
        ),
        dg.ScheduleDefinition(
            name="nightly_full_build",
            job=nightly_job,
            cron_schedule=NIGHTLY_CRON,
            execution_timezone=TIMEZONE,
            default_status=default_schedule_status(),
        ),
    ]
