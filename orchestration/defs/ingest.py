"""Ingest: one asset per source system entity, key ``["landing", system, entity]``.

Each system is one multi-asset (subsettable), so the entities of one system run one after
another in the same process: they share the system's dlt pipeline, which must not run twice
at once. The work is ``extractors.run.extract``.
"""

from collections.abc import Iterator

import dagster as dg

from extractors.landing import EntityResult
from extractors.run import SYSTEMS, extract, protocol

from . import DAILY_FRESHNESS

GROUP = "ingest"
RETRY = dg.RetryPolicy(
    max_retries=3, delay=30, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)


def entities(system: str) -> list[str]:
    return list(protocol(system).ENTITIES)


def asset_key(system: str, entity: str) -> dg.AssetKey:
    return dg.AssetKey(["landing", system, entity])


def extract_entities(system: str, names: list[str]) -> list[EntityResult]:
    """Extract ``names`` of ``system``: one extractor run when all are wanted, else one each."""
    if set(names) == set(entities(system)):
        return extract([system])[0]
    results: list[EntityResult] = []
    for name in names:
        results.extend(extract([system], entity=name)[0])
    return results


def failure_message(system: str, failed: list[EntityResult]) -> str:
    """Which entities failed, why, and what to do."""
    lines = [f"landing/{system}/{r.entity} failed: {r.error}" for r in failed]
    first = failed[0].entity
    return (
        "\n".join(lines) + f"\nWhat to do: check that the {system} system is reachable at its "
        f"ZHONGTAI_{system.upper()}_BASE_URL and its credentials in .env are right "
        "(`zhongtai sources` checks them), then re-materialize the failed assets; "
        f"`zhongtai extract --system {system} --entity {first}` reproduces the error outside "
        "Dagster. Entities that succeeded stay landed."
    )


def _metadata(r: EntityResult) -> dict[str, dg.MetadataValue]:
    return {
        "loaded": dg.MetadataValue.int(r.loaded),
        "deleted": dg.MetadataValue.int(r.deleted),
        "quarantined": dg.MetadataValue.int(r.quarantined),
        "retries": dg.MetadataValue.int(r.retries),
        "seconds": dg.MetadataValue.float(round(r.seconds, 3)),
    }


def system_assets(system: str) -> dg.AssetsDefinition:
    specs = [
        dg.AssetSpec(
            asset_key(system, e),
            group_name=GROUP,
            kinds={"python", "parquet"},
            freshness_policy=DAILY_FRESHNESS,
            description=f"{system} {e} landed as Parquet by `zhongtai extract --system {system}`.",
        )
        for e in entities(system)
    ]

    @dg.multi_asset(name=f"ingest_{system}", specs=specs, can_subset=True, retry_policy=RETRY)
    def _ingest(context: dg.AssetExecutionContext) -> Iterator[dg.MaterializeResult]:
        wanted = [s.key.path[-1] for s in specs if s.key in context.selected_asset_keys]
        results = extract_entities(system, wanted)
        failed = [r for r in results if r.error]
        for r in results:
            if not r.error:
                yield dg.MaterializeResult(
                    asset_key=asset_key(system, r.entity), metadata=_metadata(r)
                )
        if failed:
            raise dg.Failure(description=failure_message(system, failed))

    return _ingest


ingest_assets = [system_assets(s) for s in SYSTEMS]
