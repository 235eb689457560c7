"""Ground truth: what was planted in the world, for tests only (the pipeline never reads it).

``_truth/planted/<kind>.json`` lists every planted defect of a kind with ``t`` (local seconds
from which it is observable in the sources), ``visible_at`` (ISO time, +08:00) and
``visible`` (observable as of the world's current date). ``_truth/malformed/`` lists the
malformed fields (see ``mess``); ``_truth/planted/bank_file_mess.json`` the statement-file mess.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from simulators.world.workcal import DAY

_EPOCH = dt.datetime(1970, 1, 1)


def _iso(t: int) -> str:
    return (_EPOCH + dt.timedelta(seconds=int(t))).isoformat() + "+08:00"


def write_truth(root: Path, truth: dict[str, list[dict]], as_of_day: int) -> None:
    cutoff = (as_of_day + 1) * DAY
    folder = root / "_truth" / "planted"
    folder.mkdir(parents=True, exist_ok=True)
    for kind, records in sorted(truth.items()):
        out = []
        for r in records:
            r = dict(r)
            if "t" in r:
                r["visible_at"] = _iso(r["t"])
                r["visible"] = r["t"] < cutoff
            out.append(r)
        out.sort(key=lambda r: json.dumps(r, sort_keys=True, ensure_ascii=False))
        (folder / f"{kind}.json").write_text(
            json.dumps(out, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8"
        )


def read_planted(root: Path) -> dict[str, list[dict]]:
    """Planted records generated so far (bank-file mess is rebuilt on every write)."""
    folder = root / "_truth" / "planted"
    out: dict[str, list[dict]] = {}
    if not folder.exists():
        return out
    for p in sorted(folder.glob("*.json")):
        if p.stem == "bank_file_mess":
            continue
        recs = json.loads(p.read_text(encoding="utf-8"))
        out[p.stem] = [
            {k: v for k, v in r.items() if k not in ("visible_at", "visible")} for r in recs
        ]
    return out
