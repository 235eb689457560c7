"""Generation context: the world's configuration, static data and the timelines of one chunk.

The world is generated day by day. Everything created on a day — a customer, an opportunity
with its whole future (stage moves, contract, approvals, orders, invoices, payments) — is
drawn from a random stream seeded by ``(seed, day, stream)``, so the result does not depend on
how the days are grouped: one ``generate`` equals a shorter ``generate`` plus ``advance``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simulators.world import ids
from simulators.world.org import Org
from simulators.world.schemas import entity
from simulators.world.table import Timeline
from simulators.world.workcal import DAY, HOUR

# Streams of randomness, one per generator family (so adding one leaves the others alone).
STREAM = {
    "customers": 11,
    "sales": 12,
    "visits": 13,
    "campaigns": 14,
    "expense": 15,
    "notices": 16,
    "bank": 17,
    "mess": 18,
    "targets": 19,
    "products": 20,
}


@dataclass(frozen=True)
class WorldConfig:
    seed: int
    scale: float
    start_day: int  # first day of history (local day number)

    def rng(self, stream: str, day: int = 0) -> np.random.Generator:
        return np.random.default_rng([self.seed, STREAM[stream], day])


@dataclass
class Ctx:
    """Where one chunk of generation writes: a timeline per entity, counters per day."""

    cfg: WorldConfig
    org: Org
    day: int = 0
    stream_no: int = 0  # generator stream, part of every id (see ids.seq)
    rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(0))
    timelines: dict[tuple[str, str], Timeline] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    # static books shared by all chunks (filled by the generator)
    customers: list = field(default_factory=list)
    products: list = field(default_factory=list)
    campaigns_by_day: dict = field(default_factory=dict)
    truth: dict[str, list[dict]] = field(default_factory=dict)

    def tl(self, system: str, name: str) -> Timeline:
        key = (system, name)
        t = self.timelines.get(key)
        if t is None:
            t = self.timelines[key] = Timeline(entity(system, name))
        return t

    def next(self, kind: str) -> int:
        """Per-day counter for ``kind`` (starting at 1) on the day being generated."""
        k = self.counters.get(kind, 0) + 1
        self.counters[kind] = k
        return k

    def crm_id(self, module: str) -> str:
        return ids.crm_id(module, self.day, self.next(f"crm:{module}"), self.stream_no)

    def erp_fid(self, form: str) -> int:
        return ids.erp_fid(self.day, self.next(f"erp:{form}"), self.stream_no)

    def oa_request_id(self) -> str:
        return str(ids.seq(self.day, self.next("oa:request"), self.stream_no))

    def number(self, prefix: str) -> str:
        """A document number unique across days and streams, e.g. ``XSDD2043510000123``."""
        return f"{prefix}{self.day:05d}{self.stream_no}{self.next('no:' + prefix):05d}"

    def plant(self, kind: str, **record) -> None:
        """Record a planted defect or notable fact in the ground truth (``_truth/``)."""
        self.truth.setdefault(kind, []).append(record)

    # -- time helpers ---------------------------------------------------------------------
    def office_time(self, day: int) -> int:
        """A random moment in office hours on ``day`` (local seconds)."""
        return day * DAY + 9 * HOUR + int(self.rng.integers(0, 9 * HOUR))
