"""``make bench``: time the whole pipeline from empty, then one incremental cycle.

1. A pristine world of the chosen scale in ``<bench>/base/`` (its ``world/`` and the bank
   statements it wrote to ``inbox/``), generated once, as of the day before the bench date,
   so that the simulated day the bench adds is never ahead of the wall clock (a build caps
   "today" at the wall clock; data from tomorrow fails the as-of consistency tests). Not
   timed here — ``make bench-world`` times a generation.
2. From empty: everything under ``<bench>`` except ``base/`` is removed and the world and
   inbox are copied afresh from ``base/``, so every bench run starts from the same data; then
   the pipeline runs (extract → import → build → check → publish), timed stage by stage.
3. Incremental: the copy moves forward one day; the pipeline runs again and the time until
   the change is visible in the serving file (the new publish) is reported.
"""

from __future__ import annotations

import datetime as dt
import json
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


def reset(data: Path) -> None:
    """Everything but ``base/`` removed; the world and inbox copied afresh from ``base/``."""
    for name in ("landing", "dbt", "serving", "quality", "world", "inbox"):
        shutil.rmtree(data / name, ignore_errors=True)
    for f in data.glob("warehouse.duckdb*"):
        f.unlink()
    base = data / "base"
    shutil.copytree(base / "world", data / "world")
    shutil.copytree(base / "inbox", data / "inbox")
    meta_path = data / "world" / "world.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["inbox"] = str((data / "inbox" / "bank").resolve())  # new statements land here
    meta_path.write_text(
        json.dumps(meta, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )


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
    base = data / "base"
    base_as_of = as_of - dt.timedelta(days=1)
    if not (base / "world" / "world.json").exists():
        shutil.rmtree(base, ignore_errors=True)
        say(f"generating a scale-{scale} world as of {base_as_of} in {base} (not timed) …")
        gen.generate(
            base / "world",
            seed=seed,
            scale=scale,
            as_of=base_as_of,
            inbox=base / "inbox" / "bank",
        )
    elif gen.load_meta(base / "world")["as_of"] >= as_of.isoformat():
        raise RuntimeError(
            f"the bench world in {base} is as of {gen.load_meta(base / 'world')['as_of']}, "
            f"so the simulated day after it is not before {as_of}: remove {base} to generate "
            "a new one"
        )
    reset(data)
    say("pipeline from empty …")
    full = timed_cycle(data, "from empty", say)
    say("advancing the world one day …")
    gen.advance(data / "world", days=1, workers=1)  # no fork: this process has threads
    incr = timed_cycle(data, "one day later", say)
    return [full, incr]
