"""The four simulators served from a child process, as real sources are served from elsewhere.

The demo pipeline used to serve them from its own process, where the servers and the
extractors took turns on one GIL, so the systems had to be extracted one after the other.
From a child process they are extracted side by side (a full extraction in ``make bench``:
1,596 s → 1,051 s at scale 1; see docs/decisions.md).

The child is ``python -m simulators.servers.child <world>``: a plain subprocess, not a
multiprocessing one, so it never re-runs the parent's ``__main__`` (which under Streamlit's
test harness is a portal page). It prints one JSON line — the URLs, or why it could not
start — then serves until its stdin closes: when the parent asks it to stop, and also when
the parent dies, so a killed pipeline leaves no simulators behind. Ctrl-C in the terminal is
left to the parent.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from simulators.servers.http import SourceServerError

START_TIMEOUT_S = 120.0
_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class ChildSources:
    urls: dict[str, str]  # system → root URL (as RunningServer.url)
    pid: int


def main(argv: list[str] | None = None) -> int:
    from simulators.servers.sources import SYSTEMS, start_sources, stop_sources

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    (world,) = argv if argv is not None else sys.argv[1:]
    try:
        running = start_sources(Path(world), ports=dict.fromkeys(SYSTEMS, 0), log=False)
    except Exception as e:  # noqa: BLE001 - any start failure is raised by the parent
        print(json.dumps({"error": str(e) or type(e).__name__}), flush=True)
        return 1
    try:
        print(json.dumps({"urls": {s: srv.url for s, srv in running.items()}}), flush=True)
        sys.stdin.read()  # until the parent closes it, or is gone
    finally:
        stop_sources(running)
    return 0


def _first_line(proc: subprocess.Popen, timeout: float) -> str | None:
    """The child's first line of output; None on timeout; "" when it ended without one."""
    assert proc.stdout is not None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        buf = b""
        while not buf.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                return None
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                return ""
            buf += chunk
    return buf.decode("utf-8")


@contextmanager
def sources_in_child(world: Path, timeout: float = START_TIMEOUT_S) -> Iterator[ChildSources]:
    """Serve ``world`` from a child process on free ports. Raises ``SourceServerError`` when
    the simulators cannot start, or when their process ended before it was asked to (say,
    killed for memory)."""
    path = [str(_ROOT), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in path if p)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulators.servers.child", str(world)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
    )
    try:
        line = _first_line(proc, timeout)
        if line is None:
            raise SourceServerError(
                f"the simulators did not start within {timeout:.0f} s (world {world})"
            )
        if not line:
            raise SourceServerError(
                f"the simulators' process ended while starting (exit code {proc.wait(5)}; "
                "its error is printed above)"
            )
        msg = json.loads(line)
        if "error" in msg:
            raise SourceServerError(msg["error"])
        yield ChildSources(msg["urls"], proc.pid)
        if proc.poll() is not None:
            raise SourceServerError(
                f"the simulators' process ended during the run (exit code {proc.returncode}), "
                "so the extraction above may have failed for that reason; run it again"
            )
    finally:
        if proc.stdin is not None:
            proc.stdin.close()  # the child's signal to stop
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        if proc.stdout is not None:
            proc.stdout.close()


if __name__ == "__main__":
    sys.exit(main())
