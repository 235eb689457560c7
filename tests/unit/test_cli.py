"""The ``zhongtai`` CLI: argument errors, help, and how it drives a (fake) world generator."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
import types
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zhongtai import cli

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
COUNTS = {
    "crm": {"Accounts": 120, "Deals": 340},
    "erp": {"SAL_SaleOrder": 210},
    "bank": {"来款": 55},
}


class FakeWorldError(Exception):
    pass


class FakeGenerator(types.ModuleType):
    """Stands in for ``simulators.world.generate`` and records how it was called."""

    def __init__(self) -> None:
        super().__init__(cli.GENERATOR_MODULE)
        self.WorldError = FakeWorldError
        self.calls: list[tuple[str, Path, dict]] = []
        self.fail_with: str | None = None

    def generate(self, out: Path, *, seed, scale, as_of, inbox, progress=None) -> dict:
        self.calls.append(("generate", out, {"seed": seed, "scale": scale, "as_of": as_of}))
        out.mkdir(parents=True, exist_ok=True)
        (out / "part.parquet").write_text("half a world")
        for done in range(3):
            progress("customers", done + 1, 3)
        progress("orders", 0, 0)
        if self.fail_with:
            raise FakeWorldError(self.fail_with)
        return {"seed": seed, "scale": scale, "as_of": as_of.isoformat()}

    def advance(self, out: Path, *, days, progress=None) -> dict:
        self.calls.append(("advance", out, {"days": days}))
        progress("days", days, days)
        return {"as_of": "2026-02-01", "changes": {"created": 7, "modified": 1234, "deleted": 2}}

    def summary(self, out: Path) -> dict[str, dict[str, int]]:
        self.calls.append(("summary", out, {}))
        return COUNTS


@pytest.fixture
def gen(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeGenerator:
    fake = FakeGenerator()
    monkeypatch.setitem(sys.modules, cli.GENERATOR_MODULE, fake)
    monkeypatch.chdir(tmp_path)  # no stray .env from the developer's checkout
    for name in ("ZHONGTAI_WORLD_SCALE", "ZHONGTAI_WORLD_SEED"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ZHONGTAI_DATA_DIR", str(tmp_path / "data"))
    return fake


@dataclass
class Run:
    """What a CLI run printed, with colour codes removed (CI may force a terminal)."""

    exit_code: int
    stdout: str
    stderr: str
    output: str  # stdout and stderr interleaved


def run(*args: str) -> Run:
    result = CliRunner().invoke(cli.app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Run(
        result.exit_code,
        ANSI.sub("", result.stdout),
        ANSI.sub("", result.stderr),
        ANSI.sub("", result.output),
    )


def make_world(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / "crm.parquet").write_text("a world")
    return path


# ------------------------------------------------------------------------------- help, version


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((), ["world"]),
        (("world",), ["generate", "advance", "summary", "bench"]),
        (("world", "generate"), ["--scale", "--seed", "--as-of", "--out", "--inbox", "--force"]),
        (("world", "advance"), ["--days", "--world"]),
        (("world", "summary"), ["--json", "--world"]),
        (("world", "bench"), ["--scale", "--seed"]),
    ],
)
def test_help(args: tuple[str, ...], expected: list[str]) -> None:
    result = run(*args, "--help")
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    for word in expected:
        assert word in result.output


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout.startswith("zhongtai ")


# ----------------------------------------------------------------------- generate: bad arguments

FAR_FUTURE = (dt.date.today() + dt.timedelta(days=800)).isoformat()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--scale", "0"], "--scale must be greater than 0 and at most 20"),
        (["--scale", "-1"], "--scale must be greater than 0 and at most 20"),
        (["--scale", "20.5"], "--scale must be greater than 0 and at most 20"),
        (["--scale", "nan"], "--scale must be greater than 0 and at most 20"),
        (["--seed", "-1"], "--seed must be 0 or a positive integer"),
        (["--as-of", "2024/01/01"], "--as-of '2024/01/01' is not a date in YYYY-MM-DD form"),
        (["--as-of", "20240101"], "is not a date in YYYY-MM-DD form"),
        (["--as-of", "2024-02-30"], "is not a date in YYYY-MM-DD form"),
        (["--as-of", "2009-12-31"], "--as-of 2009-12-31 is before 2010-01-01"),
        (["--as-of", FAR_FUTURE], f"--as-of {FAR_FUTURE} is more than a year after today"),
        (["--force", "--skip-existing"], "--force and --skip-existing contradict"),
    ],
)
def test_generate_rejects_bad_arguments(gen: FakeGenerator, args: list[str], expected: str) -> None:
    result = run("world", "generate", *args)
    assert result.exit_code == 2
    message = result.stderr.strip()
    assert expected in message
    assert "\n" not in message  # one line
    assert result.stdout == ""
    assert gen.calls == []


def test_scale_from_environment_is_checked_and_named(
    gen: FakeGenerator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZHONGTAI_WORLD_SCALE", "25")
    result = run("world", "generate")
    assert result.exit_code == 2
    assert "--scale" in result.stderr
    assert "ZHONGTAI_WORLD_SCALE" in result.stderr


def test_generate_refuses_existing_world_without_force(gen: FakeGenerator, tmp_path: Path) -> None:
    world = make_world(tmp_path / "w")
    result = run("world", "generate", "--out", str(world))
    assert result.exit_code == 2
    assert f"--out {world} already holds a world" in result.stderr
    assert "--force" in result.stderr
    assert (world / "crm.parquet").exists()
    assert gen.calls == []


def test_force_refuses_folders_that_are_not_worlds(gen: FakeGenerator, tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    result = run("world", "generate", "--out", str(tmp_path), "--force")
    assert result.exit_code == 2
    assert "will not delete it" in result.stderr
    assert (tmp_path / "keep.txt").exists()


# ------------------------------------------------------------------------- generate: happy paths


def test_generate_with_defaults(gen: FakeGenerator, tmp_path: Path) -> None:
    result = run("world", "generate")
    assert result.exit_code == 0, result.output
    kind, out, kwargs = gen.calls[0]
    assert kind == "generate"
    assert out == Path(tmp_path / "data" / "world")
    assert kwargs["seed"] == 42
    assert kwargs["scale"] == 0.1
    assert abs((kwargs["as_of"] - dt.date.today()).days) <= 1  # today in Asia/Shanghai
    assert "customers" in result.output  # progress task label
    assert "SAL_SaleOrder" in result.stdout  # summary table
    assert "725" in result.stdout  # total


def test_generate_force_replaces_world(gen: FakeGenerator, tmp_path: Path) -> None:
    world = make_world(tmp_path / "w")
    args = ["--out", str(world), "--seed", "7", "--scale", "2", "--as-of", "2024-06-30"]
    result = run("world", "generate", *args, "--force")
    assert result.exit_code == 0, result.output
    assert gen.calls[0][2] == {"seed": 7, "scale": 2.0, "as_of": dt.date(2024, 6, 30)}
    assert not (world / "crm.parquet").exists()
    assert (world / "part.parquet").exists()


def test_skip_existing_keeps_world_and_prints_summary(gen: FakeGenerator, tmp_path: Path) -> None:
    world = make_world(tmp_path / "w")
    result = run("world", "generate", "--out", str(world), "--skip-existing")
    assert result.exit_code == 0, result.output
    assert [c[0] for c in gen.calls] == ["summary"]
    assert "Accounts" in result.stdout


def test_world_error_exits_1_and_removes_partial_world(gen: FakeGenerator, tmp_path: Path) -> None:
    gen.fail_with = "out of customers"
    world = tmp_path / "w"
    result = run("world", "generate", "--out", str(world))
    assert result.exit_code == 1
    assert "out of customers" in result.stderr
    assert not world.exists()


# --------------------------------------------------------------------------- advance, summary


@pytest.mark.parametrize("days", ["0", "367", "-3"])
def test_advance_rejects_days_out_of_range(gen: FakeGenerator, days: str) -> None:
    result = run("world", "advance", "--days", days)
    assert result.exit_code == 2
    assert "--days must be between 1 and 366" in result.stderr
    assert gen.calls == []


def test_advance_needs_a_world(gen: FakeGenerator, tmp_path: Path) -> None:
    result = run("world", "advance", "--days", "3", "--world", str(tmp_path / "none"))
    assert result.exit_code == 1
    assert "no world at" in result.stderr


def test_advance_reports_changes(gen: FakeGenerator, tmp_path: Path) -> None:
    world = make_world(tmp_path / "w")
    result = run("world", "advance", "--days", "3", "--world", str(world))
    assert result.exit_code == 0, result.output
    assert gen.calls == [("advance", world, {"days": 3})]
    assert "7 created, 1,234 modified, 2 deleted" in result.stdout
    assert "2026-02-01" in result.stdout


def test_summary_json_is_exactly_the_counts(gen: FakeGenerator, tmp_path: Path) -> None:
    make_world(tmp_path / "data" / "world")
    result = run("world", "summary", "--json")
    assert result.exit_code == 0, result.output
    assert result.stdout == json.dumps(COUNTS, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    assert result.stderr == ""
    parsed = json.loads(result.stdout)
    assert all(isinstance(n, int) for entities in parsed.values() for n in entities.values())


def test_summary_table(gen: FakeGenerator, tmp_path: Path) -> None:
    world = make_world(tmp_path / "w")
    result = run("world", "summary", "--world", str(world))
    assert result.exit_code == 0, result.output
    for word in ("system", "entity", "count", "crm", "Deals", "340", "来款"):
        assert word in result.stdout


def test_summary_without_world(gen: FakeGenerator) -> None:
    result = run("world", "summary", "--json")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "no world at" in result.stderr


# ------------------------------------------------------------------------------------- bench


def test_bench_within_budget(gen: FakeGenerator) -> None:
    result = run("world", "bench", "--scale", "0.5")
    assert result.exit_code == 0, result.output
    assert gen.calls[0][2]["scale"] == 0.5
    for word in ("wall time", "peak RSS", "records", "725", "Within budget"):
        assert word in result.stdout


def test_bench_over_budget_fails(gen: FakeGenerator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "BENCH_MAX_RSS_BYTES", 1)
    result = run("world", "bench")
    assert result.exit_code == 1
    assert "over budget: peak RSS" in result.stderr


def test_bench_rejects_bad_scale(gen: FakeGenerator) -> None:
    result = run("world", "bench", "--scale", "0")
    assert result.exit_code == 2
    assert "--scale must be greater than 0" in result.stderr
