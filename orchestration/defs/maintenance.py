"""Maintenance: the landing zone's small per-load files merged nightly (``zhongtai compact``).

The working-hours cycle adds a file per changed entity every 15 minutes; the nightly job
merges the older ones into one file per entity and month before the 02:00 full build reads
them. It runs in the warehouse pool, so the dbt build never reads the landing zone meanwhile;
the extractors, the bank import and the landing checks hold the landing zone's reader lock
while they read, and the compaction waits for them before it moves or deletes a file.
"""

import datetime as dt

import dagster as dg
from pydantic import Field

from extractors.compaction import CompactionError, compact_landing
from zhongtai import settings

from . import TIMEZONE, WAREHOUSE_POOL, default_schedule_status

COMPACT_CRON = "30 1 * * *"  # before the nightly full build at 02:00


class CompactConfig(dg.Config):
    keep_days: float = Field(default=1.0, ge=0, description="Leave the loads of the last N days.")


@dg.op(pool=WAREHOUSE_POOL)
def compact_landing_files(context: dg.OpExecutionContext, config: CompactConfig) -> None:
    """Merge each landing entity's small files of a month into one (every row kept)."""
    landing = settings.data_dir() / "landing"
    older_than = dt.datetime.now(dt.UTC) - dt.timedelta(days=config.keep_days)
    try:
        report = compact_landing(landing, older_than=older_than)
    except CompactionError as e:
        raise dg.Failure(description=f"compact_landing: {e}") from e
    for e, g in report.skipped:
        context.log.warning(f"landing/{e.system}/{e.entity} {g.month}: {g.skipped}")
    for e in report.entities:
        if e.recovered:
            context.log.info(f"landing/{e.system}/{e.entity}: {e.recovered}")
    context.log.info(
        f"{landing}: {report.files_before:,} files -> {report.files_after:,} in "
        f"{report.seconds:.1f} s ({len(report.skipped)} group(s) left as they were)"
    )


@dg.job(name="compact_landing", description=compact_landing_files.__doc__)
def compact_job() -> None:
    compact_landing_files()


def build_compact_schedule() -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name="nightly_landing_compaction",
        job=compact_job,
        cron_schedule=COMPACT_CRON,
        execution_timezone=TIMEZONE,
        default_status=default_schedule_status(),
    )
