"""Which header means which field: the column mapping of bank statement files.

The default (``default_mapping.toml`` beside this file) knows the usual Chinese bank export
headers. A custom mapping for another bank is a dict, or a TOML or JSON file, of the same
shape; every part is optional::

    replace = false            # true: use only the names given here for the fields given
    [columns]                  # field -> header names as the bank writes them
    serial_no = ["Ref No"]
    txn_date = ["Value Date"]
    amount = ["Credit"]
    [rows]
    footer = ["Totals"]        # a row starting with one of these ends the table
    [values]
    credit = ["CR"]            # flag values of the `direction` column
    debit = ["DR"]
    date_formats = ["%d/%m/%Y"]  # tried before the built-in date forms
    [file]
    account = ['Account\\s*:\\s*(\\d+)']  # regexes over the title rows, group 1 = value
    bank = ['Bank\\s*:\\s*(\\S+)']
    header_search_rows = 30
    min_header_columns = 3

Fields (the landed column names): ``txn_date``, ``txn_time`` (time only, or date and time),
``serial_no``, ``payer_name``, ``payer_account``, ``payer_bank``, ``amount`` (credit, money
in), ``debit_amount`` (money out), ``txn_amount`` (one signed column; with ``direction`` the
flag decides credit or debit, without it the sign does), ``direction``, ``balance``, ``memo``,
``account_no`` (our account per row; otherwise from the title rows or the file name).

Custom names are tried before the default ones; lists under ``rows``, ``values`` and
``file`` are added to the defaults, numbers replace them. With ``replace = true`` the custom
lists replace the default lists they name (fields not named keep their defaults).
"""

from __future__ import annotations

import functools
import json
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

FIELDS = (
    "txn_date",
    "txn_time",
    "serial_no",
    "payer_name",
    "payer_account",
    "payer_bank",
    "amount",
    "debit_amount",
    "txn_amount",
    "direction",
    "balance",
    "memo",
    "account_no",
)
_DEFAULT_FILE = Path(__file__).with_name("default_mapping.toml")
_UNIT_SUFFIX = re.compile(r"\((?:元|人民币|rmb|cny|¥)\)$")


class MappingError(ValueError):
    """A custom mapping that cannot be used; the message says what to fix."""


@functools.lru_cache(maxsize=8192)
def normalise_header(text: str) -> str:
    """Header text as compared: NFKC (full-width → half-width), no spaces, lower case, no
    trailing unit such as ``(元)``."""
    s = "".join(unicodedata.normalize("NFKC", str(text)).lower().split())
    return _UNIT_SUFFIX.sub("", s) if s.endswith(")") else s


@dataclass(frozen=True)
class Mapping:
    columns: dict[str, tuple[str, ...]]
    footer: tuple[str, ...]
    credit: frozenset[str]
    debit: frozenset[str]
    date_formats: tuple[str, ...]
    account_patterns: tuple[re.Pattern, ...]
    bank_patterns: tuple[re.Pattern, ...]
    header_search_rows: int
    min_header_columns: int

    def lookup(self) -> dict[str, str]:
        """Normalised header name → field (the first field naming it wins)."""
        out: dict[str, str] = {}
        for fld, names in self.columns.items():
            for n in names:
                out.setdefault(normalise_header(n), fld)
        return out


def _read(source: dict | str | Path) -> dict:
    if isinstance(source, dict):
        return source
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise MappingError(f"cannot read the mapping file {path}: {e}") from e
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text)
        return tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as e:
        raise MappingError(
            f"mapping file {path} is not valid {path.suffix[1:] or 'TOML'}: {e}"
        ) from e


def _strings(value, where: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise MappingError(f"{where} must be a string or a list of strings, got {value!r}")
    return list(value)


def load_mapping(custom: dict | str | Path | None = None) -> Mapping:
    """The default mapping, extended (or partly replaced) by ``custom``."""
    base = _read(_DEFAULT_FILE)
    extra = _read(custom) if custom is not None else {}
    unknown = set(extra) - {"replace", "columns", "rows", "values", "file"}
    if unknown:
        raise MappingError(
            f"unknown mapping section(s) {sorted(unknown)}; use columns, rows, "
            "values, file (and replace)"
        )
    replace = bool(extra.get("replace", False))
    cols_extra = extra.get("columns", {})
    bad = set(cols_extra) - set(FIELDS)
    if bad:
        raise MappingError(
            f"unknown field(s) {sorted(bad)} under [columns]; fields: {', '.join(FIELDS)}"
        )

    def merged(section: str, key: str) -> list[str]:
        default = _strings(base.get(section, {}).get(key, []), f"{section}.{key}")
        if key not in extra.get(section, {}):
            return default
        mine = _strings(extra[section][key], f"{section}.{key}")
        return mine if replace else mine + [d for d in default if d not in mine]

    # A header name a custom mapping gives to one field is taken from every other field.
    claimed = {
        normalise_header(n): f for f in cols_extra for n in _strings(cols_extra[f], f"columns.{f}")
    }
    columns = {
        f: tuple(n for n in merged("columns", f) if claimed.get(normalise_header(n), f) == f)
        for f in FIELDS
    }
    file_base, file_extra = base["file"], extra.get("file", {})

    def number(key: str) -> int:
        v = file_extra.get(key, file_base[key])
        if not isinstance(v, int) or v < 1:
            raise MappingError(f"file.{key} must be a positive integer, got {v!r}")
        return v

    def patterns(key: str) -> tuple[re.Pattern, ...]:
        out = []
        for p in merged("file", key):
            try:
                rx = re.compile(p, re.IGNORECASE)
            except re.error as e:
                raise MappingError(f"file.{key}: bad regular expression {p!r}: {e}") from e
            if rx.groups < 1:
                raise MappingError(f"file.{key}: {p!r} needs a group for the value")
            out.append(rx)
        return tuple(out)

    return Mapping(
        columns=columns,
        footer=tuple(normalise_header(s) for s in merged("rows", "footer")),
        credit=frozenset(normalise_header(s) for s in merged("values", "credit")),
        debit=frozenset(normalise_header(s) for s in merged("values", "debit")),
        date_formats=tuple(merged("values", "date_formats")),
        account_patterns=patterns("account"),
        bank_patterns=patterns("bank"),
        header_search_rows=number("header_search_rows"),
        min_header_columns=number("min_header_columns"),
    )
