"""``zhongtai check``: the data-quality checks (GX suites on the landing zone and the key marts,
cross-system totals) plus the dbt tests of the last build, saved for the portal.

Registered in ``zhongtai.cli``; GX and pandas are imported only when the command runs, so
``zhongtai --help`` stays fast.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from zhongtai import settings

MAX_WARN_ROWS = 10  # blocking failures are always all shown


def _counts_table(results) -> Table:
    table = Table(title="Quality checks")
    for col in ("source", "checks", "passed", "blocking failed", "warn failed"):
        table.add_column(col, justify="left" if col == "source" else "right")
    for source in ("gx", "dbt"):
        rows = [r for r in results if r.source == source]
        if not rows:
            continue
        table.add_row(
            source,
            f"{len(rows):,}",
            f"{sum(r.passed for r in rows):,}",
            f"{sum(not r.passed and r.severity == 'blocking' for r in rows):,}",
            f"{sum(not r.passed and r.severity == 'warn' for r in rows):,}",
        )
    return table


def _failures_table(failed, max_warn: int) -> Table:
    table = Table(title="Failed checks", show_lines=True)
    for col in ("severity", "asset", "check", "observed", "expected", "what to do"):
        table.add_column(col, overflow="fold")
    warn = [r for r in failed if r.severity != "blocking"]
    shown = [r for r in failed if r.severity == "blocking"] + warn[:max_warn]
    for r in shown:
        table.add_row(
            Text(r.severity, style="red" if r.severity == "blocking" else "yellow"),
            r.asset,
            r.check_name,
            r.observed_value or "",
            r.expectation,
            r.details or "",
        )
    return table


def check_cmd(
    no_docs: Annotated[
        bool, typer.Option("--no-docs", help="Skip rendering the Data Docs (a little faster).")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the results as JSON (and nothing else).")
    ] = False,
    asset: Annotated[
        list[str] | None,
        typer.Option(
            "--asset",
            "-a",
            help="Check only this asset (repeatable): landing/<system>/<entity>, "
            "marts/<mart> or cross_system.",
        ),
    ] = None,
) -> None:
    """Check the landing zone and the key marts ($ZHONGTAI_DATA_DIR) with Great Expectations,
    add the dbt tests of the last build, and save every result to
    $ZHONGTAI_DATA_DIR/quality/check_results.parquet (Data Docs: quality/docs/index.html).

    Exits 1 when a blocking check failed: the warehouse must not be published.
    """
    from zhongtai import quality
    from zhongtai.cli import _fail, _out, _progress_bars, _say

    data = settings.data_dir()
    try:
        if as_json:
            report = quality.run_checks(data, assets=asset or None, docs=not no_docs)
        else:
            with _progress_bars() as bars:
                report = quality.run_checks(
                    data,
                    assets=asset or None,
                    docs=not no_docs,
                    progress=bars,
                )
    except quality.QualityError as exc:
        _fail(str(exc))
    run_results = Path(data).resolve() / "dbt" / "target" / "run_results.json"
    dbt_note = None
    if asset:
        dbt_note = "dbt tests left out (--asset)."
    elif run_results.exists():
        report.results += quality.dbt_results(run_results)
    else:
        dbt_note = f"no dbt build results at {run_results}: run `zhongtai build` to add its tests."
    saved = quality.save_results(report, data)
    failed = sorted(
        (r for r in report.results if not r.passed),
        key=lambda r: (r.severity != "blocking", r.source, r.asset, r.check_name),
    )
    if as_json:
        payload = {
            "run_id": report.run_id,
            "run_at": report.run_at.isoformat(),
            "ok": report.ok,
            "checks": len(report.results),
            "blocking_failures": len(report.blocking_failures),
            "warnings": len(report.warnings),
            "docs_index": str(report.docs_index) if report.docs_index else None,
            "results_file": str(saved),
            "note": dbt_note,
            "results": [asdict(r) for r in report.results],
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        console = _out()
        console.print(_counts_table(report.results))
        if failed:
            console.print(_failures_table(failed, MAX_WARN_ROWS))
        hidden = len(report.warnings) - MAX_WARN_ROWS
        if hidden > 0:
            _say(f"{hidden} more warn-level failures not shown: `zhongtai check --json` lists all.")
        if dbt_note:
            _say(dbt_note)
        if report.docs_index:
            _say(f"Data Docs: {report.docs_index}")
        _say(f"Results saved to {saved} (run {report.run_id}).")
    if not report.ok:
        names = ", ".join(f"{r.asset} {r.check_name}" for r in report.blocking_failures[:5])
        more = len(report.blocking_failures) - 5
        if as_json:
            raise typer.Exit(1)
        _fail(
            f"{len(report.blocking_failures)} blocking check(s) failed: {names}"
            + (f" and {more} more" if more > 0 else "")
            + ". Do not publish until they pass; the table above says what to do."
        )
