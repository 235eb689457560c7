"""Transform: the dbt project as Dagster assets (``dbt build``; dbt tests become asset checks).

dbt sources map to the ingest assets (``["landing", source, table]``) and every model's group
is its folder (``staging_crm``, ``intermediate_finance``, ``marts_sales`` …). dbt runs with
``zhongtai.warehouse.dbt_env()``: the warehouse, landing zone and target under the data folder.
"""

import os
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from zhongtai import warehouse

from . import DAILY_FRESHNESS, KEY_MARTS, WAREHOUSE_POOL

DBT_OP = "dbt_warehouse"


class ZhongtaiDbtTranslator(DagsterDbtTranslator):
    """Sources → ingest asset keys; groups → model folders."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props.get("resource_type") == "source":
            return dg.AssetKey(
                ["landing", dbt_resource_props["source_name"], dbt_resource_props["name"]]
            )
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return group_name(dbt_resource_props)

    def get_asset_spec(self, manifest, unique_id, project) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        if spec.key.path[-1] in KEY_MARTS and spec.key.path[0] == "marts":
            spec = spec.replace_attributes(freshness_policy=DAILY_FRESHNESS)
        return spec


def group_name(props: Mapping[str, Any]) -> str:
    """``<layer>_<subfolder>`` from the node's fqn (``staging_crm``); seeds → ``seeds``."""
    kind = props.get("resource_type")
    if kind in ("seed", "snapshot"):
        return f"{kind}s"
    folders = list(props.get("fqn") or [])[1:-1]  # drop the project name and the node name
    if not folders:
        return "dbt"
    return re.sub(r"\W", "_", "_".join(folders[:2]))


def dbt_project(data: Path | None = None) -> DbtProject:
    """The one dbt project; its target (and manifest) under ``<data>/dbt/target``."""
    return DbtProject(
        project_dir=warehouse.PROJECT_DIR,
        profiles_dir=warehouse.PROJECT_DIR,
        target_path=warehouse.dbt_env(data)["DBT_TARGET_PATH"],
    )


def dbt_resource(project: DbtProject) -> DbtCliResource:
    exe = Path(sys.executable).with_name("dbt")  # the venv's dbt, whatever PATH says
    return DbtCliResource(project_dir=project, dbt_executable=str(exe) if exe.exists() else "dbt")


class DbtBuildConfig(dg.Config):
    full_refresh: bool = False


@contextmanager
def _environ(env: Mapping[str, str]) -> Iterator[None]:
    """dagster-dbt passes ``os.environ`` to dbt: set dbt_env() for the invocation."""
    old = dict(os.environ)
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(old)


def missing_landing_message() -> str | None:
    env = warehouse.dbt_env()
    landing = Path(env["ZHONGTAI_LANDING_DIR"])
    missing = warehouse.missing_landing(landing)
    if not missing:
        return None
    return (
        f"dbt build not started: the landing zone {landing} has no data for "
        f"{', '.join(missing[:8])}{' …' if len(missing) > 8 else ''}. What to do: "
        "materialize the ingest assets (landing/…) first, or run `zhongtai extract` and "
        "`zhongtai import bank`."
    )


def build_dbt_assets(project: DbtProject) -> dg.AssetsDefinition:
    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        name=DBT_OP,
        dagster_dbt_translator=ZhongtaiDbtTranslator(),
        pool=WAREHOUSE_POOL,
    )
    def _dbt(context: dg.AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig):
        problem = missing_landing_message()
        if problem:
            raise dg.Failure(description=problem)
        env = warehouse.dbt_env()
        args = ["build", *(["--full-refresh"] if config.full_refresh else [])]
        target = Path(env["DBT_TARGET_PATH"]) / "dagster" / context.run.run_id[:8]
        with _environ(env):
            yield from dbt.cli(args, context=context, target_path=target).stream()

    return _dbt
