"""Retries: transport errors, 429 with Retry-After, 5xx, cut-off JSON; jittered backoff."""

from __future__ import annotations

import pytest

from extractors.http import HttpClient, SourceError
from simulators.servers.faults import FaultConfig
from simulators.servers.http import App, RunningServer, json_response


class Echo(App):
    name = "echo"

    def __init__(self, faults):
        super().__init__(faults)
        self.route("GET", "/x", lambda req, m: json_response({"ok": True, "pad": "x" * 2000}))


def _server(**knobs):
    from simulators.servers.faults import FaultInjector

    return RunningServer(Echo(FaultInjector(FaultConfig(**knobs), seed=1)), log=False)


@pytest.mark.parametrize("knob", ["error_rate", "reset_rate", "truncate_rate", "rate_limit_rate"])
def test_each_fault_is_retried_until_it_passes(knob):
    srv = _server(**{knob: 0.5, "retry_after_s": 0.01})
    waits: list[float] = []
    client = HttpClient(max_attempts=40, base_delay=0.001, sleep=waits.append, seed=1)
    try:
        for _ in range(20):
            doc, _resp = client.request_json("GET", srv.url + "/x")
            assert doc["ok"] is True
        assert client.retries > 0
        assert all(w <= client.max_delay for w in waits)
    finally:
        client.close()
        srv.stop()


def test_retry_after_is_honoured():
    srv = _server(rate_limit_rate=1.0, retry_after_s=2)
    waits: list[float] = []
    client = HttpClient(max_attempts=3, sleep=waits.append)
    try:
        with pytest.raises(SourceError, match="gave up after 3 attempts"):
            client.request("GET", srv.url + "/x", what="GET /x")
        assert waits == [2.0, 2.0, 2.0]
    finally:
        client.close()
        srv.stop()


def test_backoff_is_exponential_with_full_jitter():
    client = HttpClient(base_delay=1.0, max_delay=100.0, seed=3)
    delays = [client._delay(a, None) for a in range(6) for _ in range(50)]
    by_attempt = [delays[i * 50 : (i + 1) * 50] for i in range(6)]
    for a, ds in enumerate(by_attempt):
        assert all(0 <= d <= 2**a for d in ds)
    assert len(set(by_attempt[5])) > 40  # jittered, not a fixed ladder
