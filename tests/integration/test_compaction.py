"""Compaction is invisible to the extractors: their delete sweeps and cursors read the merged
files as they read the per-load ones."""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import replace

import duckdb
import pytest

from extractors.compaction import compact_landing, entity_folders

pytestmark = pytest.mark.xdist_group("warehouse")


def _extract(sources, landing):
    from extractors.run import SYSTEMS
    from extractors.run import extract as run_extract
    from extractors.settings import ExtractSettings
    from simulators.servers.sources import extractor_env

    settings = replace(ExtractSettings.from_env(**extractor_env(sources)), landing=landing)
    results, _ = run_extract(list(SYSTEMS), settings=settings)
    assert not [r for r in results if r.error], [r.error for r in results if r.error]
    return {(r.system, r.entity): (r.loaded, r.deleted) for r in results}


def _key(system: str, entity: str) -> str:
    """The record key, as staging partitions the change log."""
    from extractors.run import protocol

    if system == "bank":
        return '"account_no", "serial_no"'
    return f'"{protocol(system).ENTITIES[entity].key}"'


def _latest_live(landing) -> dict[str, int]:
    """Per entity: a fingerprint of the live latest versions without the load metadata (the
    two copies were extracted at different instants)."""
    con = duckdb.connect()
    out = {}
    for system, entity, folder in entity_folders(landing):
        rel = f"read_parquet('{folder}/*.parquet', union_by_name = true)"
        cols = [r[0] for r in con.sql(f"describe select * from {rel}").fetchall()]
        key = _key(system, entity)
        data = [c for c in cols if c not in ("_extracted_at", "_dlt_load_id")]
        quoted = ", ".join(f'"{c}"' for c in data)
        out[f"{system}/{entity}"] = con.sql(
            f"""select count(*), sum(hash({quoted})) from (
                select * from {rel}
                qualify row_number() over (
                    partition by {key}
                    order by _extracted_at desc, _dlt_load_id desc, _op = 'delete' desc) = 1
            ) where _op = 'upsert'"""
        ).fetchall()[0]
    return out


def test_extraction_after_compaction_lands_what_it_would_have(warehouse, sources, tmp_path):
    landing = warehouse.parent / "landing"
    plain, packed = tmp_path / "plain" / "landing", tmp_path / "packed" / "landing"
    shutil.copytree(landing, plain)
    shutil.copytree(landing, packed)
    # a second load per entity (the overlap windows re-land recent records), so there is
    # something to merge
    assert _extract(sources, plain) == _extract(sources, packed)

    report = compact_landing(packed, older_than=dt.datetime.now(dt.UTC))
    assert report.files_after < report.files_before
    assert not report.skipped
    assert _latest_live(packed) == _latest_live(plain)

    # the next extraction reads the merged files (delete sweeps, landed keys, cursors)
    assert _extract(sources, packed) == _extract(sources, plain)
    assert _latest_live(packed) == _latest_live(plain)
