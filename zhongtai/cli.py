"""The ``zhongtai`` command line.

``zhongtai world generate | advance | summary | bench`` drive the synthetic world (the demo
company's CRM, ERP, OA, expense and bank data). The world generator is imported inside each
command, so ``zhongtai --help`` stays fast and argument errors are reported without loading it.

Argument errors exit with code 2 and one line on stderr naming the option and what to do;
errors reported by the generator (``WorldError``) exit with code 1.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import math
import re
import resource
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Annotated, NoReturn

import typer
from dotenv import load_dotenv
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from zhongtai import settings

# Asia/Shanghai has been UTC+8 without daylight saving since 1991; a fixed offset avoids
# depending on the system's tz database.
SHANGHAI = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
EARLIEST_AS_OF = dt.date(2010, 1, 1)
MAX_SCALE = 20.0
MAX_ADVANCE_DAYS = 366
BENCH_MAX_SECONDS = 120.0
BENCH_MAX_RSS_BYTES = 4 * 1024**3
GENERATOR_MODULE = "simulators.world.generate"

ProgressFn = Callable[[str, int, int | None], None]

app = typer.Typer(
    name="zhongtai",
    help="Zhongtai (中台): a data middle platform for CRM, ERP, OA, expense and bank data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
world_app = typer.Typer(
    help="Generate, advance and inspect the synthetic world that feeds the demo.",
    no_args_is_help=True,
)
app.add_typer(world_app, name="world")


# ---------------------------------------------------------------------------------------------
# output helpers


def _out() -> Console:
    return Console()


def _err() -> Console:
    return Console(stderr=True)


def _say(message: str) -> None:
    """Print a sentence to stdout as plain text: no markup, no wrapping inside paths."""
    _out().print(Text(message), soft_wrap=True)


def _exit_with(message: str, code: int) -> NoReturn:
    _err().print(Text(f"Error: {message}", style="red"), soft_wrap=True)
    raise typer.Exit(code)


def _usage_error(message: str) -> NoReturn:
    """Report a bad argument on one line and exit with code 2."""
    _exit_with(message, 2)


def _fail(message: str) -> NoReturn:
    """Report a failure the user can act on (not a bad argument) and exit with code 1."""
    _exit_with(message, 1)


def _package_version() -> str:
    try:
        return metadata.version("zhongtai")
    except metadata.PackageNotFoundError:
        return "unknown (not installed; run `uv sync`)"


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"zhongtai {_package_version()}")
        raise typer.Exit()


@contextmanager
def _progress_bars() -> Iterator[ProgressFn]:
    """A ``progress(label, done, total)`` callback that drives one rich task per label.

    The bars are redrawn from the callback (at most ten times a second) rather than by rich's
    refresh thread, so no thread is running when the generator forks worker processes.
    """
    columns = (
        TextColumn("{task.description:<24}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=_err(), auto_refresh=False) as bars:
        tasks: dict[str, TaskID] = {}
        last_drawn = 0.0
        lock = threading.Lock()  # the extractors report from one thread per system

        def report(label: str, done: int, total: int | None) -> None:
            nonlocal last_drawn
            if total is None:  # a count without a known end: the bar shows what is done
                total = done
            size = total if total > 0 else None
            with lock:
                task = tasks.get(label)
                if task is None:
                    task = tasks[label] = bars.add_task(label, total=size)
                bars.update(task, completed=done, total=size)
                now = time.monotonic()
                if now - last_drawn >= 0.1 or (size is not None and done >= size):
                    bars.refresh()
                    last_drawn = now

        yield report


def _summary_table(counts: dict[str, dict[str, int]], title: str | None = None) -> Table:
    table = Table(title=title)
    table.add_column("system")
    table.add_column("entity")
    table.add_column("count", justify="right")
    total = 0
    for system in sorted(counts):
        table.add_section()
        for i, entity in enumerate(sorted(counts[system])):
            n = counts[system][entity]
            total += n
            table.add_row(system if i == 0 else "", entity, f"{n:,}")
    table.add_section()
    table.add_row("total", "", f"{total:,}", style="bold")
    return table


# ---------------------------------------------------------------------------------------------
# argument checks


def _today() -> dt.date:
    return dt.datetime.now(SHANGHAI).date()


def _one_year_after(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def _from_env(ctx: typer.Context, param: str, envvar: str) -> str:
    # typer vendors click, so compare the ParameterSource member by name.
    source = ctx.get_parameter_source(param)
    return f" from {envvar}" if getattr(source, "name", None) == "ENVIRONMENT" else ""


def _check_scale(ctx: typer.Context, scale: float) -> None:
    if not math.isfinite(scale) or scale <= 0 or scale > MAX_SCALE:
        where = _from_env(ctx, "scale", "ZHONGTAI_WORLD_SCALE")
        _usage_error(
            f"--scale must be greater than 0 and at most {MAX_SCALE:g} (got {scale:g}{where}); "
            "use --scale 0.1 for the demo world or --scale 1 for the full-size company."
        )


def _check_seed(ctx: typer.Context, seed: int) -> None:
    if seed < 0:
        where = _from_env(ctx, "seed", "ZHONGTAI_WORLD_SEED")
        _usage_error(f"--seed must be 0 or a positive integer (got {seed}{where}); e.g. --seed 42.")


def _parse_as_of(value: str | None) -> dt.date:
    today = _today()
    if value is None:
        return today
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError("expected YYYY-MM-DD")
        as_of = dt.date.fromisoformat(value)
    except ValueError:
        _usage_error(
            f"--as-of {value!r} is not a date in YYYY-MM-DD form; "
            f"pass e.g. --as-of {today.isoformat()}, or leave it out for today."
        )
    if as_of < EARLIEST_AS_OF:
        _usage_error(
            f"--as-of {as_of.isoformat()} is before {EARLIEST_AS_OF.isoformat()}; "
            "the world's history needs a later date, pass one from 2010 on."
        )
    latest = _one_year_after(today)
    if as_of > latest:
        _usage_error(
            f"--as-of {as_of.isoformat()} is more than a year after today "
            f"({today.isoformat()}); pass a date up to {latest.isoformat()}."
        )
    return as_of


def _world_exists(path: Path) -> bool:
    """A world exists at ``path`` if it is a file or a non-empty folder."""
    if path.is_dir():
        return any(path.iterdir())
    return path.exists()


def _require_world(path: Path, option: str) -> None:
    if not _world_exists(path):
        _fail(
            f"no world at {path}; run `zhongtai world generate` (or `make run`) first, "
            f"or pass {option} with the folder of an existing world."
        )


def _check_replaceable(out: Path) -> None:
    """Refuse ``--force`` on a folder that is obviously not a world of its own."""
    target = out.resolve()
    cwd = Path.cwd().resolve()
    protected = {Path(target.anchor), Path.home().resolve(), settings.data_dir().resolve()}
    if target in protected or target == cwd or target in cwd.parents:
        _usage_error(
            f"--out {out} is not a world folder, so --force will not delete it; "
            f"pass a dedicated folder such as {settings.world_dir()}."
        )


# ---------------------------------------------------------------------------------------------
# the generator


def _generator() -> ModuleType:
    try:
        return importlib.import_module(GENERATOR_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name not in {GENERATOR_MODULE, "simulators", "simulators.world"}:
            raise
        _fail(
            f"the world generator ({GENERATOR_MODULE}) is not available in this checkout; "
            "update it, then run `uv sync --frozen`."
        )


def _clear(folder: Path) -> None:
    """Delete everything inside ``folder`` (which may not exist), keeping the folder itself."""
    if not folder.is_dir():
        return
    for child in folder.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def _peak_rss_bytes() -> int:
    """Peak resident set size of this process plus its largest child (ru_maxrss)."""
    unit = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + children) * unit


# ---------------------------------------------------------------------------------------------
# root


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Zhongtai (中台): a data middle platform for CRM, ERP, OA, expense and bank data."""
    # Settings come from the environment and `.env` in the working directory; load it before
    # the sub-commands read their ZHONGTAI_* defaults. Never overrides variables already set.
    load_dotenv(Path.cwd() / ".env", override=False)


# ---------------------------------------------------------------------------------------------
# zhongtai world ...

ScaleOption = Annotated[
    float,
    typer.Option(
        "--scale",
        envvar="ZHONGTAI_WORLD_SCALE",
        help=f"World size: 1 is the full company, 0.1 a tenth of it (0 < scale ≤ {MAX_SCALE:g}).",
    ),
]
SeedOption = Annotated[
    int,
    typer.Option(
        "--seed",
        envvar="ZHONGTAI_WORLD_SEED",
        help="Random seed; the same seed, scale and as-of give the same world.",
    ),
]


@world_app.command()
def generate(
    ctx: typer.Context,
    scale: ScaleOption = 0.1,
    seed: SeedOption = 42,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            metavar="YYYY-MM-DD",
            help="Last day of the world's history (2010 or later, at most a year from today).",
            show_default="today in Asia/Shanghai",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Folder the world is written to.",
            show_default="$ZHONGTAI_DATA_DIR/world",
        ),
    ] = None,
    inbox: Annotated[
        Path | None,
        typer.Option(
            "--inbox",
            help="Folder the bank-statement files are dropped into.",
            show_default="$ZHONGTAI_DATA_DIR/inbox/bank",
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Replace an existing world at --out (deletes what the folder holds)."
        ),
    ] = False,
    skip_existing: Annotated[
        bool,
        typer.Option(
            "--skip-existing",
            help="If a world already exists at --out, keep it and print its summary.",
        ),
    ] = False,
) -> None:
    """Generate the synthetic world: CRM, ERP, OA, expense records and bank statements."""
    _check_scale(ctx, scale)
    _check_seed(ctx, seed)
    as_of_date = _parse_as_of(as_of)
    if force and skip_existing:
        _usage_error("--force and --skip-existing contradict each other; pass only one.")
    out = out if out is not None else settings.world_dir()
    inbox = inbox if inbox is not None else settings.bank_inbox_dir()

    if out.is_file():
        _usage_error(f"--out {out} is a file; pass a folder for the world.")
    if _world_exists(out):
        if skip_existing:
            gen = _generator()
            _say(f"Using the existing world in {out} (to rebuild it: --force).")
            _print_summary(gen, out)
            return
        if not force:
            _usage_error(
                f"--out {out} already holds a world (the folder is not empty); pass --force "
                "to replace it, or --out with a new or empty folder."
            )
    if force and out.exists():
        _check_replaceable(out)

    gen = _generator()
    existed = out.is_dir()
    if force:
        _clear(out)
    started = time.perf_counter()
    try:
        with _progress_bars() as report:
            gen.generate(
                out, seed=seed, scale=scale, as_of=as_of_date, inbox=inbox, progress=report
            )
    except BaseException as exc:
        # A half-written world would pass for a whole one next time (see --skip-existing).
        _clear(out)
        if not existed and out.is_dir():
            out.rmdir()
        if isinstance(exc, gen.WorldError):
            _fail(f"{exc} (removed the partial world in {out})")
        raise
    elapsed = time.perf_counter() - started
    _say(
        f"Generated the world in {out} (seed {seed}, scale {scale:g}, "
        f"as of {as_of_date.isoformat()}) in {elapsed:.1f} s; bank statements in {inbox}."
    )
    _print_summary(gen, out)


def _print_summary(gen: ModuleType, world: Path) -> None:
    try:
        counts = gen.summary(world)
    except gen.WorldError as exc:
        _fail(str(exc))
    _out().print(_summary_table(counts))


@world_app.command()
def advance(
    days: Annotated[
        int,
        typer.Option("--days", help=f"Days to move the world forward (1 to {MAX_ADVANCE_DAYS})."),
    ],
    world: Annotated[
        Path | None,
        typer.Option(
            "--world", help="Folder of the world.", show_default="$ZHONGTAI_DATA_DIR/world"
        ),
    ] = None,
) -> None:
    """Move an existing world forward in time: new records, changes and deletions."""
    if not 1 <= days <= MAX_ADVANCE_DAYS:
        _usage_error(
            f"--days must be between 1 and {MAX_ADVANCE_DAYS} (got {days}); e.g. --days 1."
        )
    world = world if world is not None else settings.world_dir()
    _require_world(world, "--world")
    gen = _generator()
    try:
        with _progress_bars() as report:
            meta = gen.advance(world, days=days, progress=report)
    except gen.WorldError as exc:
        _fail(str(exc))
    changes = meta.get("changes", {})
    _say(
        f"Advanced the world in {world} by {days} day{'s' if days != 1 else ''} "
        f"to {meta.get('as_of')}: {changes.get('created', 0):,} created, "
        f"{changes.get('modified', 0):,} modified, {changes.get('deleted', 0):,} deleted."
    )
    if str(meta.get("as_of")) > _today().isoformat():
        _say(
            f"Note: the world is now ahead of today ({_today()}). A build takes 'today' from "
            "the data but never later than the wall clock, so as-of figures stop at today "
            "and the as-of consistency tests (daily pipeline vs open deals, stalled-customer "
            "warnings) fail until the calendar catches up. Generate the world with an "
            "earlier --as-of to simulate days ahead."
        )


@world_app.command()
def summary(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the counts as JSON (and nothing else).")
    ] = False,
    world: Annotated[
        Path | None,
        typer.Option(
            "--world", help="Folder of the world.", show_default="$ZHONGTAI_DATA_DIR/world"
        ),
    ] = None,
) -> None:
    """Count the records in the world per system and entity."""
    world = world if world is not None else settings.world_dir()
    _require_world(world, "--world")
    gen = _generator()
    try:
        counts = gen.summary(world)
    except gen.WorldError as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(json.dumps(counts, ensure_ascii=False, indent=2, sort_keys=True))
    else:
        _out().print(_summary_table(counts, title=f"World in {world}"))


@world_app.command()
def bench(
    ctx: typer.Context,
    scale: Annotated[
        float,
        typer.Option("--scale", help=f"World size to benchmark (0 < scale ≤ {MAX_SCALE:g})."),
    ] = 1.0,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 42,
) -> None:
    """Time a full generation in a temporary folder; fail if over 120 s or 4 GiB peak RSS."""
    _check_scale(ctx, scale)
    _check_seed(ctx, seed)
    gen = _generator()
    as_of = _today()
    with tempfile.TemporaryDirectory(prefix="zhongtai-bench-") as tmp:
        out, inbox = Path(tmp) / "world", Path(tmp) / "inbox"
        started = time.perf_counter()
        try:
            with _progress_bars() as report:
                gen.generate(out, seed=seed, scale=scale, as_of=as_of, inbox=inbox, progress=report)
        except gen.WorldError as exc:
            _fail(str(exc))
        wall = time.perf_counter() - started
        counts = gen.summary(out)
    rss = _peak_rss_bytes()
    records = sum(n for entities in counts.values() for n in entities.values())

    console = _out()
    figures = Table(title=f"World bench: scale {scale:g}, seed {seed}, as of {as_of.isoformat()}")
    figures.add_column("measure")
    figures.add_column("value", justify="right")
    figures.add_column("budget", justify="right")
    figures.add_row("wall time", f"{wall:.1f} s", f"{BENCH_MAX_SECONDS:.0f} s")
    figures.add_row(
        "peak RSS", f"{rss / 1024**2:,.0f} MiB", f"{BENCH_MAX_RSS_BYTES / 1024**3:.0f} GiB"
    )
    figures.add_row("records", f"{records:,}", "")
    console.print(figures)
    console.print(_summary_table(counts))

    over = []
    if wall > BENCH_MAX_SECONDS:
        over.append(f"wall time {wall:.1f} s > {BENCH_MAX_SECONDS:.0f} s")
    if rss > BENCH_MAX_RSS_BYTES:
        over.append(f"peak RSS {rss / 1024**3:.2f} GiB > {BENCH_MAX_RSS_BYTES / 1024**3:.0f} GiB")
    if over:
        _fail("over budget: " + "; ".join(over) + ".")
    console.print(Text("Within budget.", style="green"))


# ---------------------------------------------------------------------------------------------
# zhongtai sources …

sources_app = typer.Typer(
    help="Serve the world over the real CRM, ERP, OA and expense protocols (simulators).",
    no_args_is_help=True,
)
app.add_typer(sources_app, name="sources")

_SYSTEM_NAMES = ("crm", "erp", "oa", "expense")


def _default_port(system: str) -> int:
    """Port from ZHONGTAI_<SYSTEM>_BASE_URL (so .env stays the one place), else the default."""
    import os
    from urllib.parse import urlsplit

    from simulators.servers.sources import DEFAULT_PORTS

    url = os.environ.get(f"ZHONGTAI_{system.upper()}_BASE_URL")
    if url:
        try:
            port = urlsplit(url).port
        except ValueError:
            port = None
        if port:
            return port
    return DEFAULT_PORTS[system]


def _parse_only(value: str | None) -> list[str]:
    if not value:
        return list(_SYSTEM_NAMES)
    systems = [s.strip().lower() for s in value.split(",") if s.strip()]
    bad = [s for s in systems if s not in _SYSTEM_NAMES]
    if bad or not systems:
        _usage_error(
            f"--only takes a comma-separated list of {', '.join(_SYSTEM_NAMES)} "
            f"(got {value!r}); e.g. --only crm,erp."
        )
    return systems


def _parse_knobs(values: list[str] | None) -> dict[str, str]:
    from simulators.servers.faults import FaultConfig

    known = set(FaultConfig.__dataclass_fields__)
    knobs: dict[str, str] = {}
    for item in values or []:
        key, sep, val = item.partition("=")
        key = key.strip()
        if not sep or key not in known:
            _usage_error(
                f"--fault takes KEY=VALUE with KEY one of {', '.join(sorted(known))} "
                f"(got {item!r}); e.g. --fault error_rate=0.1."
            )
        try:
            number = float(val)
        except ValueError:
            _usage_error(f"--fault {key} needs a number (got {val!r}).")
        if number < 0 or (key.endswith("_rate") and number > 1):
            bound = "between 0 and 1" if key.endswith("_rate") else ">= 0"
            _usage_error(f"--fault {key} must be {bound} (got {val}).")
        knobs[key] = val
    return knobs


@sources_app.command()
def serve(
    world: Annotated[
        Path | None,
        typer.Option(
            "--world", help="Folder of the world.", show_default="$ZHONGTAI_DATA_DIR/world"
        ),
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    crm_port: Annotated[
        int | None,
        typer.Option(
            "--crm-port", help="CRM port.", show_default="8101 or from ZHONGTAI_CRM_BASE_URL"
        ),
    ] = None,
    erp_port: Annotated[
        int | None,
        typer.Option(
            "--erp-port", help="ERP port.", show_default="8102 or from ZHONGTAI_ERP_BASE_URL"
        ),
    ] = None,
    oa_port: Annotated[
        int | None,
        typer.Option(
            "--oa-port", help="OA port.", show_default="8103 or from ZHONGTAI_OA_BASE_URL"
        ),
    ] = None,
    expense_port: Annotated[
        int | None,
        typer.Option(
            "--expense-port",
            help="Expense port.",
            show_default="8104 or from ZHONGTAI_EXPENSE_BASE_URL",
        ),
    ] = None,
    only: Annotated[
        str | None, typer.Option("--only", help="Serve only these systems, e.g. crm,erp.")
    ] = None,
    faults: Annotated[
        str, typer.Option("--faults", help="Fault profile: none, flaky or hostile.")
    ] = "none",
    fault_seed: Annotated[
        int, typer.Option("--fault-seed", help="Seed of the injected faults.")
    ] = 0,
    fault: Annotated[
        list[str] | None,
        typer.Option(
            "--fault", help="Override one fault knob, e.g. --fault error_rate=0.1 (repeatable)."
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No request log on stderr.")] = False,
) -> None:
    """Serve the world as ZOHO CRM, Kingdee K/3 Cloud, Weaver e-cology and Huilianyi do.

    Runs until Ctrl-C. `zhongtai world advance` shows up without a restart.
    """
    systems = _parse_only(only)
    if faults not in ("none", "flaky", "hostile"):
        _usage_error(f"--faults must be none, flaky or hostile (got {faults!r}).")
    knobs = _parse_knobs(fault)
    ports = {"crm": crm_port, "erp": erp_port, "oa": oa_port, "expense": expense_port}
    for system, port in ports.items():
        if port is not None and not 0 <= port <= 65535:
            _usage_error(f"--{system}-port must be between 0 and 65535 (got {port}).")
    resolved = {s: (p if p is not None else _default_port(s)) for s, p in ports.items()}
    world = world if world is not None else settings.world_dir()
    _require_world(world, "--world")
    from simulators.servers.http import SourceServerError
    from simulators.servers.sources import start_sources, stop_sources

    try:
        running = start_sources(
            world,
            host=host,
            ports=resolved,
            only=systems,
            faults=faults,
            fault_seed=fault_seed,
            knobs=knobs,
            log=not quiet,
        )
    except SourceServerError as exc:
        _fail(str(exc))
    table = Table(title=f"Zhongtai source simulators — world {world} (faults: {faults})")
    table.add_column("system")
    table.add_column("protocol")
    table.add_column("base URL")
    protocol = {
        "crm": "ZOHO CRM v8",
        "erp": "Kingdee K/3 Cloud WebAPI",
        "oa": "Weaver e-cology 9 REST",
        "expense": "Huilianyi open API",
    }
    for system, srv in running.items():
        base = srv.url + ("/K3Cloud/" if system == "erp" else "")
        table.add_row(system, protocol[system], base)
    _out().print(table)
    _say(
        "Credentials: the ZHONGTAI_*_CLIENT_ID / _SECRET / … values of .env (see .env.example). "
        "Press Ctrl-C to stop."
    )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        stop_sources(running)
        _say("Stopped the simulators.")


@sources_app.command("bench")
def sources_bench(
    world: Annotated[
        Path | None,
        typer.Option(
            "--world", help="Folder of the world.", show_default="$ZHONGTAI_DATA_DIR/world"
        ),
    ] = None,
    only: Annotated[
        str | None, typer.Option("--only", help="Benchmark only these systems, e.g. crm,erp.")
    ] = None,
    minimum: Annotated[
        float, typer.Option("--min", help="Records/s each server must reach (exit 1 if not).")
    ] = 20_000.0,
) -> None:
    """Page each simulator's largest entity and print records/s (target: 20,000 per server)."""
    systems = _parse_only(only)
    world = world if world is not None else settings.world_dir()
    _require_world(world, "--world")
    from simulators.servers.bench import BENCHES

    table = Table(title=f"Simulator paging speed — world {world}")
    table.add_column("system / entity")
    table.add_column("records/s", justify="right")
    table.add_column("target", justify="right")
    slow = []
    for system in systems:
        label, _cols, rate = BENCHES[system](world)
        table.add_row(label, f"{rate:,.0f}", f"{minimum:,.0f}")
        if rate < minimum:
            slow.append(f"{system} {rate:,.0f}/s")
    _out().print(table)
    if slow:
        _fail("below target: " + ", ".join(slow))


# ---------------------------------------------------------------------------------------------
# zhongtai extract


def _result_table(results, title: str) -> Table:
    table = Table(title=title)
    for col, just in (
        ("system", "left"),
        ("entity", "left"),
        ("loaded", "right"),
        ("deleted", "right"),
        ("quarantined", "right"),
        ("seconds", "right"),
        ("status", "left"),
    ):
        table.add_column(col, justify=just)
    for r in results:
        table.add_row(
            r.system,
            r.entity,
            f"{r.loaded:,}",
            f"{r.deleted:,}",
            f"{r.quarantined:,}",
            f"{r.seconds:.1f}",
            Text("ok", style="green")
            if r.error is None
            else Text(f"FAILED: {r.error}", style="red"),
        )
    return table


@app.command()
def extract(
    system: Annotated[str, typer.Option("--system", help="crm, erp, oa, expense or all.")] = "all",
    entity: Annotated[
        str | None, typer.Option("--entity", help="Only this entity (source name, e.g. Deals).")
    ] = None,
    full_refresh: Annotated[
        bool, typer.Option("--full-refresh", help="Ignore saved cursors: extract everything.")
    ] = False,
) -> None:
    """Land source data in $ZHONGTAI_DATA_DIR/landing: incremental, crash-safe, retried.

    Exits non-zero when an entity failed, after finishing the others.
    """
    from extractors.run import SYSTEMS, ExtractError
    from extractors.run import extract as run_extract

    systems = list(SYSTEMS) if system == "all" else [system]
    if system != "all" and system not in SYSTEMS:
        _usage_error(f"--system must be one of {', '.join(SYSTEMS)} or all (got {system!r}).")
    try:
        with _progress_bars() as report:
            results, run_id = run_extract(
                systems, entity=entity, full_refresh=full_refresh, progress=report
            )
    except ExtractError as exc:
        _usage_error(str(exc))
    _out().print(_result_table(results, f"Extraction run {run_id}"))
    failed = [f"{r.system}/{r.entity}" for r in results if r.error]
    if failed:
        _fail(
            f"{len(failed)} entit{'y' if len(failed) == 1 else 'ies'} failed: "
            f"{', '.join(failed)}. The others were landed; fix the cause and run again "
            "(cursors of failed entities did not move)."
        )


def _compaction_table(report) -> Table:
    table = Table(title=f"Landing compaction{' (dry run)' if report.dry_run else ''}")
    for col, just in (
        ("system", "left"),
        ("entity", "left"),
        ("files before", "right"),
        ("files after", "right"),
        ("rows merged", "right"),
        ("note", "left"),
    ):
        table.add_column(col, justify=just)
    for e in report.entities:
        notes = [e.recovered] if e.recovered else []
        notes += [f"{g.month}: {g.skipped}" for g in e.skipped]
        if not e.groups and not notes:
            continue
        table.add_row(
            e.system,
            e.entity,
            f"{e.files_before:,}",
            f"{e.files_after:,}",
            f"{e.rows:,}",
            Text("; ".join(notes), style="yellow") if notes else "",
        )
    return table


@app.command("compact")
def compact_cmd(
    keep_days: Annotated[
        float,
        typer.Option("--keep-days", min=0, help="Leave the loads of the last N days as they are."),
    ] = 1.0,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only say what would be merged.")
    ] = False,
) -> None:
    """Merge the landing zone's small per-load files into one file per entity and month.

    Every row is kept as it was (staging reads the same change log); recent loads and large
    files stay as they are. Safe to interrupt: the next run finishes or undoes the merge.
    The nightly Dagster schedule runs it before the full build.
    """
    from extractors.compaction import CompactionError, compact_landing

    landing = settings.data_dir() / "landing"
    older_than = dt.datetime.now(dt.UTC) - dt.timedelta(days=keep_days)
    try:
        with _progress_bars() as report:
            result = compact_landing(
                landing, older_than=older_than, dry_run=dry_run, progress=report
            )
    except CompactionError as exc:
        _fail(str(exc))
    _out().print(_compaction_table(result))
    verb = "would merge" if dry_run else "merged"
    _say(
        f"{landing}: {result.files_before:,} files → {result.files_after:,} "
        f"({verb} loads older than {older_than:%Y-%m-%d %H:%M} UTC) in {result.seconds:.1f} s"
    )
    if result.skipped:
        _say(
            f"{len(result.skipped)} group(s) left as they were (see the notes: a file that "
            "cannot be read, a column whose type changed, or no room to write); the data is "
            "untouched and the next run tries again."
        )


import_app = typer.Typer(
    help="Import files into the landing zone: bank statements, event logs.", no_args_is_help=True
)
app.add_typer(import_app, name="import")


@import_app.command("bank")
def import_bank_cmd(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Files or folders (default: $ZHONGTAI_DATA_DIR/inbox/bank).", show_default=False
        ),
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option("--mapping", help="Column mapping for other banks (TOML or JSON)."),
    ] = None,
    keep: Annotated[
        bool, typer.Option("--keep", help="Leave imported files where they are.")
    ] = False,
) -> None:
    """Import bank statements (.xlsx, .xls, .csv in UTF-8 or GBK): bad rows are quarantined,
    repeats are skipped, imported files move to processed/."""
    from extractors.bank import import_bank

    for p in paths or []:
        if not p.exists():
            _usage_error(f"{p} does not exist; give statement files or a folder of them.")
    if mapping is not None and not mapping.is_file():
        _usage_error(f"--mapping {mapping} is not a file; see default_mapping.toml for the format.")
    with _progress_bars() as report:
        rep = import_bank(
            list(paths) if paths else None,
            mapping=mapping,
            progress=report,
            move=not keep,
        )
    table = Table(title=f"Bank statement import {rep.run_id}")
    for col in ("file", "status", "loaded", "duplicates", "quarantined", "note"):
        table.add_column(
            col, justify="right" if col in ("loaded", "duplicates", "quarantined") else "left"
        )
    for f in rep.files:
        table.add_row(
            f.file,
            f.status,
            f"{f.loaded:,}",
            f"{len(f.duplicates):,}",
            f"{f.quarantined:,}",
            f.note or "",
        )
    _out().print(table)
    for f in rep.files:
        for b in f.bad:
            _say(f"quarantined: {f.file} row {b.row} column {b.column}: {b.reason}")
    if not rep.ok:
        _fail(rep.error or "some files failed; see the table above")


@import_app.command("eventlog")
def import_eventlog_cmd(
    path: Annotated[Path, typer.Argument(help="A .csv, .xes or .xes.gz event log.")],
    name: Annotated[str, typer.Option("--name", help="Process name (the workflow type).")],
    case_col: Annotated[str, typer.Option("--case-col")] = "case:concept:name",
    activity_col: Annotated[str, typer.Option("--activity-col")] = "concept:name",
    timestamp_col: Annotated[str, typer.Option("--timestamp-col")] = "time:timestamp",
    resource_col: Annotated[str, typer.Option("--resource-col")] = "org:resource",
    group_col: Annotated[str, typer.Option("--group-col")] = "org:group",
    lifecycle_col: Annotated[str, typer.Option("--lifecycle-col")] = "lifecycle:transition",
    start_col: Annotated[str, typer.Option("--start-col")] = "start_timestamp",
) -> None:
    """Import a process event log into the OA workflow landing tables, under --name."""
    from extractors.eventlog import import_eventlog

    if not path.is_file():
        _usage_error(f"{path} is not a file; give a .csv, .xes or .xes.gz event log.")
    if not name.strip():
        _usage_error("--name must not be empty; it becomes the workflow type.")
    with _progress_bars() as report:
        rep = import_eventlog(
            path,
            name,
            case_col=case_col,
            activity_col=activity_col,
            timestamp_col=timestamp_col,
            resource_col=resource_col,
            group_col=group_col,
            lifecycle_col=lifecycle_col,
            start_col=start_col,
            progress=report,
        )
    _say(
        f"Imported {rep.events:,} events of {rep.cases:,} cases ({rep.activity_instances:,} "
        f"activity instances) from {path} as '{name}' in {rep.seconds:.1f} s; "
        f"{rep.quarantined:,} rows quarantined."
    )


@app.command("build")
def build_cmd(
    select: Annotated[
        str | None,
        typer.Option(
            "--select", "-s", help="dbt selection, e.g. 'marts.sales' or '+fct_contracts'."
        ),
    ] = None,
    full_refresh: Annotated[
        bool, typer.Option("--full-refresh", help="Rebuild incremental models from scratch.")
    ] = False,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Business 'today' for as-of metrics (YYYY-MM-DD); default: the newest "
            "activity in the sources.",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only the summary.")] = False,
) -> None:
    """Build the warehouse ($ZHONGTAI_DATA_DIR/warehouse.duckdb) from the landing zone with dbt:
    seeds, staging, dimensions and marts, with every test.

    Exits non-zero when a model or a test failed; the summary names them.
    """
    from zhongtai.warehouse import WarehouseError, build

    dbt_vars = None
    if as_of is not None:
        dbt_vars = {"as_of_date": _parse_as_of(as_of).isoformat()}
    console = _out()
    try:
        res = build(
            select=select,
            full_refresh=full_refresh,
            dbt_vars=dbt_vars,
            on_line=None
            if quiet
            else (lambda line: console.print(line, markup=False, highlight=False)),
        )
    except WarehouseError as exc:
        _fail(str(exc))
    console.print(_build_table(res))
    if not res.ok:
        _fail_build(res)


def _build_table(res) -> Table:
    table = Table(title=f"Warehouse build — {res.warehouse} ({res.seconds:.1f} s)")
    for col in ("kind", "passed", "warned", "failed", "skipped"):
        table.add_column(col, justify="left" if col == "kind" else "right")
    for kind in ("seed", "model", "test", "unit_test"):
        if res.count(kind):
            table.add_row(
                kind,
                str(res.count(kind, "success") + res.count(kind, "pass")),
                str(res.count(kind, "warn")),
                str(res.count(kind, "error") + res.count(kind, "fail")),
                str(res.count(kind, "skipped")),
            )
    return table


def _fail_build(res) -> NoReturn:
    names = ", ".join(f"{n.kind} {n.name}" for n in res.failures[:10])
    _fail(
        "the build failed"
        + (f": {names}" if names else f" (dbt exit code {res.returncode}); see the log above")
        + f". dbt's log: {res.warehouse.parent / 'dbt' / 'logs' / 'dbt.log'}"
    )


def _marts_table(warehouse: Path) -> Table:
    import duckdb

    table = Table(title="Published marts (schema marts)")
    table.add_column("table")
    table.add_column("rows", justify="right")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        names = con.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts' order by 1"
        ).fetchall()
        for (name,) in names:
            n = con.execute(f'select count(*) from marts."{name}"').fetchall()[0][0]
            table.add_row(name, f"{n:,}")
    finally:
        con.close()
    return table


@app.command("pipeline")
def pipeline_cmd(
    sources: Annotated[
        str,
        typer.Option(
            "--sources",
            help="demo: serve <data>/world with the simulators; env: the systems configured "
            "in the environment (.env), i.e. your real CRM/ERP/OA/expense.",
        ),
    ] = "demo",
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show dbt's output.")] = False,
) -> None:
    """Run the whole job: extract every system, import the bank statements, build the
    warehouse, run the quality checks and publish the marts when no blocking check failed
    (otherwise the previous publish keeps serving). `make pipeline` and `make run` call this."""
    from extractors.bank.importer import BankImportError
    from zhongtai.pipeline import run_pipeline
    from zhongtai.quality import QualityError
    from zhongtai.serving import ServingError
    from zhongtai.warehouse import WarehouseError

    if sources not in ("demo", "env"):
        _usage_error(f"--sources must be demo or env (got {sources!r}).")
    data = settings.data_dir()
    if sources == "demo":
        _require_world(data / "world", "ZHONGTAI_DATA_DIR")
    console = _out()

    def dbt_line(line: str) -> None:
        progress_line = " of " in line and any(w in line for w in ("OK ", "ERROR", "FAIL"))
        if verbose or progress_line:
            console.print(line, markup=False, highlight=False)

    try:
        with _progress_bars() as report:
            res = run_pipeline(
                data,
                sources=sources,
                progress=report,
                on_line=dbt_line,
            )
    except (WarehouseError, ServingError, BankImportError, QualityError) as exc:
        _fail(str(exc))
    console.print(_result_table(res.extract_results, "Extraction"))
    bank = res.bank_report
    _say(
        f"Bank statements: {len(bank.files)} files, {bank.loaded:,} receipts loaded, "
        f"{bank.duplicates:,} duplicates skipped."
    )
    console.print(_build_table(res.build))
    if not res.build.ok:
        _fail_build(res.build)
    q = res.quality
    failed = [r for r in q.results if not r.passed]
    _say(
        f"Quality: {len(q.results):,} checks, {len(failed):,} failed "
        f"({len(q.blocking_failures):,} blocking)."
        + (f" Data Docs: {q.docs_index}" if q.docs_index else "")
    )
    if res.blocked:
        _fail(
            f"not published — {res.blocked}. The previous publish keeps serving. Details: "
            "`zhongtai check`; fix the data or the source, then rerun."
        )
    console.print(_marts_table(res.build.warehouse))
    _say(
        f"Published to {res.published.path} (serving/current points at it). Query it: "
        'uv run zhongtai sql "from marts.rpt_leadership_kpis where is_company_total limit 5"'
    )
    if res.extract_failed:
        _fail(
            "published, but these extractions failed and their data is from the previous run: "
            + "; ".join(f"{r.system}/{r.entity}: {r.error}" for r in res.extract_failed)
        )


app.command("demo", hidden=True, help="Old name of `zhongtai pipeline`.")(pipeline_cmd)


@app.command("pipeline-bench")
def pipeline_bench_cmd(
    folder: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="Bench data folder (its base/ world is reused; the rest is rebuilt).",
            show_default="data/bench",
        ),
    ] = None,
    scale: Annotated[float, typer.Option(help="World scale when one must be generated.")] = 1.0,
    seed: Annotated[int, typer.Option(help="World seed when one must be generated.")] = 42,
) -> None:
    """Time the pipeline from empty and one incremental cycle after a simulated day (targets
    at scale 1: <= 10 min and <= 60 s). `make bench` calls this."""
    from zhongtai.pipeline_bench import run_bench

    data = (folder or settings.data_dir() / "bench").resolve()
    timings = run_bench(data, scale, seed, _today(), say=_say)
    table = Table(title=f"Pipeline at {data}")
    for col in ("cycle", "total", "extract", "import bank", "build", "check + publish"):
        table.add_column(col, justify="right" if col != "cycle" else "left")
    for t in timings:
        table.add_row(
            t.name,
            f"{t.seconds:.1f} s",
            *[f"{t.stages.get(k, 0):.1f} s" for k in ("extract", "import bank", "build")],
            f"{t.stages.get('check + publish', 0):.1f} s",
        )
    _out().print(table)
    for t in timings:
        if t.blocked:
            _say(f"{t.name}: not published — {t.blocked}")


@app.command("up")
def up_cmd(
    portal_port: Annotated[int, typer.Option(help="Portal port.")] = 8501,
    dagster_port: Annotated[int, typer.Option(help="Dagster UI port.")] = 3000,
    no_portal: Annotated[bool, typer.Option("--no-portal", help="Do not start it.")] = False,
    no_dagster: Annotated[bool, typer.Option("--no-dagster", help="Do not start it.")] = False,
    simulators: Annotated[
        bool,
        typer.Option(
            "--simulators",
            help="Serve <data>/world with the simulators and point Dagster's extractors at them.",
        ),
    ] = False,
    automation: Annotated[
        bool,
        typer.Option("--automation", help="Start Dagster's schedules and sensors switched on."),
    ] = False,
) -> None:
    """Start the portal and the Dagster UI in the foreground, printing their URLs; Ctrl-C
    stops everything. `make run` calls this after the pipeline; `make dev` with
    --simulators --automation --no-portal."""
    from zhongtai.services import ServiceError, run_services

    try:
        code = run_services(
            portal_port=None if no_portal else portal_port,
            dagster_port=None if no_dagster else dagster_port,
            simulators=simulators,
            automation=automation,
            say=_say,
        )
    except ServiceError as exc:
        _fail(str(exc))
    raise typer.Exit(code)


@app.command("publish")
def publish_cmd(
    keep: Annotated[
        int, typer.Option("--keep", min=1, help="How many publishes to keep in serving/.")
    ] = 5,
) -> None:
    """Publish the warehouse's marts as a new read-only serving file and point
    $ZHONGTAI_DATA_DIR/serving/current at it (blue/green: readers never see half a publish)."""
    from zhongtai.serving import ServingError, publish

    try:
        pub = publish(keep=keep)
    except ServingError as exc:
        _fail(str(exc))
    _say(
        f"Published {len(pub.tables)} tables ({sum(pub.tables.values()):,} rows) to {pub.path}; "
        f"serving/current points at it."
        + (f" Removed {len(pub.pruned)} older publish(es)." if pub.pruned else "")
    )


app.command("check")(importlib.import_module("zhongtai.check_cli").check_cmd)


@app.command("sql")
def sql_cmd(
    query: Annotated[str, typer.Argument(help="A SQL query over the published marts.")],
    max_rows: Annotated[
        int, typer.Option("--max-rows", min=1, help="Rows to print (the total is reported).")
    ] = 50,
) -> None:
    """Query the current publish read-only, e.g.
    zhongtai sql "from marts.rpt_leadership_kpis where is_company_total limit 5"."""
    from zhongtai.serving import ServingError, connect, current_path

    try:
        con = connect()
    except ServingError as exc:
        _fail(str(exc))
    try:
        cur = con.cursor()
        try:
            rel = cur.execute(query)
        except duckdb_error() as exc:
            _fail(f"the query failed: {exc}")
        columns = [d[0] for d in rel.description or []]
        rows = rel.fetchall()
    finally:
        con.close()
    table = Table(title=f"{current_path().name}")
    for c in columns:
        table.add_column(c)
    for r in rows[:max_rows]:
        table.add_row(*["" if v is None else str(v) for v in r])
    _out().print(table)
    if len(rows) > max_rows:
        _say(f"showing {max_rows:,} of {len(rows):,} rows (--max-rows to see more).")
    else:
        _say(f"{len(rows):,} row{'s' if len(rows) != 1 else ''}.")


def duckdb_error() -> type[Exception]:
    import duckdb

    return duckdb.Error


@app.command("extract-bench")
def extract_bench(
    world: Annotated[
        Path | None,
        typer.Option(
            "--world",
            help="World to benchmark on (copied; yours is not changed).",
            show_default="$ZHONGTAI_DATA_DIR/world",
        ),
    ] = None,
) -> None:
    """Time a full extraction from the simulators and one simulated day of changes."""
    from extractors.bench import DAY_BUDGET_S, FULL_BUDGET_S, run_bench

    world = world if world is not None else settings.world_dir()
    _require_world(world, "--world")
    res = run_bench(world)
    table = Table(title=f"Extraction benchmark — world {world}")
    for col in ("run", "rows landed", "seconds", "budget"):
        table.add_column(col, justify="left" if col == "run" else "right")
    table.add_row(
        "full", f"{res['full_rows']:,}", f"{res['full_seconds']:.1f}", f"{FULL_BUDGET_S:.0f}"
    )
    table.add_row(
        "one day", f"{res['day_rows']:,}", f"{res['day_seconds']:.1f}", f"{DAY_BUDGET_S:.0f}"
    )
    table.add_row(
        "one day, simulators cold",
        f"{res['day_cold_rows']:,}",
        f"{res['day_cold_seconds']:.1f}",
        "-",
    )
    _out().print(table)
    _out().print(_result_table(res["full"], "Full run per entity"))
    _say(f"peak memory of the extracting process: {res['peak_rss_bytes'] / 2**20:,.0f} MiB")
    _say(
        "'one day' is timed with the simulators warm; 'simulators cold' is the same day extracted "
        "right after the advance, while the simulators re-read their world from disk."
    )
    problems = list(res["errors"])
    if res["day_cold_rows"] != res["day_rows"]:
        problems.append(
            f"the two extractions of the same day landed {res['day_cold_rows']:,} and "
            f"{res['day_rows']:,} rows"
        )
    if res["full_seconds"] > FULL_BUDGET_S:
        problems.append(f"full extraction {res['full_seconds']:.0f} s > {FULL_BUDGET_S:.0f} s")
    if res["day_seconds"] > DAY_BUDGET_S:
        problems.append(f"one day {res['day_seconds']:.1f} s > {DAY_BUDGET_S:.0f} s")
    if problems:
        _fail("; ".join(problems))


app.add_typer(importlib.import_module("zhongtai.portal_cli").portal_app, name="portal")


if __name__ == "__main__":  # pragma: no cover
    app()
