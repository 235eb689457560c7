"""Shared fixtures: one small world per test session and the simulators serving it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from simulators.world.generate import generate

WORLD_AS_OF = dt.date(2025, 6, 30)
WORLD_SEED = 7


def make_world(
    root: Path, scale: float = 0.01, workers: int = 1, as_of: dt.date = WORLD_AS_OF
) -> Path:
    """Generate a world under ``root`` (``root/world`` and ``root/inbox/bank``)."""
    generate(
        root / "world",
        seed=WORLD_SEED,
        scale=scale,
        as_of=as_of,
        inbox=root / "inbox" / "bank",
        workers=workers,
    )
    return root / "world"


@pytest.fixture(scope="session")
def world(tmp_path_factory) -> Path:
    """A scale-0.01 world as of 2025-06-30 (read-only: copy it before changing it)."""
    return make_world(tmp_path_factory.mktemp("w1"))


@pytest.fixture(scope="session")
def sources(world):
    """All four simulators on free ports, no faults: ``{"crm": url, "erp": url, ...}``."""
    from simulators.servers.sources import SYSTEMS, start_sources, stop_sources

    running = start_sources(world, ports={s: 0 for s in SYSTEMS}, log=False)
    try:
        yield {s: srv.url for s, srv in running.items()}
    finally:
        stop_sources(running)


@pytest.fixture(scope="session")
def warehouse(world, sources, tmp_path_factory) -> Path:
    """The session world extracted through the simulators, its bank statements imported and
    the warehouse built with dbt: returns ``<data>/warehouse.duckdb`` (read it read-only).

    Mark tests that use it ``@pytest.mark.xdist_group("warehouse")`` so one worker builds it.
    """
    import shutil
    from dataclasses import replace

    from extractors.bank.importer import import_bank
    from extractors.run import SYSTEMS
    from extractors.run import extract as run_extract
    from extractors.settings import ExtractSettings
    from simulators.servers.sources import extractor_env
    from zhongtai.warehouse import build

    data = tmp_path_factory.mktemp("warehouse")
    urls = extractor_env(sources)
    settings = replace(ExtractSettings.from_env(**urls), landing=data / "landing")
    results, _ = run_extract(list(SYSTEMS), settings=settings)
    assert not [r for r in results if r.error], [r.error for r in results if r.error]
    inbox = data / "inbox" / "bank"
    shutil.copytree(world.parent / "inbox" / "bank", inbox)
    report = import_bank([inbox], settings=settings, move=False)
    assert report.error is None, report.error
    lines: list[str] = []
    res = build(data, on_line=lines.append)
    assert res.ok, "dbt build failed:\n" + "\n".join(lines[-60:])
    return res.warehouse


@pytest.fixture(scope="session")
def served(warehouse, tmp_path_factory) -> Path:
    """A data folder whose ``serving/current`` holds a publish of the session warehouse (the
    portal reads only this). Returns the data folder; point ``ZHONGTAI_DATA_DIR`` at it.

    The portal tests use it under their own xdist group, ``portal``: that worker builds its
    own copy of the session warehouse, so the portal tests run beside the warehouse tests.
    """
    from zhongtai.serving import publish

    data = tmp_path_factory.mktemp("served")
    publish(warehouse, data)
    return data
