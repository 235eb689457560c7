"""Data quality: Great Expectations suites on the landing zone and the key marts, cross-system
totals, dbt's test results, a results table the portal reads, and static Data Docs.

Every suite is validated on a pandas DataFrame (GX's SQL datasource over DuckDB is broken, see
docs/decisions.md, "Data quality"):

- ``landing__<system>__<entity>``: the entity's Parquet change log (only the columns the suite
  reads; the rest of the landed columns are attached as empty Arrow-null placeholders, so the
  schema expectation sees the real column set without loading it). Blocking: required columns,
  key and required fields not null, accepted codes, value ranges. Warn: volume and distribution
  drift against the profile of the previous load (``<data>/quality/profiles.parquet``).
- ``marts__<mart>``: a key mart read read-only from ``<data>/warehouse.duckdb``. Blocking:
  columns, keys, statuses, signs and business rules the portals rely on. Warn: drift.
- ``cross_system``: totals that must agree between the landed sources and the marts, and
  between marts (leadership KPIs vs contracts and invoices). Blocking.

``blocking`` failures stop the publish (Dagster asset checks with ``blocking=True``; ``zhongtai
check`` exits 1); ``warn`` failures are reported only. The GX project (suites, validation
definitions, one Checkpoint per suite with an ``UpdateDataDocsAction``) lives in
``<data>/quality/gx/``; Data Docs in ``<data>/quality/docs/`` (``index.html``); every result is
kept for the last 30 runs in ``<data>/quality/check_results.parquet``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import hashlib
import json
import os
import re
import shutil
import threading
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from extractors.compaction import reading
from zhongtai import settings

try:  # advisory file locks: several processes (Dagster checks, the CLI) share <data>/quality
    import fcntl
except ImportError:  # pragma: no cover - Windows: in-process locking only
    fcntl = None  # type: ignore[assignment]

BLOCKING = "blocking"
WARN = "warn"
SITE = "zhongtai"
KEEP_RUNS = 30  # runs kept in check_results.parquet
KEEP_PROFILES = 30  # loads kept per asset in profiles.parquet
KEEP_VALIDATIONS = 5  # validation results kept per suite in the GX store and the Data Docs
DEFINITIONS_VERSION = "1"  # bump when the GX registration below changes shape
RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": 5}

REGIONS = ("华东", "华北", "华南", "华中", "西南", "西北", "东北")
BUSINESS_TYPES = ("小鼠类", "服务类")
META_COLUMNS = ("_op", "_extracted_at", "_dlt_load_id")
KEY_MARTS = (
    "fct_contracts",
    "fct_invoices",
    "fct_bank_receipts",
    "rpt_ar_aging",
    "rpt_leadership_kpis",
    "fct_opportunities",
    "dim_employees",
    "dim_user_access",
)
CROSS_SYSTEM = "cross_system"

# drift tolerances (warn): the landing is an append-only change log, so it never shrinks
LANDING_MAX_GROWTH = 3.0  # a full refresh re-lands everything once: 2x is normal
MART_MIN_SHARE = 0.5  # a mart losing half its rows between builds
MART_MAX_GROWTH = 2.0
MEAN_TOLERANCE = 0.25  # relative change of a key amount's mean
NULL_TOLERANCE = 0.05  # absolute rise of a key amount's share of empty values

RESULT_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("run_at", pa.timestamp("us", tz="UTC")),
        ("check_name", pa.string()),
        ("asset", pa.string()),
        ("suite", pa.string()),
        ("source", pa.string()),
        ("severity", pa.string()),
        ("passed", pa.bool_()),
        ("observed_value", pa.string()),
        ("expectation", pa.string()),
        ("details", pa.string()),
    ]
)
PROFILE_SCHEMA = pa.schema(
    [
        ("asset", pa.string()),
        ("marker", pa.string()),
        ("run_id", pa.string()),
        ("profiled_at", pa.timestamp("us", tz="UTC")),
        ("metric", pa.string()),
        ("value", pa.float64()),
    ]
)

ProgressFn = Callable[[str, int, int], None]
PROGRESS_LABEL = "quality checks"


class QualityError(RuntimeError):
    """The checks could not run at all (not: a check failed); the message says what to do."""


# ---------------------------------------------------------------------------------------------
# results


@dataclass
class CheckResult:
    check_name: str
    asset: str  # "landing/crm/Deals", "marts/fct_contracts", "staging/stg_crm__deals"
    suite: str
    source: str  # "gx" | "dbt"
    severity: str  # "blocking" | "warn"
    passed: bool
    observed_value: str | None
    expectation: str
    details: str | None


@dataclass
class QualityReport:
    run_id: str
    run_at: dt.datetime  # UTC, tz-aware
    results: list[CheckResult] = field(default_factory=list)
    docs_index: Path | None = None

    @property
    def blocking_failures(self) -> list[CheckResult]:
        return [r for r in self.results if not r.passed and r.severity == BLOCKING]

    @property
    def warnings(self) -> list[CheckResult]:
        return [r for r in self.results if not r.passed and r.severity == WARN]

    @property
    def ok(self) -> bool:
        return not self.blocking_failures

    def summary(self) -> str:
        """One line per failed check (blocking first): asset, check, observed, what to do."""
        failed = sorted(
            (r for r in self.results if not r.passed),
            key=lambda r: (r.severity != BLOCKING, r.asset, r.check_name),
        )
        lines = []
        for r in failed:
            line = f"[{r.severity}] {r.asset} {r.check_name}: observed {r.observed_value or '-'}"
            line += f"; expected {r.expectation}"
            if r.details:
                line += f". {r.details}"
            lines.append(line)
        return "\n".join(lines)


def new_run_id(now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


# ---------------------------------------------------------------------------------------------
# suite definitions (plain data; turned into GX expectations in _GxProject)


@dataclass(frozen=True)
class Rule:
    """One expectation of a suite.

    kind: ``columns`` (required columns present), ``not_null``, ``in_set``, ``between``,
    ``a_ge_b`` (column ≥ column_b), drift ``rows`` / ``mean`` / ``filled`` (bounds from the
    previous profile, passed as GX expectation parameters), ``zero_diff`` (cross-system
    difference within a tolerance, one row of the comparison frame). ``when``: only rows whose
    column equals the value (GX row condition).
    """

    check: str
    kind: str
    severity: str
    expectation: str
    column: str | None = None
    options: tuple[tuple[str, Any], ...] = ()
    when: tuple[str, Any] | None = None

    def opt(self, name: str, default: Any = None) -> Any:
        return dict(self.options).get(name, default)

    @property
    def columns(self) -> list[str]:
        cols = [c for c in (self.column, self.opt("column_b")) if c]
        if self.kind == "columns":
            cols += list(self.opt("column_set", ()))
        if self.when:
            cols.append(self.when[0])
        return cols


@dataclass(frozen=True)
class Suite:
    name: str  # GX suite name: landing__crm__Deals, marts__fct_contracts, cross_system
    asset: str  # landing/crm/Deals, marts/fct_contracts, cross_system
    rules: tuple[Rule, ...]
    hint: str  # what to do when a blocking check fails
    drift_hint: str = ""
    money: tuple[str, ...] = ()  # columns profiled for drift (mean, empty share)

    @property
    def columns(self) -> list[str]:
        """Columns the suite reads (the schema rule's set is only checked for presence)."""
        out: list[str] = []
        for r in self.rules:
            cols = r.columns if r.kind != "columns" else []
            out += [c for c in cols if c not in out]
        for c in self.money:
            if c not in out:
                out.append(c)
        return out


def _fmt_set(values) -> str:
    return "{" + ", ".join(str(v) for v in values) + "}"


def _not_null(col: str, severity: str = BLOCKING, when: tuple | None = None) -> Rule:
    text = f"{col} is never empty" + (f" where {when[0]} = {when[1]}" if when else "")
    return Rule(f"not_null:{col}", "not_null", severity, text, col, when=when)


def _in_set(
    col: str,
    values,
    severity: str = BLOCKING,
    when: tuple | None = None,
    name: str = "accepted_values",
) -> Rule:
    values = tuple(sorted(values, key=str))
    text = f"{col} in {_fmt_set(values)}" + (f" where {when[0]} = {when[1]}" if when else "")
    return Rule(f"{name}:{col}", "in_set", severity, text, col, (("value_set", values),), when)


def _between(
    col: str,
    lo: float | None = None,
    hi: float | None = None,
    *,
    strict_min: bool = False,
    strict_max: bool = False,
    severity: str = BLOCKING,
    when: tuple | None = None,
    name: str | None = None,
) -> Rule:
    parts = []
    if lo is not None:
        parts.append(f"{col} {'>' if strict_min else '≥'} {lo:g}")
    if hi is not None:
        parts.append(f"{col} {'<' if strict_max else '≤'} {hi:g}")
    text = " and ".join(parts) + (f" where {when[0]} = {when[1]}" if when else "")
    check = name or ("non_negative" if lo == 0 and hi is None and not strict_min else "range")
    options = (("min", lo), ("max", hi), ("strict_min", strict_min), ("strict_max", strict_max))
    return Rule(f"{check}:{col}", "between", severity, text, col, options, when)


def _a_ge_b(a: str, b: str) -> Rule:
    return Rule(
        f"order:{a}>={b}", "a_ge_b", BLOCKING, f"{a} ≥ {b} when both are set", a, (("column_b", b),)
    )


def _columns(cols) -> Rule:
    cols = tuple(cols)
    return Rule(
        "schema",
        "columns",
        BLOCKING,
        f"the {len(cols)} required columns are present",
        options=(("column_set", cols),),
    )


def _drift_rules(money: tuple[str, ...], *, landing: bool) -> tuple[Rule, ...]:
    if landing:
        rows_text = (
            f"row count between the previous load's and {LANDING_MAX_GROWTH:g}x it "
            "(an append-only change log never shrinks)"
        )
    else:
        rows_text = (
            f"row count between {MART_MIN_SHARE:.0%} and {MART_MAX_GROWTH:g}x the previous build's"
        )
    rules = [Rule("volume", "rows", WARN, rows_text)]
    upsert = ("_op", "upsert") if landing else None
    for col in money:
        rules.append(
            Rule(
                f"mean:{col}",
                "mean",
                WARN,
                f"mean of {col} within ±{MEAN_TOLERANCE:.0%} of the previous profile",
                col,
            )
        )
        rules.append(
            Rule(
                f"null_fraction:{col}",
                "filled",
                WARN,
                f"share of empty {col} at most {NULL_TOLERANCE:.0%} points above the previous "
                "profile",
                col,
                when=upsert,
            )
        )
    return tuple(rules)


# Business rules on the landed sources beyond the extractor's typing (EntitySpec): codes and
# ranges from the domain (regions, business types, red/blue invoices, tax rates in percent).
LANDING_RULES: dict[tuple[str, str], tuple[Rule, ...]] = {
    ("crm", "Accounts"): (_in_set("Customer_Grade", ("TOP", "S", "A", "B", "C")),),
    ("crm", "Deals"): (_in_set("Type", BUSINESS_TYPES), _between("Probability", 0, 100)),
    ("crm", "Stage_History"): (_between("Amount", 0), _between("Probability", 0, 100)),
    ("crm", "Events"): (_in_set("Visit_Type", ("计划内", "计划外")),),
    ("crm", "Sales_Targets"): (
        _in_set("Target_Type", ("合同额", "回款额")),
        _in_set("Business_Type", BUSINESS_TYPES),
        _between("Target_Month", 1, 12),
        _between("Target_Amount", 0),
    ),
    ("crm", "users"): (_in_set("Region", REGIONS),),
    ("crm", "Campaigns"): (_between("Budgeted_Cost", 0), _between("Actual_Cost", 0)),
    ("crm", "Products"): (_between("Unit_Price", 0), _between("Tax", 0, 17)),
    ("erp", "IV_SALESIC"): (_in_set("FRedBlue", ("0", "1")), _between("FTAXRATE", 0, 17)),
    ("erp", "IV_SALESOC"): (_in_set("FRedBlue", ("0", "1")), _between("FTAXRATE", 0, 17)),
    ("erp", "SAL_SaleOrder"): (_between("FAllAmount", 0), _between("FEntryTaxRate", 0, 17)),
    ("erp", "AR_RECEIVEBILL"): (_between("FRECTOTALAMOUNTFOR", 0),),
    ("oa", "formtable_main_1101"): (
        _in_set("htlx", ("标准", "非标", "预付款")),
        _in_set("ywlx", BUSINESS_TYPES),
        _in_set("ssqy", REGIONS),
    ),
    ("oa", "formtable_main_1102"): (_between("bghje", 0),),
    ("oa", "formtable_main_1104"): (_in_set("sfsd", ("是", "否")),),
    ("oa", "formtable_main_1111"): (_between("xmje", 0),),
    ("oa", "formtable_main_1121"): (_between("kpje", 0, strict_min=True), _between("sl", 0, 17)),
    ("oa", "formtable_main_1122"): (_between("rlje", 0, strict_min=True),),
    ("oa", "formtable_main_1123"): (_between("zzje", 0, strict_min=True),),
    ("expense", "expenseReport"): (_between("totalAmount", 0),),
    ("bank", "statements"): (_between("amount", 0, strict_min=True),),
}


# The key amount of each entity whose distribution is profiled (mean, share of empty values);
# entities without one are profiled by volume only.
KEY_AMOUNTS: dict[tuple[str, str], str] = {
    ("crm", "Deals"): "Amount",
    ("crm", "Stage_History"): "Amount",
    ("crm", "Sales_Orders"): "Grand_Total",
    ("crm", "Invoices"): "Grand_Total",
    ("crm", "Sales_Targets"): "Target_Amount",
    ("crm", "Campaigns"): "Budgeted_Cost",
    ("crm", "Products"): "Unit_Price",
    ("erp", "SAL_SaleOrder"): "FAllAmount",
    ("erp", "SAL_OUTSTOCK"): "FAllAmount",
    ("erp", "IV_SALESIC"): "FALLAMOUNTFOR",
    ("erp", "IV_SALESOC"): "FALLAMOUNTFOR",
    ("erp", "AR_receivable"): "FALLAMOUNTFOR",
    ("erp", "AR_RECEIVEBILL"): "FRECTOTALAMOUNTFOR",
    ("oa", "formtable_main_1101"): "htje",
    ("oa", "formtable_main_1102"): "bghje",
    ("oa", "formtable_main_1111"): "xmje",
    ("oa", "formtable_main_1121"): "kpje",
    ("oa", "formtable_main_1122"): "rlje",
    ("oa", "formtable_main_1123"): "zzje",
    ("oa", "formtable_main_1132"): "ys",
    ("expense", "expenseReport"): "totalAmount",
    ("bank", "statements"): "amount",
}


def landing_entities() -> list[tuple[str, str]]:
    """Every landed (system, entity): the extractors' entities and the bank statements."""
    return [(s.system, s.name) for s in _entity_specs()]


def _entity_specs() -> list:
    from extractors.bank.importer import STATEMENTS
    from extractors.run import SYSTEMS, protocol

    specs = [spec for s in SYSTEMS for spec in protocol(s).ENTITIES.values()]
    return [*specs, STATEMENTS]


def landing_suite(spec) -> Suite:
    """The suite of one landed entity, from its ``extractors.records.EntitySpec``."""
    upsert = ("_op", "upsert")
    rules: list[Rule] = [
        _columns([*spec.names, *META_COLUMNS]),
        _not_null(spec.key),
        _in_set("_op", ("upsert", "delete")),
    ]
    rules += [_not_null(f, when=upsert) for f in sorted(spec.required) if f != spec.key]
    rules += [_in_set(f, values) for f, values in sorted(spec.accepted.items())]
    rules += [_between(f, 0) for f in sorted(spec.non_negative)]
    seen = {r.check for r in rules}
    rules += [r for r in LANDING_RULES.get((spec.system, spec.name), ()) if r.check not in seen]
    key_amount = KEY_AMOUNTS.get((spec.system, spec.name))
    money = (key_amount,) if key_amount in spec.names else ()
    rules += _drift_rules(money, landing=True)
    if spec.system == "bank":
        fix = "run `zhongtai import bank` on the statement files"
    else:
        fix = (
            f"re-extract it (`zhongtai extract --system {spec.system} --entity {spec.name} "
            "--full-refresh`)"
        )
    return Suite(
        name=f"landing__{spec.system}__{spec.name}",
        asset=f"landing/{spec.system}/{spec.name}",
        rules=tuple(rules),
        hint=(
            f"the landed {spec.system} {spec.name} records break a source rule: find the rows "
            f"in <data>/landing/{spec.system}/{spec.name}/, check the source system, then "
            f"{fix}; the warehouse build and the publish wait until it passes"
        ),
        drift_hint=(
            f"compare with the last extraction summary (<data>/landing/_runs/) and the source: "
            f"files removed from <data>/landing/{spec.system}/{spec.name}/ or a source that "
            "changed its data"
        ),
        money=money,
    )


def _mart_suite(
    mart: str, required: str, rules: tuple[Rule, ...], money: tuple[str, ...] = ()
) -> Suite:
    return Suite(
        name=f"marts__{mart}",
        asset=f"marts/{mart}",
        rules=(_columns(required.split()), *rules, *_drift_rules(money, landing=False)),
        hint=(
            f"marts.{mart} breaks a rule the portals rely on: look at the rows "
            f'(`zhongtai sql "from marts.{mart} …"` after a publish, or the warehouse), fix '
            "the model or its source and run `zhongtai build`; the previous publish keeps "
            "serving meanwhile"
        ),
        drift_hint=(
            f"marts.{mart} changed size or level much more than between earlier builds: "
            "check the last extraction and `zhongtai build --as-of`"
        ),
        money=money,
    )


CONTRACT_STATUSES = ("签订前", "签订中", "履行中", "完成", "终止", "作废")
STAGES = ("潜在", "意向", "选型", "谈判", "成交", "输单", "失效")
ROLES = (
    "sales",
    "manager",
    "assistant",
    "director",
    "executive",
    "finance",
    "pm",
    "legal",
    "marketing",
)
SCOPES = ("own", "team", "region", "all")

MART_SUITES: dict[str, Suite] = {
    s.asset.split("/", 1)[1]: s
    for s in (
        _mart_suite(
            "fct_contracts",
            (
                "contract_no contract_type is_prepayment customer_name business_type "
                "owner_employee_code owner_name owner_region original_amount amount status "
                "status_en is_signed signed_date start_date end_date paper_sent_date "
                "paper_received_date is_paper_received is_started first_start_date is_terminated "
                "as_of_date"
            ),
            (
                _not_null("contract_no"),
                _not_null("status"),
                _in_set("status", CONTRACT_STATUSES),
                _in_set("contract_type", ("标准", "非标", "预付款")),
                _in_set("owner_region", REGIONS),
                _between("amount", 0),
                _between("original_amount", 0),
                _not_null("signed_date", when=("is_signed", True)),
                _a_ge_b("end_date", "start_date"),
            ),
            ("amount",),
        ),
        _mart_suite(
            "fct_invoices",
            (
                "invoice_number invoice_kind invoice_date red_blue is_red_letter customer_key "
                "erp_customer_code customer_name contract_no owner_region tax_rate "
                "amount_excl_tax tax_amount amount_incl_tax net_amount_incl_tax due_date "
                "document_status is_effective as_of_date"
            ),
            (
                _not_null("invoice_number"),
                _not_null("invoice_date"),
                _in_set("red_blue", ("blue", "red")),
                _in_set("invoice_kind", ("special", "ordinary")),
                _in_set("document_status", ("A", "B", "C", "D", "Z")),
                _between(
                    "amount_incl_tax", 0, strict_min=True, when=("red_blue", "blue"), name="sign"
                ),
                _between(
                    "amount_incl_tax",
                    None,
                    0,
                    strict_max=True,
                    when=("red_blue", "red"),
                    name="sign_red",
                ),
                _between("tax_rate", 0, 0.17),
                _a_ge_b("due_date", "invoice_date"),
            ),
            ("amount_incl_tax",),
        ),
        _mart_suite(
            "fct_bank_receipts",
            (
                "bank_txn_id account_no bank_serial_no received_at received_date payer_name "
                "amount is_claimed claimed_amount contract_no as_of_date"
            ),
            (
                _not_null("bank_txn_id"),
                _not_null("received_date"),
                _not_null("amount"),
                _between("amount", 0, strict_min=True, name="positive"),
                _between("claimed_amount", 0),
            ),
            ("amount",),
        ),
        _mart_suite(
            "rpt_ar_aging",
            (
                "aging_id snapshot_date is_as_of_date invoice_number customer_name contract_no "
                "owner_region invoiced_amount collected_amount open_amount days_past_due "
                "due_bucket_code invoice_age_bucket_code"
            ),
            (
                _not_null("aging_id"),
                _not_null("snapshot_date"),
                _not_null("invoice_number"),
                _not_null("open_amount"),
                _not_null("due_bucket_code"),
                _between("collected_amount", 0),
                # over-applied or over-reversed invoices exist in real books: worth a look,
                # not a reason to hold back the publish
                Rule(
                    "non_negative:open_amount",
                    "between",
                    WARN,
                    "open_amount ≥ 0 (an invoice is not paid or reversed beyond its amount)",
                    "open_amount",
                    (
                        ("min", 0),
                        (
                            "hint",
                            "finance should look at these invoices: a receipt applied beyond "
                            "the open amount or a red-letter invoice larger than the blue one "
                            "it reverses (the ERP and OA hold the documents)",
                        ),
                    ),
                ),
            ),
            ("open_amount",),
        ),
        _mart_suite(
            "rpt_leadership_kpis",
            (
                "kpi_id period_type period_start period_end period_label region is_company_total "
                "signed_amount signed_count started_amount prepayment_amount "
                "received_back_amount collected_amount invoiced_amount "
                "delivered_not_invoiced_amount invoiced_not_collected_amount"
            ),
            (
                _not_null("kpi_id"),
                _not_null("period_start"),
                _not_null("region"),
                _in_set("period_type", ("week", "month", "quarter", "year")),
                _in_set("region", (*REGIONS, "全公司", "未知")),
                _between("signed_amount", 0),
                _between("signed_count", 0),
                _between("started_amount", 0),
                _between("prepayment_amount", 0),
                _between("received_back_amount", 0),
                _between("collected_amount", 0),
                _between("delivered_not_invoiced_amount", 0),
                _between("invoiced_not_collected_amount", 0),
                _a_ge_b("period_end", "period_start"),
            ),
        ),
        _mart_suite(
            "fct_opportunities",
            (
                "crm_deal_id deal_name customer_key business_type created_date "
                "owner_employee_code owner_name region current_stage stage_group amount "
                "probability weighted_amount is_won is_open is_stalled as_of_date"
            ),
            (
                _not_null("crm_deal_id"),
                _not_null("current_stage"),
                _in_set("current_stage", STAGES),
                _in_set("stage_group", ("open", "won", "lost", "expired")),
                _in_set("business_type", BUSINESS_TYPES),
                _in_set("current_stage", ("成交",), when=("is_won", True), name="won_stage"),
                _between("amount", 0),
                _between("weighted_amount", 0),
                _between("probability", 0, 1),
            ),
            ("amount",),
        ),
        _mart_suite(
            "dim_employees",
            (
                "employee_version_id employee_code employee_name role_code access_scope "
                "team_name region valid_from valid_to is_current"
            ),
            (
                _not_null("employee_version_id"),
                _not_null("employee_code"),
                _not_null("role_code"),
                _in_set("role_code", ROLES),
                _in_set("access_scope", SCOPES),
                _in_set("region", REGIONS),
                _a_ge_b("valid_to", "valid_from"),
            ),
        ),
        _mart_suite(
            "dim_user_access",
            (
                "viewer_employee_code viewer_login_id viewer_role_code access_scope "
                "visible_employee_code visible_regions sees_everything"
            ),
            (
                _not_null("viewer_employee_code"),
                _not_null("visible_employee_code"),
                _not_null("access_scope"),
                _in_set("access_scope", SCOPES),
                _in_set("viewer_role_code", ROLES),
                _in_set("sees_everything", (True,), when=("access_scope", "all"), name="scope_all"),
            ),
        ),
    )
}

# Cross-system totals: (check, asset it vouches for, what is compared). Computed in
# _cross_frame; each is one row of the comparison frame and one GX expectation on it.
CROSS_CHECKS: tuple[tuple[str, str, str, float], ...] = (
    (
        "erp_invoice_lines_vs_fct_invoices:special",
        "marts/fct_invoices",
        "tax-inclusive total of live special-VAT invoice lines (landing erp/IV_SALESIC, latest "
        "version per line) = Σ fct_invoices.amount_incl_tax of kind special",
        0.005,
    ),
    (
        "erp_invoice_lines_vs_fct_invoices:ordinary",
        "marts/fct_invoices",
        "tax-inclusive total of live ordinary-VAT invoice lines (landing erp/IV_SALESOC) = "
        "Σ fct_invoices.amount_incl_tax of kind ordinary",
        0.005,
    ),
    (
        "bank_statements_vs_fct_bank_receipts:count",
        "marts/fct_bank_receipts",
        "statement lines landed (latest per account and serial no.) = rows of fct_bank_receipts",
        0,
    ),
    (
        "bank_statements_vs_fct_bank_receipts:amount",
        "marts/fct_bank_receipts",
        "Σ landed statement amounts = Σ fct_bank_receipts.amount",
        0.005,
    ),
    (
        "crm_deals_vs_fct_opportunities:count",
        "marts/fct_opportunities",
        "live CRM deals landed (latest version, not deleted) = rows of fct_opportunities",
        0,
    ),
    (
        "crm_deals_vs_fct_opportunities:amount",
        "marts/fct_opportunities",
        "Σ Amount of live CRM deals = Σ fct_opportunities.amount",
        0.005,
    ),
    (
        "oa_employees_vs_dim_employees:count",
        "marts/dim_employees",
        "distinct employee numbers (workcode) in the landed OA directory = distinct "
        "dim_employees.employee_code",
        0,
    ),
    (
        "kpi_signed_vs_fct_contracts",
        "marts/rpt_leadership_kpis",
        "Σ yearly company signed_amount = Σ fct_contracts.amount of non-prepayment contracts "
        "signed by the as-of date",
        0.005,
    ),
    (
        "kpi_invoiced_vs_fct_invoices",
        "marts/rpt_leadership_kpis",
        "Σ yearly company invoiced_amount = Σ fct_invoices.amount_incl_tax of effective invoices",
        0.005,
    ),
)
CROSS_ASSETS = tuple(sorted({a for _, a, _, _ in CROSS_CHECKS}))

CROSS_SUITE = Suite(
    name=CROSS_SYSTEM,
    asset=CROSS_SYSTEM,
    rules=tuple(
        Rule(
            check,
            "zero_diff",
            BLOCKING,
            text + (f" (±{tol:g})" if tol else " (exactly)"),
            "difference",
            (("tolerance", tol),),
            when=("check", check),
        )
        for check, _, text, tol in CROSS_CHECKS
    ),
    hint=(
        "a mart does not add up to the landed source (or to another mart): rebuild "
        "(`zhongtai build`); if it stays, a model loses or duplicates rows — compare the two "
        "sides named above; the previous publish keeps serving meanwhile"
    ),
)


def all_suites() -> list[Suite]:
    return [*(landing_suite(s) for s in _entity_specs()), *MART_SUITES.values(), CROSS_SUITE]


# ---------------------------------------------------------------------------------------------
# paths, locking, atomic writes


def quality_dir(data: Path | None = None) -> Path:
    return (data or settings.data_dir()).resolve() / "quality"


def docs_index_path(data: Path | None = None) -> Path:
    return quality_dir(data) / "docs" / "index.html"


_THREAD_LOCK = threading.RLock()


@contextlib.contextmanager
def _locked(qdir: Path) -> Iterator[None]:
    """One writer at a time on <data>/quality across threads and processes."""
    qdir.mkdir(parents=True, exist_ok=True)
    with _THREAD_LOCK:
        if fcntl is None:  # pragma: no cover
            yield
            return
        with open(qdir / ".lock", "a+b") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


def _write_atomic(table: pa.Table, path: Path) -> None:
    """Write next to the target, then os.replace: readers see the old or the new file."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------------
# the results table


def results_table(report: QualityReport) -> pa.Table:
    rows = [
        {
            "run_id": report.run_id,
            "run_at": report.run_at,
            **{k: getattr(r, k) for k in RESULT_SCHEMA.names if k not in ("run_id", "run_at")},
        }
        for r in report.results
    ]
    return pa.Table.from_pylist(rows, schema=RESULT_SCHEMA)


def save_results(report: QualityReport, data: Path | None = None) -> Path:
    """Append the report's results to <data>/quality/check_results.parquet (a result of the
    same run, asset, suite and check replaces the earlier one), keeping the last KEEP_RUNS runs;
    written atomically (the portal reads it concurrently)."""
    qdir = quality_dir(data)
    path = qdir / "check_results.parquet"
    new = results_table(report)
    with _locked(qdir):
        if path.exists():
            old = pq.read_table(path).cast(RESULT_SCHEMA)
            key = ["run_id", "asset", "suite", "check_name"]
            fresh = {tuple(r[k] for k in key) for r in new.select(key).to_pylist()}
            keep = [tuple(r[k] for k in key) not in fresh for r in old.select(key).to_pylist()]
            table = pa.concat_tables([old.filter(pa.array(keep, pa.bool_())), new])
        else:
            table = new
        runs = (
            table.group_by("run_id")
            .aggregate([("run_at", "max")])
            .sort_by([("run_at_max", "descending")])
            .column("run_id")
            .to_pylist()[:KEEP_RUNS]
        )
        table = table.filter(pc.is_in(table["run_id"], pa.array(runs, pa.string())))
        table = table.sort_by([("run_at", "ascending"), ("asset", "ascending")])
        _write_atomic(table, path)
    return path


def load_results(data: Path | None = None, latest_only: bool = True) -> pd.DataFrame:
    """The stored results (empty frame with the columns when there are none). ``latest_only``:
    the newest result of every (asset, suite, check), i.e. the current state of each check
    (a Dagster run may check only some assets; their other checks keep their last result)."""
    path = quality_dir(data) / "check_results.parquet"
    if not path.exists():
        return RESULT_SCHEMA.empty_table().to_pandas()
    df = pq.read_table(path).to_pandas()
    if latest_only and not df.empty:
        df = df.sort_values("run_at", kind="stable")
        df = df.drop_duplicates(["asset", "suite", "check_name"], keep="last")
        df = df.sort_values(["passed", "severity", "asset", "check_name"], kind="stable")
    return df.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# profiles (drift baselines)


def _load_profiles(qdir: Path) -> pd.DataFrame:
    path = qdir / "profiles.parquet"
    if not path.exists():
        return PROFILE_SCHEMA.empty_table().to_pandas()
    return pq.read_table(path).to_pandas()


def _baseline(profiles: pd.DataFrame, asset: str, marker: str) -> dict[str, float] | None:
    """The profile of the previous load of ``asset``: the newest one of another marker."""
    rows = profiles[(profiles["asset"] == asset) & (profiles["marker"] != marker)]
    if rows.empty:
        return None
    last = rows.loc[rows["profiled_at"] == rows["profiled_at"].max()]
    last = last[last["marker"] == last["marker"].iloc[-1]]
    return dict(zip(last["metric"], last["value"], strict=True))


def _save_profiles(qdir: Path, new: list[dict]) -> None:
    if not new:
        return
    with _locked(qdir):
        old = _load_profiles(qdir)
        fresh = pd.DataFrame(new)
        done = set(zip(fresh["asset"], fresh["marker"], strict=True))
        old = old[[(a, m) not in done for a, m in zip(old["asset"], old["marker"], strict=True)]]
        frames = [f for f in (old, fresh) if not f.empty]
        table = pd.concat(frames, ignore_index=True).sort_values("profiled_at", kind="stable")
        # keep the newest KEEP_PROFILES loads per asset
        loads = table.drop_duplicates(["asset", "marker"], keep="last")
        loads = loads.groupby("asset", sort=False).tail(KEEP_PROFILES)
        keep = set(zip(loads["asset"], loads["marker"], strict=True))
        table = table[
            [(a, m) in keep for a, m in zip(table["asset"], table["marker"], strict=True)]
        ]
        out = pa.Table.from_pandas(table, schema=PROFILE_SCHEMA, preserve_index=False)
        _write_atomic(out, qdir / "profiles.parquet")


def _profile(df: pd.DataFrame, money: tuple[str, ...], landing: bool) -> dict[str, float]:
    out = {"rows": float(len(df))}
    rows = df[df["_op"] == "upsert"] if landing and "_op" in df.columns else df
    for col in money:
        if col not in df.columns or not pd.api.types.is_numeric_dtype(df[col].dtype):
            continue
        values = rows[col]
        mean = values.mean()
        if pd.notna(mean):
            out[f"mean:{col}"] = float(mean)
        if len(values):
            out[f"null_fraction:{col}"] = float(values.isna().mean())
    return out


def _param(check: str, part: str) -> str:
    """A GX expectation parameter name (GX parses it as an identifier)."""
    return "p_" + re.sub(r"\W", "_", f"{check}_{part}")


def _drift_parameters(
    suite: Suite, current: dict[str, float], base: dict[str, float] | None, landing: bool
) -> tuple[dict[str, Any], dict[str, str]]:
    """GX expectation parameters of the drift rules and the observed text of each (the
    previous value, or "no baseline": then the bounds are None and the expectation passes)."""
    params: dict[str, Any] = {}
    observed: dict[str, str] = {}
    for rule in suite.rules:
        if rule.kind not in ("rows", "mean", "filled"):
            continue
        metric = "rows" if rule.kind == "rows" else rule.check
        prev = None if base is None else base.get(metric)
        now = current.get(metric)
        lo = hi = mostly = None
        if prev is None or now is None:
            observed[rule.check] = "no baseline"
        elif rule.kind == "rows":
            if landing:
                lo, hi = prev, max(prev * LANDING_MAX_GROWTH, prev + 1000)
            else:
                lo, hi = prev * MART_MIN_SHARE, prev * MART_MAX_GROWTH + 1000
            observed[rule.check] = f"{int(now):,} rows (previous {int(prev):,})"
        elif rule.kind == "mean":
            tol = max(abs(prev) * MEAN_TOLERANCE, 0.01)
            lo, hi = prev - tol, prev + tol
            observed[rule.check] = f"mean {now:,.2f} (previous {prev:,.2f})"
        else:
            mostly = max(0.0, 1.0 - (prev + NULL_TOLERANCE))
            observed[rule.check] = f"{now:.1%} empty (previous {prev:.1%})"
        params[_param(rule.check, "min")] = lo
        params[_param(rule.check, "max")] = hi
        params[_param(rule.check, "mostly")] = 0.0 if mostly is None else mostly
    return params, observed


# ---------------------------------------------------------------------------------------------
# reading the data


def _placeholders(df: pd.DataFrame, present: list[str]) -> pd.DataFrame:
    """Attach the source's other columns as Arrow-null columns: no data, no memory; only the
    schema expectation looks at them."""
    others = [c for c in present if c not in df.columns]
    if not others:
        return df
    n = len(df)
    extra = pd.DataFrame(
        {c: pd.array(pa.nulls(n), dtype=pd.ArrowDtype(pa.null())) for c in others},
        index=df.index,
    )
    return pd.concat([df, extra], axis=1)


def _landing_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.parquet")) if folder.is_dir() else []


def _landing_marker(files: list[Path]) -> str:
    h = hashlib.sha256()
    for f in files:
        st = f.stat()
        h.update(f"{f.name}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return f"{len(files)}:{h.hexdigest()[:16]}"


def _landing_schema(files: list[Path]) -> pa.Schema:
    return pa.unify_schemas([pq.read_schema(f) for f in files], promote_options="permissive")


def _read_landing(
    files: list[Path], schema: pa.Schema, columns: list[str], *, for_gx: bool = True
) -> pd.DataFrame:
    """The given columns of the change log (those that exist). For GX: decimals as float64 and
    repetitive text as pandas categoricals (GX copies the frame per expectation; at scale 1 the
    approval log has 2 million rows); otherwise money stays exact (``Decimal``)."""
    cols = [c for c in columns if c in schema.names]
    table = pads.dataset([str(f) for f in files], schema=schema, format="parquet").to_table(
        columns=cols
    )
    for i, name in enumerate(table.column_names):
        col = table[name]
        if pa.types.is_dictionary(col.type):
            col = pc.cast(col, col.type.value_type)
        if for_gx and pa.types.is_decimal(col.type):
            col = pc.cast(col, pa.float64())
        elif for_gx and pa.types.is_string(col.type) and len(col) > 10_000:
            encoded = col.dictionary_encode()
            if sum(len(c.dictionary) for c in encoded.chunks) <= len(col) // 2:
                col = encoded
        table = table.set_column(i, name, col)
    return table.to_pandas(date_as_object=False)


def _latest_live(files: list[Path], schema: pa.Schema, key: list[str], values: list[str]):
    """The latest version of every key that is not a tombstone (as staging keeps it):
    newest ``_extracted_at``, then newest load, a tombstone beating an upsert of the same
    instant. Money stays exact (Decimal)."""
    df = _read_landing(
        files, schema, [*key, *values, "_op", "_extracted_at", "_dlt_load_id"], for_gx=False
    )
    if "_dlt_load_id" not in df.columns:
        df["_dlt_load_id"] = ""
    df["_is_delete"] = df["_op"].eq("delete")
    df = df.sort_values(["_extracted_at", "_dlt_load_id", "_is_delete"], kind="stable")
    latest = df.drop_duplicates(key, keep="last")
    return latest[~latest["_is_delete"]]


def _dsum(values) -> decimal.Decimal:
    return sum(
        (decimal.Decimal(v) for v in values if v is not None and not pd.isna(v)), decimal.Decimal(0)
    )


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# ---------------------------------------------------------------------------------------------
# GX


def _import_gx():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import great_expectations as gx
        from great_expectations.execution_engine import pandas_execution_engine

    # GX fingerprints every pandas batch (an md5 over a hash of every row) for the result's
    # batch markers only; at scale 1 that is a third of the run. Our profiles identify loads.
    if hasattr(pandas_execution_engine, "HASH_THRESHOLD"):
        pandas_execution_engine.HASH_THRESHOLD = 0
    return gx


def _fingerprint(suites: list[Suite]) -> str:
    gx = _import_gx()
    payload = json.dumps(
        [DEFINITIONS_VERSION, gx.__version__, [(s.name, repr(s.rules)) for s in suites]],
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _expectation(rule: Rule):
    """The GX expectation of a rule (severity and our check name in meta)."""
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    common: dict[str, Any] = {
        "meta": {"check": rule.check, "severity": rule.severity, "notes": rule.expectation},
        "severity": "critical" if rule.severity == BLOCKING else "warning",
    }
    if rule.when is not None:
        common["row_condition"] = Column(rule.when[0]) == rule.when[1]
    if rule.kind == "columns":
        return gxe.ExpectTableColumnsToMatchSet(
            column_set=list(rule.opt("column_set")), exact_match=False, **common
        )
    if rule.kind == "not_null":
        return gxe.ExpectColumnValuesToNotBeNull(column=rule.column, **common)
    if rule.kind == "in_set":
        return gxe.ExpectColumnValuesToBeInSet(
            column=rule.column, value_set=list(rule.opt("value_set")), **common
        )
    if rule.kind == "between":
        return gxe.ExpectColumnValuesToBeBetween(
            column=rule.column,
            min_value=rule.opt("min"),
            max_value=rule.opt("max"),
            strict_min=rule.opt("strict_min", False),
            strict_max=rule.opt("strict_max", False),
            **common,
        )
    if rule.kind == "a_ge_b":
        return gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A=rule.column,
            column_B=rule.opt("column_b"),
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            **common,
        )
    if rule.kind == "zero_diff":
        tol = rule.opt("tolerance", 0)
        return gxe.ExpectColumnValuesToBeBetween(
            column=rule.column, min_value=-tol, max_value=tol, **common
        )
    # drift bounds come from the previous profile at run time (GX expectation parameters)
    bounds = {
        "min_value": {"$PARAMETER": _param(rule.check, "min")},
        "max_value": {"$PARAMETER": _param(rule.check, "max")},
    }
    if rule.kind == "rows":
        return gxe.ExpectTableRowCountToBeBetween(**bounds, **common)
    if rule.kind == "mean":
        return gxe.ExpectColumnMeanToBeBetween(column=rule.column, **bounds, **common)
    if rule.kind == "filled":
        return gxe.ExpectColumnValuesToNotBeNull(
            column=rule.column, mostly={"$PARAMETER": _param(rule.check, "mostly")}, **common
        )
    raise ValueError(f"unknown rule kind {rule.kind!r}")


class _GxProject:
    """The File Data Context under <data>/quality/gx/ with every suite registered: a pandas
    datasource with one DataFrame asset per suite, the suite, a validation definition and a
    Checkpoint whose UpdateDataDocsAction updates the static site in <data>/quality/docs/.
    Registration happens once per set of definitions (a fingerprint file); one per process."""

    def __init__(self, qdir: Path, suites: list[Suite]):
        gx = _import_gx()
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self.qdir = qdir
        with _locked(qdir), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.ctx = gx.get_context(mode="file", project_root_dir=str(qdir))
            self.ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
            stamp = qdir / "gx" / "zhongtai_definitions.sha256"
            fingerprint = _fingerprint(suites)
            if not stamp.exists() or stamp.read_text().strip() != fingerprint:
                self._register(suites)
                stamp.write_text(fingerprint + "\n")
        self._vds: dict[str, Any] = {}
        self._checkpoints: dict[str, Any] = {}

    def _register(self, suites: list[Suite]) -> None:
        gx = _import_gx()
        ctx = self.ctx
        ctx.enable_analytics(False)
        for site in list(ctx.get_site_names()):
            if site != SITE:
                ctx.delete_data_docs_site(site)
        site = {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            # relative to gx/: the site moves with the data folder
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": "../docs/",
            },
            "site_index_builder": {
                "class_name": "DefaultSiteIndexBuilder",
                "validation_results_limit": 300,
            },
        }
        if SITE in ctx.get_site_names():
            ctx.update_data_docs_site(SITE, site)
        else:
            ctx.add_data_docs_site(SITE, site)
        shutil.rmtree(self.qdir / "docs" / "expectations", ignore_errors=True)  # re-rendered
        if "zhongtai" in ctx.data_sources.all():
            ctx.data_sources.delete("zhongtai")
        ds = ctx.data_sources.add_pandas("zhongtai")
        for suite in suites:
            batch = ds.add_dataframe_asset(suite.name).add_batch_definition_whole_dataframe("all")
            gx_suite = ctx.suites.add_or_update(
                gx.ExpectationSuite(
                    name=suite.name,
                    expectations=[_expectation(r) for r in suite.rules],
                    meta={"asset": suite.asset, "notes": suite.hint},
                )
            )
            vd = ctx.validation_definitions.add_or_update(
                gx.ValidationDefinition(name=suite.name, data=batch, suite=gx_suite)
            )
            ctx.checkpoints.add_or_update(
                gx.Checkpoint(
                    name=suite.name,
                    validation_definitions=[vd],
                    actions=[
                        gx.checkpoint.UpdateDataDocsAction(name="data_docs", site_names=[SITE])
                    ],
                    result_format=RESULT_FORMAT,
                )
            )

    def _vd(self, name: str):
        if name not in self._vds:
            self._vds[name] = self.ctx.validation_definitions.get(name)
        return self._vds[name]

    def _checkpoint(self, name: str):
        if name not in self._checkpoints:
            self._checkpoints[name] = self.ctx.checkpoints.get(name)
        return self._checkpoints[name]

    def validate(
        self,
        suite: Suite,
        df: pd.DataFrame,
        params: dict[str, Any],
        run_id: str,
        run_at: dt.datetime,
        *,
        docs: bool,
    ):
        """Validate ``df`` against the suite: with ``docs`` through its Checkpoint (whose
        UpdateDataDocsAction renders this result and the index), otherwise through the
        validation definition alone (the caller renders Data Docs once for the whole run).
        Returns (GX suite result, validation result identifier)."""
        from great_expectations.core.run_identifier import RunIdentifier
        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier,
            ValidationResultIdentifier,
        )

        rid = RunIdentifier(run_name=run_id, run_time=run_at)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if docs:
                with _locked(self.qdir):
                    res = self._checkpoint(suite.name).run(
                        batch_parameters={"dataframe": df},
                        expectation_parameters=params,
                        run_id=rid,
                    )
                    self.prune([suite.name])
                ((ident, result),) = res.run_results.items()
                return result, ident
            result = self._vd(suite.name).run(
                batch_parameters={"dataframe": df},
                expectation_parameters=params,
                result_format=RESULT_FORMAT,
                run_id=rid,
            )
        ident = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite.name),
            run_id=rid,
            batch_identifier=result.batch_id,
        )
        return result, ident

    def build_docs(self, identifiers: list) -> Path:
        """Render these validation results (and their suites) and the index, once."""
        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier,
        )

        suites = {i.expectation_suite_identifier.name for i in identifiers}
        pages = self.qdir / "docs" / "expectations"
        # a suite's page changes only with its definition (registration clears them all)
        unrendered = sorted(s for s in suites if not (pages / f"{s}.html").exists())
        with _locked(self.qdir), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.prune(sorted(suites))
            self.ctx.build_data_docs(
                site_names=[SITE],
                resource_identifiers=[
                    *identifiers,
                    *(ExpectationSuiteIdentifier(name=s) for s in unrendered),
                ],
            )
        return self.qdir / "docs" / "index.html"

    def prune(self, suite_names: list[str]) -> None:
        """Keep the newest KEEP_VALIDATIONS results per suite in the store and the site."""
        store = self.qdir / "gx" / "uncommitted" / "validations"
        site = self.qdir / "docs" / "validations"
        for name in suite_names:
            runs = sorted(
                (p for p in (store / name).glob("*/*") if p.is_dir()),
                key=lambda p: p.name,  # run_time folder: ISO time, sorts by time
            )
            for old in runs[:-KEEP_VALIDATIONS]:
                rel = old.relative_to(store)
                shutil.rmtree(old, ignore_errors=True)
                shutil.rmtree(site / rel, ignore_errors=True)
            for base in (store / name, site / name):
                for run_dir in base.glob("*") if base.is_dir() else []:
                    if run_dir.is_dir() and not any(run_dir.iterdir()):
                        run_dir.rmdir()


_PROJECTS: dict[Path, _GxProject] = {}


def _project(qdir: Path) -> _GxProject:
    """The GX project of a quality folder, created once per process (GX is slow to set up)."""
    with _THREAD_LOCK:
        if qdir not in _PROJECTS:
            _PROJECTS[qdir] = _GxProject(qdir, all_suites())
        return _PROJECTS[qdir]


# ---------------------------------------------------------------------------------------------
# GX results → CheckResult


def _examples(values: list) -> str:
    shown = [repr(v) if isinstance(v, str) else str(v) for v in values[:3] if v is not None]
    return (", e.g. " + ", ".join(shown)) if shown else ""


def _observed(rule: Rule, res: dict, observed: dict[str, str]) -> str:
    if rule.check in observed:
        return observed[rule.check]
    if rule.kind == "columns":
        missing = ((res.get("details") or {}).get("mismatched") or {}).get("missing") or []
        if missing:
            return "missing: " + ", ".join(sorted(missing))
        return f"{len(rule.opt('column_set'))} required columns present"
    if "unexpected_count" in res:
        n = res.get("element_count") or 0
        k = res.get("unexpected_count") or 0
        if k == 0:
            return f"0 of {n:,} rows"
        pct = res.get("unexpected_percent")
        text = f"{k:,} of {n:,} rows" + (f" ({pct:.2f}%)" if pct is not None else "")
        if rule.kind != "not_null":
            text += _examples(res.get("partial_unexpected_list") or [])
        return text
    value = res.get("observed_value")
    return None if value is None else str(value)


def _exception_message(info) -> str | None:
    """GX's exception info, flat or keyed by metric, as one line (None: nothing raised)."""
    if not isinstance(info, dict) or not info:
        return None
    entries = [info] if "raised_exception" in info else list(info.values())
    for entry in entries:
        if isinstance(entry, dict) and entry.get("raised_exception"):
            text = str(entry.get("exception_message") or "GX raised an error")
            return text.splitlines()[0][:300]
    return None


def _to_results(
    suite: Suite,
    gx_result,
    observed: dict[str, str],
    asset_of: Callable[[Rule], str] | None = None,
    columns: set[str] | None = None,
) -> list[CheckResult]:
    rules = {r.check: r for r in suite.rules}
    out: list[CheckResult] = []
    for r in gx_result.results:
        rule = rules.get((r.expectation_config.meta or {}).get("check"))
        if rule is None:
            continue
        message = _exception_message(r.exception_info)
        passed = bool(r.success) and message is None
        if observed.get(rule.check) == "no baseline":
            passed, message = True, None  # nothing to compare with yet (e.g. an empty column)
        details = None
        absent = [
            c
            for c in rule.columns
            if rule.kind != "columns" and columns is not None and c not in columns
        ]
        if absent:
            obs = "column missing: " + ", ".join(absent)
            details = "The schema check names the missing columns."
        elif message is not None:
            obs = "not evaluated"
            details = f"GX could not evaluate it: {message}."
        else:
            obs = _observed(rule, r.result or {}, observed)
        if not passed:
            drift = rule.kind in ("rows", "mean", "filled")
            hint = rule.opt("hint") or (suite.drift_hint if drift else "") or suite.hint
            details = ((details + " ") if details else "") + f"What to do: {hint}."
        elif obs == "no baseline":
            details = "first profile of this asset recorded; the next load is compared with it"
        out.append(
            CheckResult(
                check_name=rule.check,
                asset=asset_of(rule) if asset_of else suite.asset,
                suite=suite.name,
                source="gx",
                severity=rule.severity,
                passed=passed,
                observed_value=obs,
                expectation=rule.expectation,
                details=details,
            )
        )
    order = {r.check: i for i, r in enumerate(suite.rules)}
    return sorted(out, key=lambda c: order.get(c.check_name, 0))


def _failed(
    suite: Suite, check: str, asset: str, observed: str, expectation: str, details: str
) -> CheckResult:
    return CheckResult(
        check, asset, suite.name, "gx", BLOCKING, False, observed, expectation, details
    )


# ---------------------------------------------------------------------------------------------
# the suites, run


@dataclass
class _Run:
    """State shared by the suites of one run."""

    data: Path
    run_id: str
    run_at: dt.datetime
    docs: bool  # per-suite Checkpoint with UpdateDataDocsAction (single-asset runs)
    profiles: pd.DataFrame | None = None
    new_profiles: list[dict] = field(default_factory=list)
    identifiers: list = field(default_factory=list)

    @property
    def qdir(self) -> Path:
        return quality_dir(self.data)

    def baseline(self, asset: str, marker: str) -> dict[str, float] | None:
        if self.profiles is None:
            self.profiles = _load_profiles(self.qdir)
        return _baseline(self.profiles, asset, marker)

    def record(self, asset: str, marker: str, profile: dict[str, float]) -> None:
        for metric, value in profile.items():
            self.new_profiles.append(
                {
                    "asset": asset,
                    "marker": marker,
                    "run_id": self.run_id,
                    "profiled_at": self.run_at,
                    "metric": metric,
                    "value": value,
                }
            )

    def validate(self, suite: Suite, df: pd.DataFrame, params: dict[str, Any]):
        result, ident = _project(self.qdir).validate(
            suite, df, params, self.run_id, self.run_at, docs=self.docs
        )
        self.identifiers.append(ident)
        return result


def _landing(run: _Run, system: str, entity: str) -> list[CheckResult]:
    specs = {(s.system, s.name): s for s in _entity_specs()}
    if (system, entity) not in specs:
        known = ", ".join(f"{s}/{e}" for s, e in sorted(specs))
        raise QualityError(f"no landed entity {system}/{entity}; known: {known}")
    suite = landing_suite(specs[(system, entity)])
    folder = run.data / "landing" / system / entity
    files = _landing_files(folder)
    if not files:
        how = "run `zhongtai import bank`" if system == "bank" else "run `zhongtai extract`"
        return [
            _failed(
                suite,
                "landing_present",
                suite.asset,
                "no Parquet files" if folder.is_dir() else "folder missing",
                f"{folder} holds the landed {system} {entity} records",
                f"{folder} {'has no Parquet files' if folder.is_dir() else 'does not exist'}. "
                f"What to do: {how} (or set ZHONGTAI_DATA_DIR to the folder that holds "
                "landing/); the warehouse cannot be built without it.",
            )
        ]
    try:
        schema = _landing_schema(files)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError) as exc:
        return [
            _failed(
                suite,
                "schema",
                suite.asset,
                "unreadable or conflicting files",
                "the landed files share one schema",
                f"{str(exc).splitlines()[0][:300]}. What to do: {suite.hint}.",
            )
        ]
    df = _read_landing(files, schema, suite.columns)
    pa.default_memory_pool().release_unused()  # the decoded Parquet pages
    df = _placeholders(df, schema.names)
    marker = _landing_marker(files)
    profile = _profile(df, suite.money, landing=True)
    params, observed = _drift_parameters(suite, profile, run.baseline(suite.asset, marker), True)
    result = run.validate(suite, df, params)
    run.record(suite.asset, marker, profile)
    return _to_results(suite, result, observed, columns=set(df.columns))


@dataclass
class _Unavailable:
    """Why the warehouse cannot be read: reported as a failed blocking check."""

    check: str
    observed: str
    message: str


@contextlib.contextmanager
def _warehouse(data: Path) -> Iterator[Any]:
    """A read-only connection on <data>/warehouse.duckdb, or an ``_Unavailable``."""
    import duckdb

    path = data / "warehouse.duckdb"
    if not path.exists():
        yield _Unavailable(
            "warehouse_present", "no warehouse", f"no warehouse at {path}: run `zhongtai build`"
        )
        return
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        yield _Unavailable(
            "warehouse_readable",
            "locked or unreadable",
            f"cannot open {path} read-only ({str(exc).splitlines()[0][:200]}); a build is "
            "probably writing it: run the checks when it has finished",
        )
        return
    try:
        yield con
    finally:
        con.close()


def _mart(run: _Run, con, mart: str) -> list[CheckResult]:
    suite = MART_SUITES[mart]
    if isinstance(con, _Unavailable):
        return [
            _failed(
                suite,
                con.check,
                suite.asset,
                con.observed,
                "the warehouse exists and opens read-only",
                f"What to do: {con.message}.",
            )
        ]
    present = [
        r[0]
        for r in con.execute(
            "select column_name from duckdb_columns() where schema_name = 'marts' "
            "and table_name = ? order by column_index",
            [mart],
        ).fetchall()
    ]
    if not present:
        return [
            _failed(
                suite,
                "table_present",
                suite.asset,
                "table missing",
                f"marts.{mart} exists in the warehouse",
                "What to do: run `zhongtai build` (a failed model leaves its table out; "
                "dbt's log is in <data>/dbt/logs/dbt.log).",
            )
        ]
    cols = [c for c in suite.columns if c in present]
    df = con.execute(f"select {', '.join(_q(c) for c in cols)} from marts.{_q(mart)}").df()
    df = _placeholders(df, present)
    st = (run.data / "warehouse.duckdb").stat()
    marker = f"{st.st_mtime_ns}:{st.st_size}"
    profile = _profile(df, suite.money, landing=False)
    params, observed = _drift_parameters(suite, profile, run.baseline(suite.asset, marker), False)
    result = run.validate(suite, df, params)
    run.record(suite.asset, marker, profile)
    return _to_results(suite, result, observed, columns=set(df.columns))


def _landing_input(data: Path, system: str, entity: str):
    files = _landing_files(data / "landing" / system / entity)
    if not files:
        how = "`zhongtai import bank`" if system == "bank" else "`zhongtai extract`"
        raise _MissingInput(f"{data / 'landing' / system / entity} has no landed data: run {how}")
    return files, _landing_schema(files)


class _MissingInput(Exception):
    pass


def _scalar(con, sql: str):
    return con.execute(sql).fetchall()[0][0]


def _cross_values(data: Path, con, check: str) -> tuple[str, Any, str, Any]:
    """(left label, left value, right label, right value) of one cross-system check."""
    if check.startswith("erp_invoice_lines_vs_fct_invoices:"):
        kind = check.split(":")[1]
        form, key = {
            "special": ("IV_SALESIC", "FSALESICENTRY_FEntryId"),
            "ordinary": ("IV_SALESOC", "FSALESOCENTRY_FEntryId"),
        }[kind]
        files, schema = _landing_input(data, "erp", form)
        live = _latest_live(files, schema, [key], ["FALLAMOUNTFOR"])
        mart = _scalar(
            con,
            "select coalesce(sum(amount_incl_tax), 0) from marts.fct_invoices "
            f"where invoice_kind = '{kind}'",
        )
        return f"landing erp/{form}", _dsum(live["FALLAMOUNTFOR"]), "marts.fct_invoices", mart
    if check.startswith("bank_statements_vs_fct_bank_receipts:"):
        files, schema = _landing_input(data, "bank", "statements")
        live = _latest_live(files, schema, ["account_no", "serial_no"], ["amount"])
        if check.endswith(":count"):
            return (
                "landing bank/statements",
                len(live),
                "marts.fct_bank_receipts",
                _scalar(con, "select count(*) from marts.fct_bank_receipts"),
            )
        return (
            "landing bank/statements",
            _dsum(live["amount"]),
            "marts.fct_bank_receipts",
            _scalar(con, "select coalesce(sum(amount), 0) from marts.fct_bank_receipts"),
        )
    if check.startswith("crm_deals_vs_fct_opportunities:"):
        files, schema = _landing_input(data, "crm", "Deals")
        live = _latest_live(files, schema, ["id"], ["Amount"])
        if check.endswith(":count"):
            return (
                "landing crm/Deals",
                len(live),
                "marts.fct_opportunities",
                _scalar(con, "select count(*) from marts.fct_opportunities"),
            )
        return (
            "landing crm/Deals",
            _dsum(live["Amount"]),
            "marts.fct_opportunities",
            _scalar(con, "select coalesce(sum(amount), 0) from marts.fct_opportunities"),
        )
    if check == "oa_employees_vs_dim_employees:count":
        files, schema = _landing_input(data, "oa", "HrmResource")
        live = _latest_live(files, schema, ["id"], ["workcode"])
        return (
            "landing oa/HrmResource",
            int(live["workcode"].dropna().nunique()),
            "marts.dim_employees",
            _scalar(con, "select count(distinct employee_code) from marts.dim_employees"),
        )
    kpi = (
        "select coalesce(sum({}), 0) from marts.rpt_leadership_kpis "
        "where is_company_total and period_type = 'year'"
    )
    if check == "kpi_signed_vs_fct_contracts":
        return (
            "marts.rpt_leadership_kpis",
            _scalar(con, kpi.format("signed_amount")),
            "marts.fct_contracts",
            _scalar(
                con,
                "select coalesce(sum(amount), 0) from marts.fct_contracts "
                "where signed_date is not null and signed_date <= as_of_date "
                "and not coalesce(is_prepayment, false)",
            ),
        )
    if check == "kpi_invoiced_vs_fct_invoices":
        return (
            "marts.rpt_leadership_kpis",
            _scalar(con, kpi.format("invoiced_amount")),
            "marts.fct_invoices",
            _scalar(
                con,
                "select coalesce(sum(amount_incl_tax), 0) from marts.fct_invoices "
                "where is_effective",
            ),
        )
    raise ValueError(f"unknown cross-system check {check!r}")


def _fmt_value(v: Any) -> str:
    if isinstance(v, int):
        return f"{v:,}"
    return f"{decimal.Decimal(v):,.2f}"


def _cross(run: _Run, con) -> list[CheckResult]:
    import duckdb

    suite = CROSS_SUITE
    asset_of = {check: asset for check, asset, _, _ in CROSS_CHECKS}
    rules = {r.check: r for r in suite.rules}
    failed: list[CheckResult] = []
    rows: list[dict] = []
    observed: dict[str, str] = {}
    for check, asset, _, _ in CROSS_CHECKS:
        rule = rules[check]
        try:
            if isinstance(con, _Unavailable):
                raise _MissingInput(con.message)
            left_label, left, right_label, right = _cross_values(run.data, con, check)
        except (
            _MissingInput,
            duckdb.CatalogException,
            duckdb.BinderException,
            pa.ArrowInvalid,
        ) as exc:
            message = str(exc).splitlines()[0][:300]
            failed.append(
                _failed(
                    suite, check, asset, "not computed", rule.expectation, f"What to do: {message}."
                )
            )
            continue
        counts = isinstance(left, int) and isinstance(right, int)
        diff = left - right if counts else decimal.Decimal(left) - decimal.Decimal(right)
        rows.append(
            {
                "check": check,
                "asset": asset,
                "left": left_label,
                "left_value": float(left),
                "right": right_label,
                "right_value": float(right),
                "difference": float(diff),
            }
        )
        observed[check] = (
            f"{left_label} {_fmt_value(left)} vs {right_label} {_fmt_value(right)} "
            f"(difference {_fmt_value(diff)})"
        )
    results: list[CheckResult] = []
    if rows:
        frame = pd.DataFrame(rows)
        result = run.validate(suite, frame, {})
        results = [
            r
            for r in _to_results(suite, result, observed, lambda rule: asset_of[rule.check])
            if r.check_name in observed  # checks without a row were reported as not computed
        ]
    order = {c: i for i, (c, _, _, _) in enumerate(CROSS_CHECKS)}
    return sorted([*results, *failed], key=lambda r: order[r.check_name])


# ---------------------------------------------------------------------------------------------
# entry points


def _data(data: Path | None) -> Path:
    return (data or settings.data_dir()).resolve()


def _finish_single(run: _Run) -> None:
    _save_profiles(run.qdir, run.new_profiles)


def check_landing(
    data: Path | None, system: str, entity: str, *, run_id: str | None = None, docs: bool = True
) -> list[CheckResult]:
    """The landing suite of one entity (through its Checkpoint: Data Docs are updated)."""
    now = dt.datetime.now(dt.UTC)
    run = _Run(_data(data), run_id or new_run_id(now), now, docs=docs)
    out = _landing(run, system, entity)
    _finish_single(run)
    return out


def check_mart(
    data: Path | None, mart: str, *, run_id: str | None = None, docs: bool = True
) -> list[CheckResult]:
    """The suite of one key mart, read read-only from the warehouse."""
    if mart not in MART_SUITES:
        raise QualityError(f"no quality suite for mart {mart!r}; suites: {', '.join(KEY_MARTS)}")
    now = dt.datetime.now(dt.UTC)
    run = _Run(_data(data), run_id or new_run_id(now), now, docs=docs)
    with _warehouse(run.data) as con:
        out = _mart(run, con, mart)
    _finish_single(run)
    return out


def check_cross_system(
    data: Path | None, *, run_id: str | None = None, docs: bool = True
) -> list[CheckResult]:
    """Cross-system totals (landing vs marts, marts vs marts)."""
    now = dt.datetime.now(dt.UTC)
    run = _Run(_data(data), run_id or new_run_id(now), now, docs=docs)
    with _warehouse(run.data) as con:
        return _cross(run, con)


def asset_names() -> list[str]:
    """Every checkable asset, as ``run_checks(assets=…)`` takes them."""
    return [
        *(f"landing/{s}/{e}" for s, e in landing_entities()),
        *(f"marts/{m}" for m in KEY_MARTS),
        CROSS_SYSTEM,
    ]


def run_checks(
    data: Path | None = None,
    *,
    assets: list[str] | None = None,
    docs: bool = True,
    progress: ProgressFn | None = None,
    run_id: str | None = None,
) -> QualityReport:
    """Every suite (or those of ``assets``, names as in ``asset_names()``) in one run; Data
    Docs rendered once at the end (``docs``). Results are returned, not saved: see
    ``save_results``. Drift profiles are saved. ``run_id``: e.g. the Dagster run's."""
    data = _data(data)
    known = asset_names()
    wanted = known if assets is None else list(assets)
    unknown = [a for a in wanted if a not in known]
    if unknown:
        raise QualityError(
            f"unknown asset {', '.join(unknown)}; checkable: landing/<system>/<entity>, "
            f"marts/<{'|'.join(KEY_MARTS)}>, {CROSS_SYSTEM}"
        )
    now = dt.datetime.now(dt.UTC)
    run = _Run(data, run_id or new_run_id(now), now, docs=False)
    report = QualityReport(run.run_id, now)
    total = len(wanted) + (1 if docs else 0)
    done = 0

    def step(_what: str) -> None:
        nonlocal done
        done += 1
        if progress:
            progress(PROGRESS_LABEL, done, total)

    if progress:
        progress(PROGRESS_LABEL, 0, total)
    for name in [a for a in wanted if a.startswith("landing/")]:
        _, system, entity = name.split("/")
        with reading(data / "landing"):  # a compaction moves no file while it is read
            report.results += _landing(run, system, entity)
        step(name)
    warehouse_assets = [a for a in wanted if a.startswith("marts/") or a == CROSS_SYSTEM]
    if warehouse_assets:
        with _warehouse(data) as con, reading(data / "landing"):
            for name in warehouse_assets:
                if name == CROSS_SYSTEM:
                    report.results += _cross(run, con)
                else:
                    report.results += _mart(run, con, name.split("/", 1)[1])
                step(name)
    _save_profiles(run.qdir, run.new_profiles)
    suites = sorted({i.expectation_suite_identifier.name for i in run.identifiers})
    if docs and run.identifiers:
        report.docs_index = _project(run.qdir).build_docs(run.identifiers)
        step("data docs")
    else:
        if run.identifiers:
            project = _project(run.qdir)
            with _locked(run.qdir):
                project.prune(suites)
        if docs_index_path(data).exists():
            report.docs_index = docs_index_path(data)
    return report


# ---------------------------------------------------------------------------------------------
# dbt test results


def dbt_results(run_results_json: Path) -> list[CheckResult]:
    """dbt's data tests of a build (``<data>/dbt/target/run_results.json``; the manifest next to
    it gives each test's severity and model). error-severity tests are blocking, warn-severity
    ones warn; the number of failing rows is the observed value."""
    run_results_json = Path(run_results_json)
    if not run_results_json.exists():
        raise QualityError(
            f"no dbt results at {run_results_json}: run `zhongtai build` (it runs every dbt test)."
        )
    results = json.loads(run_results_json.read_text(encoding="utf-8")).get("results", [])
    manifest_path = run_results_json.with_name("manifest.json")
    nodes = {}
    if manifest_path.exists():
        nodes = json.loads(manifest_path.read_text(encoding="utf-8")).get("nodes", {})
    out: list[CheckResult] = []
    for r in results:
        uid = r.get("unique_id", "")
        if not uid.startswith("test."):
            continue  # models, seeds and unit tests (code, not data) are not data checks
        node = nodes.get(uid, {})
        config = node.get("config") or {}
        status = str(r.get("status"))
        severity = str(config.get("severity") or ("warn" if status == "warn" else "error"))
        severity = WARN if severity.lower() == "warn" else BLOCKING
        failures = r.get("failures")
        if status == "skipped":
            observed = "not run (skipped: an upstream model failed)"
        elif failures is not None:
            observed = f"{failures:,} failing rows"
        else:
            observed = status
        parent = node.get("attached_node") or next(
            (n for n in (node.get("depends_on") or {}).get("nodes", []) if n.startswith("model.")),
            None,
        )
        parent_node = nodes.get(parent or "", {})
        asset = f"{parent_node.get('schema') or 'dbt'}/{parent.split('.')[-1]}" if parent else "dbt"
        meta = node.get("test_metadata") or {}
        column = node.get("column_name")
        what = meta.get("name") or "singular test"
        expectation = f"dbt {what}" + (f" on {column}" if column else "") + " returns no rows"
        if what == "not_null_columns":  # one test for all plain not-null columns of a model
            cols = list((meta.get("kwargs") or {}).get("columns") or [])
            expectation = "dbt not_null_columns: no NULLs in " + ", ".join(map(str, cols))
            if failures is not None and status != "skipped":
                observed = f"{failures:,} of {len(cols)} columns have NULLs"
        passed = status == "pass"
        details = None
        if not passed:
            details = (r.get("message") or "").strip() or None
            details = (details + ". " if details else "") + (
                f"What to do: `zhongtai build --select {node.get('name') or uid.split('.')[2]}` "
                "reruns it; the failing rows' SQL is in <data>/dbt/target/compiled/."
            )
        out.append(
            CheckResult(
                check_name=node.get("name") or uid.split(".")[2],
                asset=asset,
                suite="dbt",
                source="dbt",
                severity=severity,
                passed=passed,
                observed_value=observed,
                expectation=expectation,
                details=details,
            )
        )
    return out
