"""Zhongtai's Dagster definitions (``dagster dev -m orchestration.definitions``).

Built from ``defs/`` by stage. The dbt assets load ``<data>/dbt/target/manifest.json``; when it
is missing, ``dbt parse`` prepares it first (about 15 s), so loading works in pytest and CI too.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from orchestration.defs.imports import (
    bank_import_job,
    bank_inbox_sensor,
    bank_statements,
    event_logs,
    eventlog_import_job,
    eventlog_inbox_sensor,
)
from orchestration.defs.ingest import ingest_assets
from orchestration.defs.maintenance import build_compact_schedule, compact_job
from orchestration.defs.publish import build_publish_asset
from orchestration.defs.quality import build_quality_checks
from orchestration.defs.schedules import build_schedules, incremental_job, nightly_job
from orchestration.defs.transform import build_dbt_assets, dbt_project, dbt_resource
from orchestration.prepare import prepare_manifest


def build_definitions(data: Path | None = None) -> dg.Definitions:
    prepare_manifest(data)
    project = dbt_project(data)
    dbt_assets_def = build_dbt_assets(project)
    return dg.Definitions(
        assets=[
            *ingest_assets,
            bank_statements,
            event_logs,
            dbt_assets_def,
            build_publish_asset(dbt_assets_def),
        ],
        asset_checks=build_quality_checks(dbt_assets_def),
        jobs=[bank_import_job, eventlog_import_job, incremental_job, nightly_job, compact_job],
        schedules=[*build_schedules(), build_compact_schedule()],
        sensors=[bank_inbox_sensor, eventlog_inbox_sensor],
        resources={"dbt": dbt_resource(project)},
    )


defs = build_definitions()
