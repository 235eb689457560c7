"""Extractor settings from the environment (and `.env`): where each source is and how to talk.

Demo mode points at the local simulators; production sets the same variables to the real
hosts and credentials. No code changes between the two.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from zhongtai import settings as zt

_DEFAULTS = {
    "ZHONGTAI_CRM_BASE_URL": "http://127.0.0.1:8101",
    "ZHONGTAI_CRM_ACCOUNTS_URL": "",  # empty: same as the base URL
    "ZHONGTAI_CRM_CLIENT_ID": "1000.DEMOZHONGTAI",
    "ZHONGTAI_CRM_CLIENT_SECRET": "demo-crm-client-secret",
    "ZHONGTAI_CRM_REFRESH_TOKEN": "1000.demo.refresh-token",
    "ZHONGTAI_ERP_BASE_URL": "http://127.0.0.1:8102/K3Cloud/",
    "ZHONGTAI_ERP_ACCT_ID": "demo-acct-001",
    "ZHONGTAI_ERP_USERNAME": "zhongtai_reader",
    "ZHONGTAI_ERP_PASSWORD": "demo-erp-password",
    "ZHONGTAI_OA_BASE_URL": "http://127.0.0.1:8103",
    "ZHONGTAI_OA_APPID": "DEMO-ZHONGTAI-APPID",
    "ZHONGTAI_OA_USER_ID": "1",
    "ZHONGTAI_EXPENSE_BASE_URL": "http://127.0.0.1:8104",
    "ZHONGTAI_EXPENSE_CLIENT_ID": "demo-expense-client",
    "ZHONGTAI_EXPENSE_CLIENT_SECRET": "demo-expense-secret",
    # behaviour
    "ZHONGTAI_HTTP_TIMEOUT_S": "60",
    "ZHONGTAI_HTTP_MAX_ATTEMPTS": "8",
    "ZHONGTAI_HTTP_BASE_DELAY_S": "0.2",  # first backoff step (doubles each retry, jittered)
    "ZHONGTAI_HTTP_MAX_DELAY_S": "30",  # longest wait between two attempts
    "ZHONGTAI_EXTRACT_OVERLAP_S": "600",
    "ZHONGTAI_EXTRACT_CONCURRENCY": "4",
    "ZHONGTAI_DELETE_SWEEP_DAYS": "120",
    "ZHONGTAI_ERP_PAGE_SIZE": "2000",
}


@dataclass(frozen=True)
class ExtractSettings:
    values: dict[str, str] = field(default_factory=dict)
    landing: Path = Path("data/landing")

    @classmethod
    def from_env(cls, **overrides: str) -> ExtractSettings:
        zt.data_dir()  # loads .env
        vals = {k: os.environ.get(k, v) for k, v in _DEFAULTS.items()}
        vals.update(overrides)
        return cls(vals, zt.data_dir() / "landing")

    def __getitem__(self, key: str) -> str:
        return self.values[key]

    def url(self, system: str) -> str:
        return self.values[f"ZHONGTAI_{system.upper()}_BASE_URL"].rstrip("/")

    @property
    def timeout(self) -> float:
        return float(self.values["ZHONGTAI_HTTP_TIMEOUT_S"])

    @property
    def max_attempts(self) -> int:
        return int(self.values["ZHONGTAI_HTTP_MAX_ATTEMPTS"])

    def http_client(self, seed: int | None = None):
        """An HttpClient with this configuration's timeout, attempts and backoff."""
        from extractors.http import HttpClient

        return HttpClient(
            timeout=self.timeout,
            max_attempts=self.max_attempts,
            base_delay=float(self.values["ZHONGTAI_HTTP_BASE_DELAY_S"]),
            max_delay=float(self.values["ZHONGTAI_HTTP_MAX_DELAY_S"]),
            seed=seed,
        )

    @property
    def overlap_s(self) -> int:
        return int(self.values["ZHONGTAI_EXTRACT_OVERLAP_S"])

    @property
    def concurrency(self) -> int:
        return int(self.values["ZHONGTAI_EXTRACT_CONCURRENCY"])

    @property
    def sweep_days(self) -> int:
        return int(self.values["ZHONGTAI_DELETE_SWEEP_DAYS"])
