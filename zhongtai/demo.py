"""The demo pipeline behind ``make run``: serve the synthetic world, extract, import, build,
publish.

The simulators run in this process on free ports and the extractors are pointed at them, so
the demo never collides with a ``zhongtai sources serve`` the user left running, nor with the
ports in ``.env``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from zhongtai import settings as zt


@dataclass
class DemoResult:
    extract_results: list
    bank_report: object
    build: object
    published: object | None = None  # a zhongtai.serving.Publish when the build passed


def run_demo(
    data: Path | None = None,
    progress: Callable[[str, int, int | None], None] | None = None,
    on_line: Callable[[str], None] | None = None,
) -> DemoResult:
    from extractors.bank.importer import import_bank
    from extractors.run import SYSTEMS
    from extractors.run import extract as run_extract
    from extractors.settings import ExtractSettings
    from simulators.servers.sources import start_sources, stop_sources
    from zhongtai.serving import publish
    from zhongtai.warehouse import build

    data = (data or zt.data_dir()).resolve()
    world = data / "world"
    running = start_sources(world, ports=dict.fromkeys(SYSTEMS, 0), log=False)
    try:
        urls = {
            f"ZHONGTAI_{s.upper()}_BASE_URL": srv.url + ("/K3Cloud/" if s == "erp" else "")
            for s, srv in running.items()
        }
        urls["ZHONGTAI_CRM_ACCOUNTS_URL"] = running["crm"].url
        settings = replace(ExtractSettings.from_env(**urls), landing=data / "landing")
        results, _run_id = run_extract(list(SYSTEMS), settings=settings, progress=progress)
    finally:
        stop_sources(running)
    bank = import_bank([data / "inbox" / "bank"], settings=settings, progress=progress)
    res = build(data, on_line=on_line)
    published = publish(res.warehouse, data) if res.ok else None
    return DemoResult(results, bank, res, published)
