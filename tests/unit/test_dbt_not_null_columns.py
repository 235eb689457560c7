"""The `not_null_columns` generic test (dbt_project/tests/generic/not_null_columns.sql) and the
convention it carries: a column's plain `not_null` lives in its model's one
`not_null_columns` test, not on the column (one dbt node per model instead of one per
column; see docs/decisions.md, "Build speed")."""

from __future__ import annotations

import re

import duckdb
import jinja2
import pytest
import yaml

from zhongtai.warehouse import PROJECT_DIR

GENERIC = PROJECT_DIR / "tests" / "generic" / "not_null_columns.sql"
PROPERTY_FILES = sorted([*PROJECT_DIR.glob("models/**/*.yml"), *PROJECT_DIR.glob("seeds/**/*.yml")])


def _nodes():
    for path in PROPERTY_FILES:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for kind in ("models", "seeds", "snapshots"):
            for node in doc.get(kind) or []:
                yield path, node
        for src in doc.get("sources") or []:
            for table in src.get("tables") or []:
                yield path, table


def _tests(mapping):
    return mapping.get("data_tests") or mapping.get("tests") or []


def test_plain_not_null_is_folded_into_not_null_columns():
    checked = 0
    for path, node in _nodes():
        where = f"{path.relative_to(PROJECT_DIR)}: {node['name']}"
        columns = [c["name"] for c in node.get("columns") or []]
        plain = [c["name"] for c in node.get("columns") or [] if "not_null" in _tests(c)]
        assert plain == [], (
            f"{where}: plain `not_null` on {plain}; list the columns in the model's "
            "not_null_columns test instead (a not_null with its own config stays)"
        )
        combined = [t["not_null_columns"] for t in _tests(node) if "not_null_columns" in t]
        assert len(combined) <= 1, f"{where}: one not_null_columns test per model"
        for test in combined:
            listed = test["arguments"]["columns"]
            assert test.get("name") == f"not_null_columns_{node['name']}", where
            unknown = [c for c in listed if c not in columns]
            assert unknown == [], f"{where}: not_null_columns lists undocumented {unknown}"
            assert listed == [c for c in columns if c in listed], f"{where}: not in column order"
            assert len(set(listed)) == len(listed), where
            checked += 1
    assert checked > 100


def _render(model: str, columns) -> str:
    """The test's SQL as dbt would compile it for DuckDB (adapter.quote = double quotes)."""
    text = GENERIC.read_text(encoding="utf-8")
    body = re.search(r"{% test not_null_columns\(model, columns\) %}(.*){% endtest %}", text, re.S)
    assert body, "the generic test's signature changed"

    class Adapter:
        @staticmethod
        def quote(name):
            return f'"{name}"'

    class Exceptions:
        @staticmethod
        def raise_compiler_error(msg):
            raise ValueError(msg)

    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    return env.from_string(body.group(1)).render(
        model=model, columns=columns, adapter=Adapter, exceptions=Exceptions
    )


def test_one_row_per_column_with_nulls():
    con = duckdb.connect()
    con.execute(
        "create table t as select * from (values (1, null, 'a', 1.5), (2, null, null, 2.5), "
        "(3, 'x', 'b', 3.5)) v(id, \"camelCase\", \"select\", amount)"
    )
    sql = _render("t", ["id", "camelCase", "select", "amount"])
    assert sql.count("from t") == 1  # one scan of the relation
    rows = con.execute(f"select * from ({sql}) order by column_name").fetchall()
    assert rows == [("camelCase", 2), ("select", 1)]
    # what dbt's test wrapper counts: failing rows = offending columns
    assert con.execute(f"select count(*) from ({_render('t', ['id', 'amount'])})").fetchone() == (
        0,
    )


def test_columns_must_be_a_list():
    with pytest.raises(ValueError, match="non-empty list"):
        _render("t", "id")
    with pytest.raises(ValueError, match="non-empty list"):
        _render("t", [])
