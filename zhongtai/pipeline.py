"""The pipeline behind ``make run`` / ``make pipeline``: extract, import, build, check, publish.

Stages, in order, each one only when the one before it succeeded:

1. extract every source system into the landing zone — from the demo world's simulators (run
   in a child process on free ports, so the pipeline never collides with a ``zhongtai
   sources serve`` the user left running, and the systems are extracted side by side) or
   from the systems configured in the environment;
2. import the bank statement files waiting in ``<data>/inbox/bank/``;
3. build the warehouse with dbt (error-severity dbt tests fail the build);
4. run the data-quality checks (``zhongtai.quality``) and add dbt's test results;
5. publish the marts blue/green (``zhongtai.serving``) — only when the build passed and no
   blocking check failed (the copy is staged while step 4 runs and made current after it).
   Otherwise the previous publish keeps serving and the reason is recorded in
   ``<data>/serving/publish_log.jsonl``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from zhongtai import settings as zt

Sources = Literal["demo", "env"]
ProgressFn = Callable[[str, int, int | None], None]


@dataclass
class PipelineResult:
    extract_results: list = field(default_factory=list)
    bank_report: object | None = None
    build: object | None = None  # zhongtai.warehouse.BuildResult
    quality: object | None = None  # zhongtai.quality.QualityReport
    published: object | None = None  # zhongtai.serving.Publish
    blocked: str | None = None  # why nothing was published

    @property
    def extract_failed(self) -> list:
        return [r for r in self.extract_results if getattr(r, "error", None)]

    @property
    def ok(self) -> bool:
        return self.published is not None and not self.extract_failed


def extract_sources(
    data: Path, sources: Sources = "demo", progress: ProgressFn | None = None
) -> tuple[list, object]:
    """Extract every system into ``<data>/landing``; returns (results, extract settings)."""
    from extractors.run import SYSTEMS
    from extractors.run import extract as run_extract
    from extractors.settings import ExtractSettings

    if sources == "env":
        settings = replace(ExtractSettings.from_env(), landing=data / "landing")
        results, _ = run_extract(list(SYSTEMS), settings=settings, progress=progress)
        return results, settings

    from simulators.servers.child import sources_in_child
    from simulators.servers.sources import extractor_env

    # The simulators serve from a child process, as real systems serve from elsewhere, so the
    # systems are extracted side by side (in this process they would share its GIL with the
    # extractors: a full scale-0.1 extraction took 154 s that way, in sequence, and 89 s so).
    with sources_in_child(data / "world") as sims:
        env = extractor_env(sims.urls)
        settings = replace(ExtractSettings.from_env(**env), landing=data / "landing")
        results, _ = run_extract(list(SYSTEMS), settings=settings, progress=progress)
    return results, settings


def check_and_publish(
    data: Path,
    build_ok: bool,
    progress: ProgressFn | None = None,
    keep: int = 5,
) -> tuple[object | None, object | None, str | None]:
    """Run the quality checks on the built warehouse, then publish if nothing blocks.

    Returns (quality report, publish, blocked reason). A failed build is not checked: it is
    recorded as the reason and the previous publish keeps serving.
    """
    from zhongtai import quality, serving

    if not build_ok:
        reason = "the dbt build failed (see its failures above); nothing was checked."
        serving.record_blocked(data, reason)
        return None, None, reason
    # The marts are copied into the next serving file while the checks run (the copy is
    # DuckDB work outside the GIL, the checks mostly Python): the copy is only made current
    # once nothing blocks, and deleted otherwise.
    with ThreadPoolExecutor(1, thread_name_prefix="stage-publish") as pool:
        staging = pool.submit(serving.stage, data=data)
        try:
            report = quality.run_checks(data, progress=progress)
            run_results = data / "dbt" / "target" / "run_results.json"
            if run_results.exists():
                report.results.extend(quality.dbt_results(run_results))
            quality.save_results(report, data)
        except BaseException:
            _discard(staging)
            raise
    if not report.ok:
        _discard(staging)
        reason = "blocking checks failed: " + "; ".join(
            f"{r.asset} {r.check_name} (observed {r.observed_value})"
            for r in report.blocking_failures
        )
        serving.record_blocked(data, reason, run_id=report.run_id)
        return report, None, reason
    published = staging.result().commit(
        extra={"dq_check_results": quality.results_table(report)}, keep=keep
    )
    return report, published, None


def _discard(staging: Future) -> None:
    """Throw away a staged publish (if staging got that far) without raising."""
    with contextlib.suppress(Exception):  # a staging error is not the one to report here
        staging.result().discard()


def run_pipeline(
    data: Path | None = None,
    sources: Sources = "demo",
    progress: ProgressFn | None = None,
    on_line: Callable[[str], None] | None = None,
) -> PipelineResult:
    """Extract → import → build → check → publish; see the module docstring."""
    from extractors.bank.importer import import_bank
    from zhongtai.warehouse import build

    data = (data or zt.data_dir()).resolve()
    res = PipelineResult()
    res.extract_results, settings = extract_sources(data, sources, progress)
    inbox = data / "inbox" / "bank"
    inbox.mkdir(parents=True, exist_ok=True)  # nothing waiting is not an error here
    res.bank_report = import_bank([inbox], settings=settings, progress=progress)
    res.build = build(data, on_line=on_line)
    res.quality, res.published, res.blocked = check_and_publish(data, res.build.ok, progress)
    return res
