"""Long-running services in the foreground: the portal (Streamlit) and the Dagster UI.

``make run`` starts both after the pipeline; ``make dev`` starts Dagster with its schedules and
sensors switched on, against the demo world's simulators served from this process. Ctrl-C (or
SIGTERM) stops every child process group and the simulators, then returns.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from zhongtai import settings

REPO = Path(__file__).resolve().parent.parent
DAGSTER_TEMPLATE = REPO / "orchestration" / "dagster.yaml"


class ServiceError(RuntimeError):
    """A service could not start; the message says why and what to do."""


@dataclass
class Service:
    name: str
    url: str
    process: subprocess.Popen


def dagster_home(data: Path) -> Path:
    """``$DAGSTER_HOME`` (default ``<data>/dagster``) with our ``dagster.yaml`` in it: the
    warehouse pool limit of 1 lives there. An existing file is left alone if it differs, with
    a warning, so local edits survive."""
    home = Path(os.environ.get("DAGSTER_HOME") or data / "dagster").resolve()
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    if not target.exists():
        shutil.copyfile(DAGSTER_TEMPLATE, target)
    elif target.read_text() != DAGSTER_TEMPLATE.read_text():
        print(
            f"note: {target} differs from {DAGSTER_TEMPLATE}; keeping yours (the pool "
            "duckdb_warehouse must stay limited to 1).",
            file=sys.stderr,
        )
    return home


def _spawn(cmd: list[str], env: dict[str, str]) -> subprocess.Popen:
    # a process group of its own, so stopping it stops its children too (dagster dev spawns
    # the webserver, the daemon and code servers)
    return subprocess.Popen(cmd, env=env, cwd=REPO, start_new_session=True)


def _stop(proc: subprocess.Popen, timeout: float = 15) -> None:
    if proc.poll() is not None:
        return
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=timeout)
            return
        except subprocess.TimeoutExpired:
            continue


def start_portal(data: Path, port: int, env: dict[str, str]) -> Service:
    cmd = [sys.executable, "-m", "zhongtai.cli", "portal", "serve", "--port", str(port)]
    return Service("portal", f"http://localhost:{port}", _spawn(cmd, env))


def start_dagster(data: Path, port: int, env: dict[str, str]) -> Service:
    from orchestration.prepare import prepare_manifest

    # the dbt assets load the manifest: re-parse so model changes since the last run show
    prepare_manifest(data, force=True)
    env = {**env, "DAGSTER_HOME": str(dagster_home(data))}
    dagster = Path(sys.executable).with_name("dagster")
    cmd = [
        str(dagster) if dagster.exists() else "dagster",
        "dev",
        "-m",
        "orchestration.definitions",
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
    ]
    return Service("dagster", f"http://localhost:{port}", _spawn(cmd, env))


def run_services(
    data: Path | None = None,
    *,
    portal_port: int | None = 8501,
    dagster_port: int | None = 3000,
    simulators: bool = False,
    automation: bool = False,
    say: Callable[[str], None] = print,
) -> int:
    """Start the chosen services and wait; returns the exit code (0 after Ctrl-C, 1 when a
    service died on its own)."""
    data = (data or settings.data_dir()).resolve()
    env = dict(os.environ)
    env["ZHONGTAI_DATA_DIR"] = str(data)
    env["PYTHONUNBUFFERED"] = "1"
    if automation:
        env["ZHONGTAI_DAGSTER_AUTOMATION"] = "on"
    running_sources = None
    if simulators:
        from extractors.run import SYSTEMS
        from simulators.servers.sources import extractor_env, start_sources

        if not (data / "world").exists():
            raise ServiceError(f"no demo world in {data / 'world'}: run `make run` first.")
        running_sources = start_sources(data / "world", ports=dict.fromkeys(SYSTEMS, 0), log=False)
        env.update(extractor_env({s: srv.url for s, srv in running_sources.items()}))
        say("Simulators: " + ", ".join(f"{s} {srv.url}" for s, srv in running_sources.items()))
    services: list[Service] = []
    stop = {"now": False}

    def on_signal(signum, _frame):
        stop["now"] = True

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    code = 0
    try:
        if portal_port:
            services.append(start_portal(data, portal_port, env))
        if dagster_port:
            services.append(start_dagster(data, dagster_port, env))
        for s in services:
            say(f"{s.name:8} {s.url}")
        say("Ctrl-C stops everything.")
        while not stop["now"]:
            dead = [s for s in services if s.process.poll() is not None]
            if dead:
                for s in dead:
                    say(f"{s.name} exited with code {s.process.returncode}; stopping the rest.")
                code = 1
                break
            time.sleep(0.5)
    finally:
        for s in services:
            _stop(s.process)
        if running_sources:
            from simulators.servers.sources import stop_sources

            stop_sources(running_sources)
        for s, handler in old.items():
            signal.signal(s, handler)
    say("Stopped.")
    return code
