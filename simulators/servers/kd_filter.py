"""Kingdee ``FilterString`` / ``OrderString``: parse the SQL-WHERE fragment a client sends and
compile it into a vectorised pyarrow mask over an entity table.

K/3 Cloud pastes the FilterString into the WHERE clause of the SQL it runs on SQL Server (with
the ``Chinese_PRC_CI_AS`` collation Kingdee requires), so the simulator follows SQL Server:

* ``=  <> !=  >  >=  <  <=``, ``[NOT] LIKE`` (``%`` and ``_``), ``[NOT] IN (...)``,
  ``IS [NOT] NULL``, ``[NOT] BETWEEN a AND b``, ``NOT``, ``AND`` before ``OR``, parentheses;
* string literals ``'...'`` (``''`` escapes a quote, optional ``N`` prefix) and numbers;
* three-valued logic: a comparison with NULL is unknown and the row is not returned;
* text comparisons ignore case (CI collation): ``FDocumentStatus = 'c'`` matches ``C``;
* date fields compare as datetimes: a literal such as ``'2025-06-01'`` or
  ``'2025-06-01 08:00:00'`` is converted to a datetime; a literal that is not a date fails
  with SQL Server's conversion error.

Field keys are resolved by the caller (case-insensitively); an unknown key raises
``UnknownField``, which the server turns into Kingdee's "元数据中标识为X的字段不存在" error.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

_EPOCH = dt.datetime(1970, 1, 1)


class FilterError(Exception):
    """The FilterString (or OrderString) is not valid; the message is what the server says."""


class UnknownField(FilterError):
    def __init__(self, key: str):
        super().__init__(f"元数据中标识为{key}的字段不存在")
        self.key = key


# -- tokens ---------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<str>[Nn]?'(?:[^']|'')*')
  | (?P<num>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)
  | (?P<ident>[A-Za-z_\u4e00-\u9fff][\w.\u4e00-\u9fff]*)
  | (?P<bracket>\[[^\]]+\])
  | (?P<op><=|>=|<>|!=|=|<|>|\(|\)|,|-)
  | (?P<dq>"[^"]*")
    """,
    re.VERBOSE,
)
_KEYWORDS = {"AND", "OR", "NOT", "LIKE", "IN", "IS", "NULL", "BETWEEN"}


@dataclass(frozen=True)
class Tok:
    kind: str  # str, num, ident, kw, op
    value: object
    pos: int


def tokenize(text: str) -> list[Tok]:
    out: list[Tok] = []
    i = 0
    while i < len(text):
        m = _TOKEN.match(text, i)
        if not m:
            raise FilterError(f"'{text[i : i + 10]}' 附近有语法错误。")
        kind = m.lastgroup
        raw = m.group()
        if kind == "str":
            body = raw[1:] if raw[0] in "Nn" else raw
            out.append(Tok("str", body[1:-1].replace("''", "'"), i))
        elif kind == "num":
            out.append(Tok("num", float(raw) if any(c in raw for c in ".eE") else int(raw), i))
        elif kind == "ident":
            up = raw.upper()
            out.append(Tok("kw", up, i) if up in _KEYWORDS else Tok("ident", raw, i))
        elif kind in ("bracket", "dq"):  # [x], and "x" (QUOTED_IDENTIFIER ON) name a column
            out.append(Tok("ident", raw[1:-1], i))
        elif kind == "op":
            out.append(Tok("op", raw, i))
        i = m.end()
    return out


# -- syntax tree ----------------------------------------------------------------------------
# operands:   ("field", key) | ("lit", value)
# predicates: ("cmp", op, a, b) | ("like", a, pattern, negated) | ("in", a, [values], negated)
#             ("null", a, negated) | ("between", a, lo, hi, negated)
# logic:      ("and", x, y) | ("or", x, y) | ("not", x)


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.toks = tokenize(text)
        self.i = 0

    def peek(self, k: int = 0) -> Tok | None:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else None

    def is_(self, kind: str, value=None, k: int = 0) -> bool:
        t = self.peek(k)
        return t is not None and t.kind == kind and (value is None or t.value == value)

    def take(self) -> Tok:
        t = self.peek()
        if t is None:
            raise FilterError("过滤条件不完整：在预期条件的上下文中指定了非布尔类型的表达式。")
        self.i += 1
        return t

    def expect(self, kind: str, value=None) -> Tok:
        if not self.is_(kind, value):
            t = self.peek()
            near = self.text[t.pos : t.pos + 10] if t else self.text[-10:]
            raise FilterError(f"'{near}' 附近有语法错误。")
        return self.take()

    def parse(self):
        node = self.or_()
        if self.peek() is not None:
            t = self.peek()
            raise FilterError(f"'{self.text[t.pos : t.pos + 10]}' 附近有语法错误。")
        return node

    def or_(self):
        node = self.and_()
        while self.is_("kw", "OR"):
            self.take()
            node = ("or", node, self.and_())
        return node

    def and_(self):
        node = self.not_()
        while self.is_("kw", "AND"):
            self.take()
            node = ("and", node, self.not_())
        return node

    def not_(self):
        if self.is_("kw", "NOT"):
            self.take()
            return ("not", self.not_())
        if self.is_("op", "("):
            # a parenthesised condition (operands themselves are never parenthesised here)
            self.take()
            node = self.or_()
            self.expect("op", ")")
            return node
        return self.predicate()

    def operand(self):
        t = self.take()
        if t.kind == "ident":
            return ("field", t.value)
        if t.kind in ("str", "num"):
            return ("lit", t.value)
        if t.kind == "kw" and t.value == "NULL":
            return ("lit", None)
        if t.kind == "op" and t.value == "-":
            n = self.expect("num")
            return ("lit", -n.value)
        raise FilterError(f"'{self.text[t.pos : t.pos + 10]}' 附近有语法错误。")

    def literal(self):
        node = self.operand()
        if node[0] != "lit":
            raise FilterError("IN 列表只能包含常量。")
        return node[1]

    def predicate(self):
        a = self.operand()
        t = self.peek()
        if t is None:
            raise FilterError("在应使用条件的位置附近指定了非布尔类型的表达式。")
        if t.kind == "op" and t.value in ("=", "<>", "!=", ">", ">=", "<", "<="):
            self.take()
            op = "<>" if t.value == "!=" else t.value
            return ("cmp", op, a, self.operand())
        if t.kind == "kw" and t.value == "IS":
            self.take()
            neg = False
            if self.is_("kw", "NOT"):
                self.take()
                neg = True
            self.expect("kw", "NULL")
            return ("null", a, neg)
        neg = False
        if t.kind == "kw" and t.value == "NOT":
            self.take()
            neg = True
            t = self.peek()
        if t is not None and t.kind == "kw" and t.value == "LIKE":
            self.take()
            pat = self.operand()
            if pat[0] != "lit" or not isinstance(pat[1], str):
                raise FilterError("LIKE 的模式必须是字符串常量。")
            return ("like", a, pat[1], neg)
        if t is not None and t.kind == "kw" and t.value == "IN":
            self.take()
            self.expect("op", "(")
            values = [self.literal()]
            while self.is_("op", ","):
                self.take()
                values.append(self.literal())
            self.expect("op", ")")
            return ("in", a, values, neg)
        if t is not None and t.kind == "kw" and t.value == "BETWEEN":
            self.take()
            lo = self.operand()
            self.expect("kw", "AND")
            hi = self.operand()
            return ("between", a, lo, hi, neg)
        near = self.text[t.pos : t.pos + 10] if t else ""
        raise FilterError(f"'{near}' 附近有语法错误。")


def parse_filter(text: str | None):
    """Syntax tree of a FilterString, or None when there is no condition."""
    if text is None or not str(text).strip():
        return None
    return _Parser(str(text)).parse()


def parse_filter_array(items: list) -> object:
    """The newer array form of FilterString: ``[{"Left": "(", "FieldName": "FDate",
    "Compare": ">=", "Value": "2025-01-01", "Right": ")", "Logic": 0}, ...]``. Rebuilt as
    text and parsed like a string. ``Compare`` must be an operator (``=``, ``>=``, ``like``,
    ``in``, ...); ``Logic`` 0/"AND" joins with AND, 1/"OR" with OR."""
    if not items:
        return None
    parts: list[str] = []
    for n, it in enumerate(items):
        if not isinstance(it, dict):
            raise FilterError("过滤条件数组的元素必须是对象。")
        d = {str(k).lower(): v for k, v in it.items()}
        field = str(d.get("fieldname") or "").strip()
        op = str(d.get("compare") or "=").strip()
        if not field or op.upper() not in {
            "=",
            "<>",
            "!=",
            ">",
            ">=",
            "<",
            "<=",
            "LIKE",
            "NOT LIKE",
            "IN",
            "NOT IN",
            "IS NULL",
            "IS NOT NULL",
        }:
            raise FilterError(f"不支持的过滤条件：{it}")
        value = d.get("value")
        if op.upper() in ("IS NULL", "IS NOT NULL"):
            cond = f"{field} {op}"
        elif op.upper() in ("IN", "NOT IN"):
            vals = value if isinstance(value, list) else str(value).split(",")
            cond = f"{field} {op} ({', '.join(_quote(v) for v in vals)})"
        else:
            cond = f"{field} {op} {_quote(value)}"
        if n:
            logic = str(items[n - 1].get("Logic", items[n - 1].get("logic", 0))).upper()
            parts.append("OR" if logic in ("1", "OR") else "AND")
        parts.append(f"{d.get('left') or ''}{cond}{d.get('right') or ''}")
    return parse_filter(" ".join(parts))


def _quote(v) -> str:
    if isinstance(v, bool):
        return str(int(v))
    if isinstance(v, int | float):
        return repr(v)
    return "'" + str(v).replace("'", "''") + "'"


# -- compilation ----------------------------------------------------------------------------


@dataclass
class Column:
    """One entity column as the filter sees it. ``kind`` is ``str``, ``num`` or ``time``;
    ``values`` holds local seconds for ``time`` columns; ``text`` is the served text (for LIKE
    on a date) and ``lower`` the lower-cased text (case-insensitive comparisons)."""

    kind: str
    values: pa.Array
    text: Callable[[], pa.Array]
    lower: Callable[[], pa.Array]


Resolver = Callable[[str], Column]


def parse_time_literal(s: str) -> float:
    """Local seconds of a SQL Server datetime literal (``2025-06-01``, ``2025-06-01 08:00``,
    ``2025-06-01T08:00:00.123``, ``2025/06/01``, ``20250601``)."""
    v = s.strip()
    m = re.fullmatch(
        r"(\d{4})[-/]?(\d{1,2})[-/]?(\d{1,2})"
        r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?",
        v,
    )
    if not m:
        raise FilterError("从字符串转换日期和/或时间时，转换失败。")
    y, mo, d, h, mi, sec, frac = m.groups()
    try:
        t = dt.datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(sec or 0))
    except ValueError as e:
        raise FilterError("从字符串转换日期和/或时间时，转换失败。") from e
    secs = (t - _EPOCH).days * 86400 + (t - _EPOCH).seconds
    return secs + (float("0." + frac) if frac else 0)


def _lit_for(kind: str, v):
    """A literal converted to the column's type, as SQL Server converts it."""
    if v is None:
        return None
    if kind == "time":
        if isinstance(v, str):
            return parse_time_literal(v)
        raise FilterError("从数据类型 numeric 转换为 datetime 时出现算术溢出错误。")
    if kind == "num":
        if isinstance(v, str):
            try:
                return float(v.strip())
            except ValueError as e:
                raise FilterError("从数据类型 varchar 转换为 numeric 时出错。") from e
        return v
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).lower()


_FLIP = {"=": "=", "<>": "<>", ">": "<", ">=": "<=", "<": ">", "<=": ">="}
_PC = {
    "=": pc.equal,
    "<>": pc.not_equal,
    ">": pc.greater,
    ">=": pc.greater_equal,
    "<": pc.less,
    "<=": pc.less_equal,
}

# A compiled condition is a boolean pa.Array (with NULLs for unknown) or a Python constant
# True / False / None when it does not depend on any column.
Mask = pa.Array | bool | None


def compile_filter(tree, resolve: Resolver, n: int) -> pa.Array | None:
    """Boolean mask (NULL → not selected) of the rows ``tree`` selects; None = every row."""
    if tree is None:
        return None
    m = _compile(tree, resolve)
    if isinstance(m, pa.Array | pa.ChunkedArray):
        return pc.fill_null(m, False)
    return pa.array([m is True] * n, pa.bool_()) if n else pa.array([], pa.bool_())


def _compile(node, resolve: Resolver) -> Mask:
    tag = node[0]
    if tag == "and":
        return _and(_compile(node[1], resolve), _compile(node[2], resolve))
    if tag == "or":
        return _or(_compile(node[1], resolve), _compile(node[2], resolve))
    if tag == "not":
        m = _compile(node[1], resolve)
        return pc.invert(m) if not isinstance(m, bool | None) else (None if m is None else not m)
    if tag == "cmp":
        return _cmp(node[1], node[2], node[3], resolve)
    if tag == "null":
        a = node[1]
        if a[0] == "lit":
            return (a[1] is None) != node[2]
        col = resolve(a[1])
        return pc.is_valid(col.values) if node[2] else pc.is_null(col.values)
    if tag == "like":
        return _like(node[1], node[2], node[3], resolve)
    if tag == "in":
        return _in(node[1], node[2], node[3], resolve)
    if tag == "between":
        a, lo, hi, neg = node[1:]
        m = _and(_cmp(">=", a, lo, resolve), _cmp("<=", a, hi, resolve))
        if neg:
            return (
                pc.invert(m) if not isinstance(m, bool | None) else (None if m is None else not m)
            )
        return m
    raise FilterError(f"无法识别的条件 {tag}")


def _and(x: Mask, y: Mask) -> Mask:
    if x is False or y is False:
        return False
    if x is True:
        return y
    if y is True:
        return x
    if x is None and y is None:
        return None
    if x is None:
        return pc.and_kleene(y, pa.scalar(None, pa.bool_()))
    if y is None:
        return pc.and_kleene(x, pa.scalar(None, pa.bool_()))
    return pc.and_kleene(x, y)


def _or(x: Mask, y: Mask) -> Mask:
    if x is True or y is True:
        return True
    if x is False:
        return y
    if y is False:
        return x
    if x is None and y is None:
        return None
    if x is None:
        return pc.or_kleene(y, pa.scalar(None, pa.bool_()))
    if y is None:
        return pc.or_kleene(x, pa.scalar(None, pa.bool_()))
    return pc.or_kleene(x, y)


def _side(col: Column) -> pa.Array:
    return col.lower() if col.kind == "str" else col.values


def _cmp(op: str, a, b, resolve: Resolver) -> Mask:
    if a[0] == "lit" and b[0] == "field":
        a, b, op = b, a, _FLIP[op]
    if a[0] == "lit":  # constant condition such as 1=1
        x, y = a[1], b[1]
        if x is None or y is None:
            return None
        if isinstance(x, str) != isinstance(y, str):
            x, y = (float(x), float(y)) if _numeric(x) and _numeric(y) else (str(x), str(y))
        if isinstance(x, str):
            x, y = x.lower(), y.lower()
        return {"=": x == y, "<>": x != y, ">": x > y, ">=": x >= y, "<": x < y, "<=": x <= y}[op]
    col = resolve(a[1])
    if b[0] == "field":
        other = resolve(b[1])
        if (col.kind == "time") != (other.kind == "time"):
            raise FilterError("操作数类型冲突: datetime 与 非日期类型不兼容")
        return _PC[op](_side(col), _side(other))
    value = _lit_for(col.kind, b[1])
    if value is None:
        return None  # x = NULL is unknown under ANSI_NULLS
    return _PC[op](_side(col), pa.scalar(value))


def _numeric(v) -> bool:
    try:
        float(v)
        return True
    except (TypeError, ValueError):
        return False


def like_to_arrow(pattern: str) -> str:
    """SQL Server LIKE pattern → pyarrow match_like pattern (which treats ``\\`` as escape)."""
    return pattern.replace("\\", "\\\\")


def _like(a, pattern: str, neg: bool, resolve: Resolver) -> Mask:
    if a[0] == "lit":
        rx = "^" + re.escape(pattern).replace("%", ".*").replace("_", ".") + "$"
        hit = a[1] is not None and re.match(rx, str(a[1]), re.I | re.S) is not None
        return None if a[1] is None else hit != neg
    col = resolve(a[1])
    if col.kind == "str":
        text = col.values
    elif col.kind == "time":
        text = col.text()
    else:
        text = pc.cast(col.values, pa.string())
    m = pc.match_like(text, like_to_arrow(pattern), ignore_case=True)
    return pc.invert(m) if neg else m


def _in(a, values: list, neg: bool, resolve: Resolver) -> Mask:
    if a[0] == "lit":
        return _or_all([_cmp("=", a, ("lit", v), resolve) for v in values], neg)
    col = resolve(a[1])
    vals = [_lit_for(col.kind, v) for v in values if v is not None]
    side = _side(col)
    if not vals:
        m = pa.array([False] * len(side), pa.bool_())
    else:
        if col.kind == "str":
            vs = pa.array(vals, pa.string())
        else:
            vs = pa.array([float(v) for v in vals], pa.float64())
            side = pc.cast(side, pa.float64())
        m = pc.is_in(side, value_set=vs)
    if neg:
        m = pc.invert(m)
    # x IN (...) is unknown when x is NULL (so is x NOT IN (...))
    return pc.if_else(pc.is_valid(col.values), m, pa.scalar(None, pa.bool_()))


def _or_all(ms: list[Mask], neg: bool) -> Mask:
    out: Mask = False
    for m in ms:
        out = _or(out, m)
    if neg:
        return (
            (None if out is None else not out) if isinstance(out, bool | None) else pc.invert(out)
        )
    return out


# -- OrderString ----------------------------------------------------------------------------


def parse_order(text: str | None) -> list[tuple[str, bool]]:
    """``"FDate DESC, FBillNo"`` → ``[("FDate", False), ("FBillNo", True)]`` (True = ASC)."""
    out: list[tuple[str, bool]] = []
    if text is None or not str(text).strip():
        return out
    for part in str(text).split(","):
        words = part.split()
        if not words:
            raise FilterError("排序字段不能为空。")
        if len(words) > 2 or (len(words) == 2 and words[1].upper() not in ("ASC", "DESC")):
            raise FilterError(f"'{part.strip()}' 附近有语法错误。")
        key = words[0].strip("[]")
        out.append((key, len(words) == 1 or words[1].upper() == "ASC"))
    return out
