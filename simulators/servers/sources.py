"""Start the source simulators: which systems, where, with which credentials and faults."""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from pathlib import Path

from simulators.servers.faults import PROFILES, FaultInjector
from simulators.servers.http import RunningServer, SourceServerError
from simulators.servers.store import WorldNotFound, WorldStore

SYSTEMS = ("crm", "erp", "oa", "expense")
DEFAULT_PORTS = {"crm": 8101, "erp": 8102, "oa": 8103, "expense": 8104}
_APP_CLASS = {
    "crm": "simulators.servers.crm:CrmApp",
    "erp": "simulators.servers.erp:ErpApp",
    "oa": "simulators.servers.oa:OaApp",
    "expense": "simulators.servers.expense:ExpenseApp",
}

# Demo credentials: the same names and defaults as .env.example, read by the extractors too.
_DEMO = {
    "ZHONGTAI_CRM_CLIENT_ID": "1000.DEMOZHONGTAI",
    "ZHONGTAI_CRM_CLIENT_SECRET": "demo-crm-client-secret",
    "ZHONGTAI_CRM_REFRESH_TOKEN": "1000.demo.refresh-token",
    "ZHONGTAI_ERP_ACCT_ID": "demo-acct-001",
    "ZHONGTAI_ERP_USERNAME": "zhongtai_reader",
    "ZHONGTAI_ERP_PASSWORD": "demo-erp-password",
    "ZHONGTAI_ERP_APP_ID": "demo-erp-app_0001",
    "ZHONGTAI_ERP_APP_SECRET": "demo-erp-app-secret",
    "ZHONGTAI_OA_APPID": "DEMO-ZHONGTAI-APPID",
    "ZHONGTAI_OA_USER_ID": "1",
    "ZHONGTAI_EXPENSE_CLIENT_ID": "demo-expense-client",
    "ZHONGTAI_EXPENSE_CLIENT_SECRET": "demo-expense-secret",
}


@dataclass(frozen=True)
class Credentials:
    """What the simulators accept. Values come from the environment (or .env), else demo."""

    values: dict[str, str]

    @classmethod
    def from_env(cls) -> Credentials:
        return cls({k: os.environ.get(k, v) for k, v in _DEMO.items()})

    def __getitem__(self, key: str) -> str:
        return self.values[key]


def make_app(system: str, store: WorldStore, creds: Credentials, faults: FaultInjector):
    module, cls = _APP_CLASS[system].split(":")
    return getattr(importlib.import_module(module), cls)(store, creds, faults)


def start_sources(
    world: Path,
    *,
    host: str = "127.0.0.1",
    ports: dict[str, int] | None = None,
    only: list[str] | None = None,
    faults: str = "none",
    fault_seed: int = 0,
    knobs: dict[str, str] | None = None,
    log: bool = True,
    creds: Credentials | None = None,
) -> dict[str, RunningServer]:
    """Start the chosen simulators (port 0 = any free port). Stops what it started if one
    fails, and raises ``SourceServerError`` with a message naming the fix."""
    systems = list(only or SYSTEMS)
    unknown = [s for s in systems if s not in SYSTEMS]
    if unknown:
        raise SourceServerError(
            f"unknown system(s) {', '.join(unknown)}; choose from {', '.join(SYSTEMS)}"
        )
    if faults not in PROFILES:
        raise SourceServerError(
            f"unknown fault profile {faults!r}; choose from {', '.join(PROFILES)}"
        )
    try:
        config = PROFILES[faults].with_knobs(knobs or {})
    except ValueError as e:
        raise SourceServerError(str(e)) from e
    try:
        store = WorldStore(Path(world))
    except WorldNotFound as e:
        raise SourceServerError(str(e)) from e
    creds = creds or Credentials.from_env()
    ports = {**DEFAULT_PORTS, **(ports or {})}
    running: dict[str, RunningServer] = {}
    try:
        for i, system in enumerate(systems):
            injector = FaultInjector(config, seed=fault_seed * 101 + i)
            app = make_app(system, store, creds, injector)
            running[system] = RunningServer(app, host, ports[system], log=log)
    except BaseException:
        for srv in running.values():
            srv.stop()
        raise
    return running


def stop_sources(running: dict[str, RunningServer]) -> None:
    for srv in running.values():
        srv.stop()


def extractor_env(urls: dict[str, str]) -> dict[str, str]:
    """The settings that point the extractors at simulators serving at ``urls`` (system →
    root URL, as ``RunningServer.url``): each system's base URL (Kingdee's under
    ``/K3Cloud/``) and the CRM's accounts (OAuth) server."""
    env = {
        f"ZHONGTAI_{s.upper()}_BASE_URL": url + ("/K3Cloud/" if s == "erp" else "")
        for s, url in urls.items()
    }
    if "crm" in urls:
        env["ZHONGTAI_CRM_ACCOUNTS_URL"] = urls["crm"]
    return env
