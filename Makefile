# Zhongtai — the newcomer contract: `make run` and `make test` work on a fresh machine with
# Python 3.11, git and access to the package registries. Everything else is installed here.
#
#   make run          generate the demo world if missing, extract it from the simulators,
#                     import its bank statements and build the warehouse
#   make test         the whole test suite (what CI runs, see .ci/run)
#   make lint         ruff check + ruff format --check
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

.PHONY: help run test lint clean distclean bench-world ensure-uv sync

help:
	@echo "make run          demo world -> simulators -> extract -> warehouse (data/)"
	@echo "make test         run the test suite (what CI runs)"
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
$(VENV_STAMP): uv.lock pyproject.toml | ensure-uv
	$(UV) sync --frozen
	@touch $@

sync: $(VENV_STAMP)

run: $(VENV_STAMP)
	$(ZT) world generate --skip-existing $(WORLD_ARGS)
	$(ZT) demo

test: $(VENV_STAMP)
	ZHONGTAI_UV="$(UV)" $(RUN) pytest -n 2 --dist loadgroup

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
