"""Publish: the quality gate, then the marts copied into a new serving file.

The asset runs ``zhongtai.pipeline.check_and_publish``, exactly what ``zhongtai pipeline`` does
after a build: every data-quality suite plus dbt's test results; a blocking failure leaves the
previous publish serving, records why in ``serving/publish_log.jsonl`` and fails the asset.
"""

import dagster as dg

from zhongtai import serving, settings
from zhongtai.pipeline import check_and_publish

from . import DAILY_FRESHNESS, WAREHOUSE_POOL

PUBLISH_KEY = dg.AssetKey("serving_publish")


def build_publish_asset(dbt_assets_def: dg.AssetsDefinition) -> dg.AssetsDefinition:
    @dg.asset(
        key=PUBLISH_KEY,
        deps=[dbt_assets_def],
        pool=WAREHOUSE_POOL,
        group_name="publish",
        kinds={"duckdb"},
        freshness_policy=DAILY_FRESHNESS,
    )
    def serving_publish(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        """The marts published blue/green to <data>/serving/ (the `current` pointer), after
        the data-quality gate passed."""
        data = settings.data_dir().resolve()
        try:
            report, pub, blocked = check_and_publish(data, build_ok=True)
        except serving.ServingError as e:
            raise dg.Failure(
                description=f"serving_publish failed: {e} The previous publish keeps serving."
            ) from e
        if blocked:
            raise dg.Failure(
                description=(
                    f"serving_publish: not published — {blocked}. The previous publish keeps "
                    "serving. What to do: `zhongtai check` lists the failures with what each "
                    f"expected; the Data Docs are in {data / 'quality' / 'docs'}. Fix the data "
                    "(or the source system) and re-materialize."
                ),
                metadata={"blocking_failures": len(report.blocking_failures) if report else 0},
            )
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(pub.path)),
                "tables": len(pub.tables),
                "rows": sum(pub.tables.values()),
                "checks": len(report.results),
                "checks_failed_warn": sum(1 for r in report.results if not r.passed),
                "pruned": len(pub.pruned),
            }
        )

    return serving_publish
