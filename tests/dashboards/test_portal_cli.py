"""`zhongtai portal …`: init, users --json, set-password from stdin, unlock, serve, bench."""

from __future__ import annotations

import json

import pytest
from argon2 import PasswordHasher
from typer.testing import CliRunner

from dashboards.lib import users
from zhongtai import portal_cli
from zhongtai.cli import app

pytestmark = pytest.mark.xdist_group("portal")


@pytest.fixture
def cli(private_data, monkeypatch):
    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(app, ["portal", *args], input=input)

    return invoke


def test_users_json_shape(cli, users_by_role):
    result = cli("users", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert isinstance(rows, list) and rows
    assert all(set(r) == {"username", "name", "role", "scope"} for r in rows)
    expected = {u for logins in users_by_role.values() for u in logins}
    assert {r["username"] for r in rows} == expected
    assert {r["scope"] for r in rows} <= {"own", "team", "region", "all"}
    by_role = {r["role"]: r["scope"] for r in rows}
    assert by_role["executive"] == "all"
    assert by_role["sales"] == "own"
    assert by_role["director"] == "region"
    assert all(r["name"] and r["name"] != r["username"] for r in rows)


def test_users_table_works_without_a_store(cli):
    result = cli("users")
    assert result.exit_code == 0, result.output
    assert "Portal users" in result.stdout


def test_init_prints_passwords_once_and_refuses_to_overwrite(cli, role_user):
    first = cli("init")
    assert first.exit_code == 0, first.output
    assert "shown once" in first.stdout
    login = role_user["sales"]
    line = next(x for x in first.stdout.splitlines() if f" {login} " in x)
    password = line.split("│")[-2].strip()
    assert len(password) >= users.MIN_PASSWORD_LENGTH
    assert users.verify(login, password).ok
    assert password.encode() not in users.store_path().read_bytes()
    again = cli("init")
    assert again.exit_code == 1
    assert "--force" in again.output
    assert users.verify(login, password).ok  # untouched
    forced = cli("init", "--force")
    assert forced.exit_code == 0, forced.output
    assert not users.verify(login, password).ok


def test_set_password_from_stdin(cli, role_user):
    login = role_user["manager"]
    ok = cli("set-password", login, input="a-good-long-password\n")
    assert ok.exit_code == 0, ok.output
    assert users.verify(login, "a-good-long-password").ok
    assert "a-good-long-password" not in ok.output
    short = cli("set-password", login, input="short\n")
    assert short.exit_code == 1
    assert "at least 10" in short.output
    assert users.verify(login, "a-good-long-password").ok
    unknown = cli("set-password", "no-such-user", input="a-good-long-password\n")
    assert unknown.exit_code == 1
    assert "unknown user 'no-such-user'" in unknown.output


def test_unlock(cli, role_user):
    login = role_user["assistant"]
    assert cli("set-password", login, input="assistant-password\n").exit_code == 0
    for i in range(5):
        users.verify(login, f"wrong-{i}")
    assert users.verify(login, "assistant-password").status == "locked"
    listed = cli("users")
    assert "LOCKED" in listed.stdout
    result = cli("unlock", login)
    assert result.exit_code == 0, result.output
    assert users.verify(login, "assistant-password").ok
    missing = cli("unlock", "no-such-user")
    assert missing.exit_code == 1
    assert "unknown user" in missing.output


def test_serve_initialises_the_store_and_runs_streamlit(cli, monkeypatch):
    calls = []

    def fake_exec(cmd, cwd, env):
        calls.append((cmd, cwd, env))

    monkeypatch.setattr(portal_cli, "_exec", fake_exec)
    result = cli("serve", "--port", "8599")
    assert result.exit_code == 0, result.output
    assert users.exists()
    assert "shown once" in result.stdout
    assert "http://localhost:8599/" in result.stdout
    ((cmd, cwd, env),) = calls
    assert cmd[1:4] == ["-m", "streamlit", "run"]
    assert cmd[4].endswith("dashboards/app.py")
    flags = dict(zip(cmd[5::2], cmd[6::2], strict=True))
    assert flags["--server.headless"] == "true"
    assert flags["--server.port"] == "8599"
    assert flags["--browser.gatherUsageStats"] == "false"
    assert cwd == portal_cli.ROOT
    assert env["ZHONGTAI_DATA_DIR"] == str(users.store_path().parents[1])
    # a second serve keeps the existing passwords
    again = cli("serve")
    assert again.exit_code == 0
    assert "shown once" not in again.stdout


def test_commands_fail_clearly_without_a_publish(tmp_path, monkeypatch):
    monkeypatch.setenv("ZHONGTAI_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["portal", "users"])
    assert result.exit_code == 1
    assert "nothing is published yet" in result.output


def test_bench_json(cli):
    result = cli("bench", "--repeat", "1", "--page", "personal", "--role", "sales", "--json")
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout[result.stdout.index("[") :])
    assert row["page"] == "personal" and row["role"] == "sales"
    assert row["queries"] >= 5
    assert 0 < row["query_ms_p50"] <= row["query_ms_p95"] + 1e-9
    assert row["errors"] == []
    bad = cli("bench", "--page", "nope")
    assert bad.exit_code == 2
