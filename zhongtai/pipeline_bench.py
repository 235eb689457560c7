"""``make bench``: time the whole pipeline from empty, then one incremental cycle.

1. A world of the chosen scale in ``<bench>/world`` (generated when missing; not timed here —
   ``make bench-world`` times that).
2. From empty: the landing zone, warehouse, dbt target, quality results and publishes are
   removed and the bank statements put back in the inbox; then the pipeline runs (extract →
   import → build → check → publish) and is timed stage by stage.
3. Incremental: the world moves forward one day; the pipeline runs again and the time until
   the change is visible in the serving file (the new publish) is reported.
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class CycleTiming:
    name: str
    seconds: float
    stages: dict[str, float] = field(default_factory=dict)
    published: str | None = None
    blocked: str | None = None


def _restore_inbox(data: Path) -> int:
    """Move imported statement files back from ``inbox/bank/processed/``; returns how many."""
    processed = data / "inbox" / "bank" / "processed"
    n = 0
    if processed.is_dir():
        for f in processed.iterdir():
            if f.is_file():
                f.rename(processed.parent / f.name)
                n += 1
    return n


def reset(data: Path) -> None:
    for name in ("landing", "dbt", "serving", "quality"):
        shutil.rmtree(data / name, ignore_errors=True)
    for f in data.glob("warehouse.duckdb*"):
        f.unlink()
    _restore_inbox(data)  # the import ledger lives in landing/_ledger, removed above


def timed_cycle(data: Path, name: str, say: Callable[[str], None]) -> CycleTiming:
    """One pipeline run with per-stage timings."""
    from extractors.bank.importer import import_bank
    from zhongtai.pipeline import check_and_publish, extract_sources
    from zhongtai.warehouse import build

    stages: dict[str, float] = {}
    t0 = time.perf_counter()

    def stage(label: str, t: float) -> float:
        now = time.perf_counter()
        stages[label] = now - t
        say(f"  {name}: {label} {stages[label]:.1f} s")
        return now

    t = t0
    results, settings = extract_sources(data, "demo")
    failed = [r for r in results if r.error]
    if failed:
        raise RuntimeError(f"extraction failed: {[(r.system, r.entity, r.error) for r in failed]}")
    t = stage("extract", t)
    import_bank([data / "inbox" / "bank"], settings=settings)
    t = stage("import bank", t)
    res = build(data)
    if not res.ok:
        raise RuntimeError(f"build failed: {[f.name for f in res.failures]}")
    t = stage("build", t)
    _report, published, blocked = check_and_publish(data, True)
    stage("check + publish", t)
    return CycleTiming(
        name,
        time.perf_counter() - t0,
        stages,
        published.path.name if published else None,
        blocked,
    )


def run_bench(
    data: Path, scale: float, seed: int, as_of: dt.date, say: Callable[[str], None] = print
) -> list[CycleTiming]:
    from simulators.world import generate as gen

    data.mkdir(parents=True, exist_ok=True)
    world = data / "world"
    if not (world / "world.json").exists():
        say(f"generating a scale-{scale} world in {world} (not timed) …")
        gen.generate(world, seed=seed, scale=scale, as_of=as_of, inbox=data / "inbox" / "bank")
    reset(data)
    say("pipeline from empty …")
    full = timed_cycle(data, "from empty", say)
    say("advancing the world one day …")
    gen.advance(world, days=1, workers=1)  # no fork: this process has threads
    incr = timed_cycle(data, "one day later", say)
    return [full, incr]
