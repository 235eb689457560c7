"""Process-wide settings read from the environment (and `.env`).

Every generated file lives under one root, ``ZHONGTAI_DATA_DIR`` (default ``./data``), so tests
and benchmarks can point the whole platform at a temporary folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from dotenv import load_dotenv

_loaded = False


def _load_env() -> None:
    global _loaded
    if not _loaded:
        # .env in the working directory; never overrides variables already set.
        load_dotenv(Path.cwd() / ".env", override=False)
        _loaded = True


def data_dir() -> Path:
    """Root of every generated file: world, inbox, landing, warehouse, serving, quality."""
    _load_env()
    return Path(os.environ.get("ZHONGTAI_DATA_DIR", "data")).expanduser()


def world_dir() -> Path:
    return data_dir() / "world"


def inbox_dir() -> Path:
    return data_dir() / "inbox"


def bank_inbox_dir() -> Path:
    return inbox_dir() / "bank"


def eventlog_inbox_dir() -> Path:
    """Event logs dropped here are imported by Dagster's sensor, one process per file (the
    process name is the file name without its .csv / .xes / .xes.gz suffix)."""
    return inbox_dir() / "eventlog"
