"""Run the extractors: every selected system and entity, a summary per entity, and failures
reported after the others have finished."""

from __future__ import annotations

import datetime as dt
import importlib
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from extractors.landing import EntityResult, ExtractContext, land, save_run
from extractors.settings import ExtractSettings

SYSTEMS = ("crm", "erp", "oa", "expense")


class ExtractError(Exception):
    """Bad arguments (unknown system or entity); the message lists the valid ones."""


def protocol(system: str):
    """The protocol package of ``system``: ``ENTITIES`` (name → EntitySpec) and
    ``resources(ctx, entity_names)``."""
    return importlib.import_module(f"extractors.{system}")


def extract(
    systems: list[str],
    *,
    entity: str | None = None,
    full_refresh: bool = False,
    settings: ExtractSettings | None = None,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> tuple[list[EntityResult], str]:
    """Extract ``systems`` (each entity, or only ``entity``); returns the per-entity results
    and the run id. The systems run side by side, one thread each."""
    settings = settings or ExtractSettings.from_env()
    unknown = [s for s in systems if s not in SYSTEMS]
    if unknown:
        raise ExtractError(
            f"unknown system {', '.join(unknown)}; choose from {', '.join(SYSTEMS)} or all"
        )
    run_id = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]
    started = dt.datetime.now(dt.UTC)
    selected: dict[str, list[str]] = {}
    for system in systems:
        names = list(protocol(system).ENTITIES)
        if entity is not None:
            if entity not in names:
                if len(systems) == 1:
                    raise ExtractError(
                        f"{system} has no entity {entity!r}; its entities: {', '.join(names)}"
                    )
                continue
            names = [entity]
        selected[system] = names
    if entity is not None and not selected:
        raise ExtractError(f"no system has an entity {entity!r}")

    def run_system(system: str, names: list[str]) -> list[EntityResult]:
        ctx = ExtractContext(
            system=system,
            settings=settings,
            run_id=run_id,
            full_refresh=set(names) if full_refresh else set(),
            progress=progress,
        )
        for n in names:
            ctx.result(n)
        try:
            resources = protocol(system).resources(ctx, names)
            land(system, settings, resources)
        except Exception as e:  # noqa: BLE001 - one system failing must not stop the others
            for n in names:
                r = ctx.result(n)
                r.error = r.error or f"{system} load failed: {type(e).__name__}: {e}"
        return [ctx.results[n] for n in names]

    # The systems are independent (own dlt pipeline, state and folders; dlt runs pipelines in
    # separate threads) and mostly wait on their servers, so they run side by side (one day
    # at scale 1 against simulators in their own process: 9.2-9.8 s against 10.4-10.5 s).
    results: list[EntityResult] = []
    if len(selected) == 1:
        for system, names in selected.items():
            results.extend(run_system(system, names))
    else:
        with ThreadPoolExecutor(len(selected), thread_name_prefix="extract") as pool:
            futures = [pool.submit(run_system, s, n) for s, n in selected.items()]
            for f in futures:
                results.extend(f.result())
    save_run(settings, run_id, results, started)
    return results, run_id
