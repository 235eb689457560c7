"""Prepare the dbt manifest Dagster loads the dbt assets from.

dagster-dbt reads ``manifest.json``; ``DbtProject.prepare_if_dev`` only acts under ``dagster
dev``, so pytest, CI and ``make`` targets call :func:`prepare_manifest` (``python -m
orchestration.prepare``), which runs ``dbt parse`` into the data folder's dbt target
(``<data>/dbt/target``, the ``DBT_TARGET_PATH`` of ``zhongtai.warehouse.dbt_env``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from zhongtai import warehouse


class ManifestError(RuntimeError):
    """``dbt parse`` failed; the message carries dbt's last lines and what to do."""


def target_path(data: Path | None = None) -> Path:
    """The dbt target folder of ``data`` (default: ``ZHONGTAI_DATA_DIR``)."""
    return Path(warehouse.dbt_env(data)["DBT_TARGET_PATH"])


def manifest_path(data: Path | None = None) -> Path:
    return target_path(data) / "manifest.json"


def prepare_manifest(data: Path | None = None, *, force: bool = False) -> Path:
    """``dbt parse`` unless the manifest exists (or ``force``); returns the manifest path."""
    path = manifest_path(data)
    if path.exists() and not force:
        return path
    lines: list[str] = []
    rc = warehouse.run_dbt(["parse"], data, on_line=lines.append)
    if rc != 0 or not path.exists():
        tail = "\n".join(lines[-15:])
        raise ManifestError(
            f"`dbt parse` failed (exit {rc}), so Dagster cannot load the dbt assets; "
            f"fix the dbt project (run `dbt parse --project-dir {warehouse.PROJECT_DIR} "
            f"--profiles-dir {warehouse.PROJECT_DIR}` to see the error) and reload.\n{tail}"
        )
    return path


def main() -> int:
    print(prepare_manifest(force=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
