"""Publish: copy the marts into a new serving file (``zhongtai.serving.publish``)."""

import dagster as dg

from zhongtai import serving

from . import WAREHOUSE_POOL

PUBLISH_KEY = dg.AssetKey("serving_publish")


def build_publish_asset(dbt_assets_def: dg.AssetsDefinition) -> dg.AssetsDefinition:
    @dg.asset(
        key=PUBLISH_KEY,
        deps=[dbt_assets_def],
        pool=WAREHOUSE_POOL,
        group_name="publish",
        kinds={"duckdb"},
    )
    def serving_publish(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        """The marts published blue/green to <data>/serving/ (the `current` pointer)."""
        try:
            p = serving.publish()
        except serving.ServingError as e:
            raise dg.Failure(
                description=f"serving_publish failed: {e} The previous publish keeps serving."
            ) from e
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(p.path)),
                "tables": len(p.tables),
                "rows": sum(p.tables.values()),
                "pruned": len(p.pruned),
            }
        )

    return serving_publish
