"""Schedules (Asia/Shanghai): an incremental cycle every 15 minutes in working hours and a
nightly full build."""

from __future__ import annotations

import dagster as dg

from . import TIMEZONE, default_schedule_status
from .transform import DBT_OP

INCREMENTAL_CRON = "*/15 9-18 * * 1-5"  # Mon–Fri 09:00 … 18:45
NIGHTLY_CRON = "0 2 * * *"
FULL_REFRESH_CONFIG = {"ops": {DBT_OP: {"config": {"full_refresh": True}}}}

# ingest + imports + transform + publish (every asset; checks of selected assets come along)
incremental_job = dg.define_asset_job("incremental", selection=dg.AssetSelection.all())
nightly_job = dg.define_asset_job(
    "nightly_full_build", selection=dg.AssetSelection.all(), config=FULL_REFRESH_CONFIG
)


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
