"""The four simulators served from a child process, as real sources are served from elsewhere.

The demo pipeline used to serve them from its own process, where the servers and the
extractors took turns on one GIL, so the systems had to be extracted one after the other.
From a child process they are extracted side by side (a full extraction at scale 0.1: 154 s
in-process and in sequence, 89 s this way; see docs/decisions.md).

The child stops when asked, and also when its parent dies (its end of the pipe closes), so a
killed pipeline leaves no simulators behind.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from simulators.servers.http import SourceServerError

START_TIMEOUT_S = 120.0


def _serve(world: str, conn) -> None:
    import signal

    from simulators.servers.sources import SYSTEMS, start_sources, stop_sources

    # Ctrl-C reaches the whole process group: the parent decides, and stops us by the pipe
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        running = start_sources(Path(world), ports=dict.fromkeys(SYSTEMS, 0), log=False)
    except Exception as e:  # noqa: BLE001 - any start failure is raised by the parent
        with suppress(OSError):  # the parent may have given up waiting
            conn.send(("error", str(e) or type(e).__name__))
        return
    try:
        with suppress(OSError):
            conn.send(("ok", {s: srv.url for s, srv in running.items()}))
        with suppress(EOFError, OSError):
            conn.recv()  # "stop"; EOFError when the parent is gone
    finally:
        stop_sources(running)


@contextmanager
def sources_in_child(world: Path, timeout: float = START_TIMEOUT_S) -> Iterator[dict[str, str]]:
    """Serve ``world`` from a child process; yields ``{system: root URL}`` (ports chosen
    freely). Raises ``SourceServerError`` when the simulators cannot start, or when their
    process ended before it was asked to (say, killed for memory)."""
    ctx = mp.get_context("spawn")  # no fork: the caller may run threads
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_serve, args=(str(world), child), name="zhongtai-simulators")
    proc.daemon = True
    proc.start()
    child.close()
    try:
        if not parent.poll(timeout):
            raise SourceServerError(
                f"the simulators did not start within {timeout:.0f} s (world {world})"
            )
        try:
            kind, payload = parent.recv()
        except EOFError:
            raise SourceServerError(
                f"the simulators' process ended while starting (exit code {proc.exitcode}); "
                f"is {world} a complete world? `zhongtai world summary` checks it"
            ) from None
        if kind == "error":
            raise SourceServerError(payload)
        yield payload
        if not proc.is_alive():
            raise SourceServerError(
                f"the simulators' process ended during the run (exit code {proc.exitcode}), "
                "so the extraction above may have failed for that reason; run it again"
            )
    finally:
        with suppress(BrokenPipeError, OSError):
            parent.send("stop")
        parent.close()
        proc.join(15)
        if proc.is_alive():
            proc.terminate()
            proc.join(5)
