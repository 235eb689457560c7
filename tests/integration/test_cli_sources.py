"""`zhongtai sources serve`: argument errors and a taken port give clear messages."""

from __future__ import annotations

import re
import socket

import pytest
from typer.testing import CliRunner

from zhongtai.cli import app

runner = CliRunner()


def _plain(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--only", "crm,sap"], "--only takes a comma-separated list"),
        (["--faults", "chaos"], "--faults must be none, flaky or hostile"),
        (["--fault", "boom=1"], "--fault takes KEY=VALUE"),
        (["--fault", "error_rate=2"], "must be between 0 and 1"),
        (["--fault", "error_rate=lots"], "needs a number"),
        (["--crm-port", "70000"], "--crm-port must be between 0 and 65535"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(args, needle, world):
    result = runner.invoke(app, ["sources", "serve", "--world", str(world), *args])
    assert result.exit_code == 2, result.output
    assert needle in _plain(result.output)


def test_missing_world_is_named(tmp_path):
    result = runner.invoke(app, ["sources", "serve", "--world", str(tmp_path / "none")])
    assert result.exit_code != 0
    assert "--world" in _plain(result.output)


def test_taken_port_is_a_clear_error(world):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        result = runner.invoke(
            app,
            ["sources", "serve", "--world", str(world), "--only", "crm", "--crm-port", str(port)],
        )
    out = _plain(result.output)
    assert result.exit_code == 1, out
    assert f"127.0.0.1:{port}" in out
    assert "--crm-port" in out


def test_help_lists_every_option():
    result = runner.invoke(app, ["sources", "serve", "--help"])
    assert result.exit_code == 0
    for opt in (
        "--world",
        "--host",
        "--crm-port",
        "--erp-port",
        "--oa-port",
        "--expense-port",
        "--only",
        "--faults",
        "--fault-seed",
    ):
        assert opt in _plain(result.output)
