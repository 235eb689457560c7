"""Quality: Great Expectations asset checks from ``zhongtai.quality`` (no GX plugin for Dagster).

Every landing entity asset (``["landing", system, entity]``) and every key mart
(``["marts", mart]``) gets two checks: ``gx_blocking`` (schema, keys, codes, ranges, business
rules; ``blocking=True``: a failure stops what is downstream — the dbt build after a landing
check, the publish after a mart check) and ``gx_warn`` (volume and distribution drift against
the previous load, and warn-level rules). Marts whose totals are reconciled across systems get
``gx_cross_system`` (blocking) too.

The checks of one system's landing entities run in one op, and those of the marts plus the
cross-system totals in another (in the warehouse pool: they open the warehouse read-only, and
DuckDB allows one writer or many readers): GX takes seconds to import and set up, so one op
per system instead of one per entity, with Data Docs rendered once per op. Each op saves its
results to ``<data>/quality/check_results.parquet`` under the Dagster run id, so the portal's
data-quality page shows Dagster runs too.
"""

from collections.abc import Iterable, Iterator

import dagster as dg

from zhongtai import quality

from . import WAREHOUSE_POOL
from .imports import BANK_KEY
from .ingest import asset_key, entities

GROUP_SYSTEMS = ("crm", "erp", "oa", "expense")
BLOCKING_CHECK = "gx_blocking"
WARN_CHECK = "gx_warn"
CROSS_CHECK = "gx_cross_system"


def _asset_name(key: dg.AssetKey) -> str:
    """``["landing", "crm", "Deals"]`` → ``landing/crm/Deals`` (as zhongtai.quality names it)."""
    return "/".join(key.path)


def _specs(key: dg.AssetKey, cross: bool = False) -> list[dg.AssetCheckSpec]:
    name = _asset_name(key)
    specs = [
        dg.AssetCheckSpec(
            BLOCKING_CHECK,
            asset=key,
            blocking=True,
            description=f"GX blocking rules on {name}: schema, keys, codes, ranges.",
        ),
        dg.AssetCheckSpec(
            WARN_CHECK,
            asset=key,
            blocking=False,
            description=f"GX drift of {name} against the previous load (warn only).",
        ),
    ]
    if cross:
        specs.append(
            dg.AssetCheckSpec(
                CROSS_CHECK,
                asset=key,
                blocking=True,
                description=f"{name} adds up to the landed sources / the other marts.",
            )
        )
    return specs


def _group(results: list[quality.CheckResult], key: dg.AssetCheckKey) -> list[quality.CheckResult]:
    asset = _asset_name(key.asset_key)
    if key.name == CROSS_CHECK:
        return [r for r in results if r.suite == quality.CROSS_SYSTEM and r.asset == asset]
    severity = quality.BLOCKING if key.name == BLOCKING_CHECK else quality.WARN
    return [
        r
        for r in results
        if r.asset == asset and r.suite != quality.CROSS_SYSTEM and r.severity == severity
    ]


def _markdown(rows: Iterable[quality.CheckResult]) -> str:
    def cell(text: str | None) -> str:
        return (text or "").replace("|", "\\|").replace("\n", " ")

    lines = ["| check | passed | observed | expected |", "|---|---|---|---|"]
    lines += [
        f"| {cell(r.check_name)} | {'yes' if r.passed else '**no**'} | "
        f"{cell(r.observed_value)} | {cell(r.expectation)} |"
        for r in rows
    ]
    return "\n".join(lines)


def check_result(
    key: dg.AssetCheckKey, results: list[quality.CheckResult], docs: str | None = None
) -> dg.AssetCheckResult:
    """One Dagster check result from the CheckResults of its group: passed when all passed;
    ERROR severity for the blocking groups, WARN for the warn group."""
    rows = _group(results, key)
    failed = [r for r in rows if not r.passed]
    severity = dg.AssetCheckSeverity.WARN if key.name == WARN_CHECK else dg.AssetCheckSeverity.ERROR
    shown = failed or rows
    metadata: dict[str, object] = {
        "checks": len(rows),
        "failed": len(failed),
        "observed": "; ".join(f"{r.check_name}: {r.observed_value}" for r in shown[:10]) or "-",
        "expectation": "; ".join(f"{r.check_name}: {r.expectation}" for r in shown[:10]) or "-",
        "details": "\n".join(r.details for r in failed if r.details)[:4000] or "-",
        "results": dg.MetadataValue.md(_markdown(rows)),
    }
    if docs:
        metadata["data_docs"] = dg.MetadataValue.path(docs)
    return dg.AssetCheckResult(
        asset_key=key.asset_key,
        check_name=key.name,
        passed=not failed,
        severity=severity,
        metadata=metadata,
        description=(
            f"{len(failed)} of {len(rows)} checks failed" if failed else f"{len(rows)} passed"
        ),
    )


def _run(
    context: dg.AssetCheckExecutionContext, assets: list[str]
) -> Iterator[dg.AssetCheckResult]:
    try:
        report = quality.run_checks(assets=assets, run_id=context.run.run_id)
    except quality.QualityError as exc:
        raise dg.Failure(description=f"quality checks could not run: {exc}") from exc
    quality.save_results(report)
    docs = str(report.docs_index) if report.docs_index else None
    for key in sorted(context.selected_asset_check_keys, key=lambda k: (k.asset_key, k.name)):
        yield check_result(key, report.results, docs)
    if report.blocking_failures:
        context.log.warning("blocking quality failures:\n" + report.summary())


def landing_checks(system: str, names: list[str]) -> dg.AssetChecksDefinition:
    """The checks of one system's landing entities (one op; subsettable)."""
    keys = [asset_key(system, n) for n in names]

    @dg.multi_asset_check(
        name=f"quality_landing_{system}",
        specs=[s for k in keys for s in _specs(k)],
        can_subset=True,
        description=f"GX suites on the landed {system} entities (zhongtai.quality).",
    )
    def _check(context: dg.AssetCheckExecutionContext) -> Iterator[dg.AssetCheckResult]:
        selected = sorted({_asset_name(k.asset_key) for k in context.selected_asset_check_keys})
        yield from _run(context, selected)

    return _check


def mart_checks(marts: list[str]) -> dg.AssetChecksDefinition:
    """The checks of the key marts and the cross-system totals (one op, warehouse pool)."""
    cross = {a.split("/", 1)[1] for a in quality.CROSS_ASSETS}
    specs = [s for m in marts for s in _specs(dg.AssetKey(["marts", m]), cross=m in cross)]

    @dg.multi_asset_check(
        name="quality_marts",
        specs=specs,
        can_subset=True,
        pool=WAREHOUSE_POOL,
        description="GX suites on the key marts and the cross-system totals (zhongtai.quality).",
    )
    def _check(context: dg.AssetCheckExecutionContext) -> Iterator[dg.AssetCheckResult]:
        keys = context.selected_asset_check_keys
        assets = sorted({_asset_name(k.asset_key) for k in keys if k.name != CROSS_CHECK})
        if any(k.name == CROSS_CHECK for k in keys):
            assets.append(quality.CROSS_SYSTEM)
        yield from _run(context, assets)

    return _check


def build_quality_checks(dbt_assets_def: dg.AssetsDefinition) -> list[dg.AssetChecksDefinition]:
    """Every quality check: the landing entities (ingest and bank import) and the key marts
    the dbt assets define."""
    checks = [landing_checks(s, entities(s)) for s in GROUP_SYSTEMS]
    checks.append(landing_checks(BANK_KEY.path[1], [BANK_KEY.path[2]]))
    marts = [m for m in quality.KEY_MARTS if dg.AssetKey(["marts", m]) in dbt_assets_def.keys]
    if marts:
        checks.append(mart_checks(marts))
    return checks
