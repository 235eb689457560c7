"""The world generator's worker processes: a worker that dies neither hangs generation nor
loses its days, and advancing with workers gives the same world as without.

The executor pickles the chunk function by reference, so the spawned workers import this
module and run ``_dying_gen_days`` below; keep the module's imports light.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import shutil
from pathlib import Path

from simulators.world import generate as gen
from simulators.world.workcal import day_of_date
from tests.conftest import WORLD_AS_OF, make_world

_REAL_GEN_DAYS = gen._gen_days
# a day in the middle of the generated history; the block holding it kills its worker
_DEADLY_DAY = day_of_date(WORLD_AS_OF) - 500


def _dying_gen_days(days: list[int]) -> tuple[dict[str, list], int]:
    """``_gen_days``, except that a worker process given the deadly day exits on the spot."""
    if mp.parent_process() is not None and days[0] <= _DEADLY_DAY <= days[-1]:
        os._exit(1)
    return _REAL_GEN_DAYS(days)


def test_a_dying_worker_falls_back_to_this_process_with_the_same_result(
    world, tmp_path, monkeypatch, capfd
):
    from tests.integration.test_world import _digests

    monkeypatch.setattr(gen, "_gen_days", _dying_gen_days)
    again = make_world(tmp_path, workers=2)
    err = capfd.readouterr().err
    assert "worker process died" in err and "in this process instead" in err
    assert _digests(again.parent) == _digests(world.parent)


def _copy_world(world: Path, dest: Path) -> Path:
    shutil.copytree(world.parent, dest)
    meta = dest / "world" / "world.json"
    old_inbox = str((world.parent / "inbox" / "bank").resolve())
    meta.write_text(meta.read_text().replace(old_inbox, str(dest / "inbox" / "bank")))
    return dest / "world"


def test_advance_with_workers_equals_advance_without(world, tmp_path):
    from tests.integration.test_world import _digests

    first = day_of_date(WORLD_AS_OF) + 1
    assert len(gen._chunks(list(range(first, first + 40)))) > 1  # so the workers are used
    one = gen.advance(_copy_world(world, tmp_path / "one"), days=40, workers=1)
    two = gen.advance(_copy_world(world, tmp_path / "two"), days=40, workers=2)
    assert _digests(tmp_path / "one") == _digests(tmp_path / "two")
    one.pop("inbox"), two.pop("inbox")
    assert one == two
