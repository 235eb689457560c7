# Zhongtai — the newcomer contract: `make run` and `make test` work on a fresh machine with
# Python 3.11, git and access to the package registries. Everything else is installed here.
#
#   make run          the pipeline on the demo world (generated if missing): simulators ->
#                     extract -> import -> build -> check -> publish; then the portal and the
#                     Dagster UI in the foreground (Ctrl-C stops them)
#   make pipeline     the same job without the UIs; exit 0 on success, non-zero on failure
#   make dev          the Dagster UI with schedules and sensors running against the simulators
#   make portal       only the portal, on the current publish
#   make test         the whole test suite (what CI runs, see .ci/run)
#   make lint         ruff check + ruff format --check
#   make bench        pipeline from empty and one incremental day at scale 1, and the portal
#   make bench-world  time a full-size world generation (budget: 120 s, 4 GiB)
#   make clean        remove data/ and caches (keeps .venv)
#   make distclean    clean, and remove .venv too
#
# Variables for `make run` (empty = the CLI default, which reads the environment and .env):
#   SCALE   world size          (ZHONGTAI_WORLD_SCALE, else 0.1)
#   SEED    random seed         (ZHONGTAI_WORLD_SEED, else 42)
#   AS_OF   last day, YYYY-MM-DD (today in Asia/Shanghai)
# e.g. `make run SCALE=1 AS_OF=2025-12-31`.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= python3
SCALE ?=
SEED ?=
AS_OF ?=

# How to call uv: the `uv` on PATH, else the copy pip installed as a module (its script may
# live in a folder that is not on PATH, e.g. ~/.local/bin). Evaluated each time it is used,
# so it finds uv right after `ensure-uv` installed it.
UV = $(shell command -v uv 2>/dev/null || { $(PYTHON) -m uv --version >/dev/null 2>&1 && echo "$(PYTHON) -m uv"; })
RUN = $(UV) run --frozen
ZT = $(RUN) zhongtai

VENV_STAMP := .venv/.synced
WORLD_ARGS = $(if $(SCALE),--scale $(SCALE)) $(if $(SEED),--seed $(SEED)) $(if $(AS_OF),--as-of $(AS_OF))

.PHONY: help run pipeline dev portal test lint clean distclean bench bench-world ensure-uv sync \
  browsers

help:
	@echo "make run          pipeline on the demo world, then the portal + Dagster UI (Ctrl-C stops)"
	@echo "make pipeline     extract -> import -> build -> check -> publish, no UIs"
	@echo "make dev          Dagster UI with schedules and sensors, against the simulators"
	@echo "make portal       the portal on the current publish"
	@echo "make test         run the test suite (what CI runs)"
	@echo "make bench        time the pipeline (from empty, one day later) and the portal pages"
	@echo "make lint         ruff check and ruff format --check"
	@echo "make bench-world  time a full-size (scale 1) world generation"
	@echo "make clean        remove data/ and caches (keeps .venv)"
	@echo "make distclean    clean, and remove .venv"
	@echo "variables for run: SCALE=0.1 SEED=42 AS_OF=YYYY-MM-DD"

# Install uv with pip if it is missing: into the user site first; plain pip when that is not
# allowed (inside a virtualenv); and on distributions that mark their Python as externally
# managed (PEP 668), into the user site anyway, which leaves the system packages alone.
ensure-uv:
	@if command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1; then exit 0; fi; \
	echo "uv not found; installing it with pip"; \
	$(PYTHON) -m pip install --user --quiet uv \
	  || $(PYTHON) -m pip install --quiet uv \
	  || $(PYTHON) -m pip install --user --quiet --break-system-packages uv \
	  || { echo "Could not install uv with '$(PYTHON) -m pip'. Install it yourself (https://docs.astral.sh/uv/getting-started/installation/), then rerun make." >&2; exit 1; }; \
	$(PYTHON) -m uv --version

# The locked environment, dev tools included. Re-synced only when the lock or the project
# changes (or .venv is gone); `uv sync` itself skips whatever is already installed.
# Bytecode is compiled at install time: where PYTHONDONTWRITEBYTECODE is set (as on our CI
# machines) nothing is ever cached otherwise, and every dbt, GX and Dagster start recompiles
# thousands of modules (measured: importing great_expectations 13.1 s -> 4.2 s, dbt 4.7 -> 2.3 s).
export UV_COMPILE_BYTECODE := 1
$(VENV_STAMP): uv.lock pyproject.toml | ensure-uv
	$(UV) sync --frozen
	@touch $@

sync: $(VENV_STAMP)

pipeline: $(VENV_STAMP)
	$(ZT) world generate --skip-existing $(WORLD_ARGS)
	$(ZT) pipeline

run: pipeline
	$(ZT) up

dev: $(VENV_STAMP)
	$(ZT) world generate --skip-existing $(WORLD_ARGS)
	$(ZT) up --simulators --automation --no-portal

portal: $(VENV_STAMP)
	$(ZT) portal serve

# Debian's chromium (and CJK fonts, or Chinese renders as boxes) for the browser tests:
# Playwright's own browser download needs more than the package registries. Idempotent:
# nothing happens when both are there; without apt-get the browser tests skip, saying why.
browsers:
	@if command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "noto.*cjk"; then exit 0; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
	  echo "chromium is missing and there is no apt-get: install Chromium yourself; the browser tests skip without it." >&2; exit 0; fi; \
	SUDO=$$( [ "$$(id -u)" = 0 ] && echo "" || echo "sudo -n" ); \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null \
	  || { echo "could not install chromium with apt-get; the browser tests will skip." >&2; exit 0; }

test: $(VENV_STAMP) browsers
	ZHONGTAI_UV="$(UV)" $(RUN) pytest -n 2 --dist loadgroup

bench: $(VENV_STAMP)
	$(ZT) pipeline-bench --scale 1
	ZHONGTAI_DATA_DIR=data/bench $(ZT) portal bench

lint: $(VENV_STAMP)
	$(RUN) ruff check .
	$(RUN) ruff format --check .

bench-world: $(VENV_STAMP)
	$(ZT) world bench --scale 1

clean:
	rm -rf data test-artifacts .pytest_cache .ruff_cache .mypy_cache htmlcov .coverage \
	  dbt_project/target dbt_project/logs dbt_project/dbt_packages
	find . \( -path ./.venv -o -path ./.git \) -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +

distclean: clean
	rm -rf .venv
