"""The simulators in a child process (what the demo pipeline extracts from): they serve, stop
when asked or when their parent dies, and failures are reported, not hung on."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from simulators.servers.child import sources_in_child
from simulators.servers.http import SourceServerError


def _gone(pid: int, within: float = 20.0) -> bool:
    """Whether process ``pid`` ended (a zombie waiting to be reaped counts as ended)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat", encoding="utf-8") as fh:
                state = fh.read().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.2)
    return False


def _cmdline(p: Path) -> bytes:
    try:
        return p.read_bytes()
    except OSError:
        return b""


def test_serves_the_world_and_stops_when_done(world):
    with sources_in_child(world) as sims:
        assert set(sims.urls) == {"crm", "erp", "oa", "expense"}
        # Weaver's token handshake answers: the OA is up
        r = httpx.post(f"{sims.urls['oa']}/api/ec/dev/auth/regist", headers={"appid": "x"})
        assert r.status_code < 500
    assert _gone(sims.pid)


def test_a_missing_world_is_a_clear_error(tmp_path):
    with pytest.raises(SourceServerError, match="no world at"), sources_in_child(tmp_path):
        pass


def test_a_child_killed_during_the_run_is_reported(world):
    with (  # noqa: PT012 - the kill happens inside the block
        pytest.raises(SourceServerError, match="ended during the run"),
        sources_in_child(world) as sims,
    ):
        os.kill(sims.pid, signal.SIGKILL)
        assert _gone(sims.pid)
        time.sleep(0.5)  # every thread of it has ended, so it can be reaped


def test_the_child_exits_when_its_parent_is_killed(world, tmp_path):
    pid_file = tmp_path / "child.pid"
    script = textwrap.dedent(
        f"""
        import time
        from pathlib import Path
        from simulators.servers.child import sources_in_child
        with sources_in_child(Path({str(world)!r})) as sims:
            Path({str(pid_file)!r}).write_text(str(sims.pid))
            time.sleep(120)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 60
        while not pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert pid_file.exists(), "the simulators did not start"
        child = int(pid_file.read_text())
        parent.send_signal(signal.SIGKILL)  # no cleanup runs in the parent
        parent.wait(10)
        assert _gone(child), "the simulators outlived their parent"
    finally:
        parent.kill()


def test_the_demo_pipeline_extracts_every_system_from_the_child(world, tmp_path):
    """`zhongtai pipeline`'s demo sources (what `make run` extracts from)."""
    import shutil

    from zhongtai.pipeline import extract_sources

    data = tmp_path / "data"
    shutil.copytree(world, data / "world")
    results, settings = extract_sources(data, "demo")
    assert {r.system for r in results} == {"crm", "erp", "oa", "expense"}
    assert not [(r.system, r.entity, r.error) for r in results if r.error]
    assert sum(r.loaded for r in results) > 10_000
    assert settings.landing == data / "landing"
    assert (data / "landing" / "oa" / "workflow_request_logs").is_dir()
    assert not [
        p
        for p in Path("/proc").glob("[0-9]*/cmdline")
        if b"simulators.servers.child" in _cmdline(p) and str(data).encode() in _cmdline(p)
    ]  # the simulators stopped with the extraction
