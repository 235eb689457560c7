"""The simulators in a child process (what the demo pipeline extracts from): they serve, stop
when asked or when their parent dies, and failures are reported, not hung on."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import httpx
import pytest

from simulators.servers.child import sources_in_child
from simulators.servers.http import SourceServerError


def _gone(pid: int, within: float = 20.0) -> bool:
    """Whether process ``pid`` ended (a zombie waiting to be reaped counts as ended)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        _child_pids()  # lets multiprocessing reap a child of ours
        try:
            with open(f"/proc/{pid}/stat", encoding="utf-8") as fh:
                state = fh.read().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.2)
    return False


def _child_pids() -> set[int]:
    import multiprocessing as mp

    return {p.pid for p in mp.active_children()}


def test_serves_the_world_and_stops_when_done(world):
    before = _child_pids()
    with sources_in_child(world) as urls:
        assert set(urls) == {"crm", "erp", "oa", "expense"}
        (pid,) = _child_pids() - before
        # Weaver's token handshake answers: the OA is up
        r = httpx.post(f"{urls['oa']}/api/ec/dev/auth/regist", headers={"appid": "x"})
        assert r.status_code < 500
    assert _gone(pid)


def test_a_missing_world_is_a_clear_error(tmp_path):
    with pytest.raises(SourceServerError, match="no world at"), sources_in_child(tmp_path):
        pass


def test_a_child_killed_during_the_run_is_reported(world):
    before = _child_pids()
    with (  # noqa: PT012 - the kill happens inside the block
        pytest.raises(SourceServerError, match="ended during the run"),
        sources_in_child(world),
    ):
        (pid,) = _child_pids() - before
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while pid in _child_pids() and time.monotonic() < deadline:
            time.sleep(0.1)  # until reaped: every thread of it has ended


def test_the_child_exits_when_its_parent_is_killed(world, tmp_path):
    pid_file = tmp_path / "child.pid"
    script = textwrap.dedent(
        f"""
        import multiprocessing as mp, os, time
        from pathlib import Path
        from simulators.servers.child import sources_in_child
        if __name__ == "__main__":
            with sources_in_child(Path({str(world)!r})):
                Path({str(pid_file)!r}).write_text(str(mp.active_children()[0].pid))
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
    before = _child_pids()
    results, settings = extract_sources(data, "demo")
    assert {r.system for r in results} == {"crm", "erp", "oa", "expense"}
    assert not [(r.system, r.entity, r.error) for r in results if r.error]
    assert sum(r.loaded for r in results) > 10_000
    assert settings.landing == data / "landing"
    assert (data / "landing" / "oa" / "workflow_request_logs").is_dir()
    assert _child_pids() - before == set()  # the simulators stopped with the extraction
