"""Seeded fault injection shared by every simulator.

A profile sets the odds of each fault; the injector draws from its own seeded generator in
request order, so a test that sends the same requests sees the same faults every time.

Kinds: ``error`` (HTTP 500/502/503), ``rate_limit`` (429 with Retry-After, in bursts),
``slow`` (a page delayed), ``reset`` (connection reset after half the body), ``truncate``
(valid HTTP, JSON cut short) and ``expire`` (the protocol's own token / session expiry — each
protocol decides what that looks like on the wire).
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, fields, replace


@dataclass(frozen=True)
class FaultConfig:
    error_rate: float = 0.0
    rate_limit_rate: float = 0.0
    rate_limit_burst: int = 1  # consecutive 429s once one starts
    retry_after_s: float = 1.0
    slow_rate: float = 0.0
    slow_s: float = 0.0
    reset_rate: float = 0.0
    truncate_rate: float = 0.0
    expire_rate: float = 0.0  # chance per request that live tokens/sessions are revoked

    def with_knobs(self, knobs: dict[str, str]) -> FaultConfig:
        """Override single knobs, e.g. ``{"error_rate": "0.1"}`` (from ``--fault KEY=VALUE``)."""
        names = {f.name: f.type for f in fields(self)}
        changes = {}
        for k, v in knobs.items():
            if k not in names:
                raise ValueError(f"unknown fault knob {k!r}; known: {', '.join(sorted(names))}")
            changes[k] = int(v) if k == "rate_limit_burst" else float(v)
        return replace(self, **changes)


PROFILES: dict[str, FaultConfig] = {
    "none": FaultConfig(),
    "flaky": FaultConfig(
        error_rate=0.03, rate_limit_rate=0.02, retry_after_s=0.2, slow_rate=0.01, slow_s=0.5
    ),
    "hostile": FaultConfig(
        error_rate=0.20,
        rate_limit_rate=0.04,
        rate_limit_burst=4,
        retry_after_s=0.2,
        slow_rate=0.02,
        slow_s=0.5,
        reset_rate=0.03,
        truncate_rate=0.03,
        expire_rate=0.02,
    ),
}


class FaultInjector:
    """Decides, request by request, which fault (if any) to inject."""

    def __init__(self, config: FaultConfig, seed: int = 0):
        self.config = config
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._burst_left = 0
        self.counts: dict[str, int] = {}

    def draw(self) -> str | None:
        """The fault for the next request: None or one of the kinds above."""
        c = self.config
        with self._lock:
            if self._burst_left > 0:
                self._burst_left -= 1
                return self._count("rate_limit")
            r = self._rng.random()
            for kind, p in (
                ("error", c.error_rate),
                ("rate_limit", c.rate_limit_rate),
                ("slow", c.slow_rate),
                ("reset", c.reset_rate),
                ("truncate", c.truncate_rate),
                ("expire", c.expire_rate),
            ):
                if r < p:
                    if kind == "rate_limit":
                        self._burst_left = max(0, c.rate_limit_burst - 1)
                    return self._count(kind)
                r -= p
            return None

    def _count(self, kind: str) -> str:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        return kind

    def error_status(self) -> int:
        with self._lock:
            return self._rng.choice((500, 502, 503))
