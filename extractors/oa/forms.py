"""The Weaver form main tables we land: one entity per ``formtable_main_<n>``.

E9 keeps each workflow's form in its own table; ``getWorkflowRequest`` serves the main table
of one request as ``workflowMainTableInfo`` (``tableDBName`` and the fields with their string
values). A form entity lands one row per request: ``requestId`` and the fields listed here —
the form design of this deployment (a field the OA adds later is ignored until listed; a
field listed here but missing from a detail lands as NULL).

E9 bill forms live in ``formtable_main_<n>`` with ``formId`` = ``-n``, which the request list
already tells, so a form entity fetches details only for its own requests.

Types: amounts DECIMAL(18,2), dates DATE, counts BIGINT, rates DOUBLE; everything else text.
Contract amounts (``htje``) must not be negative.
"""

from __future__ import annotations

from extractors.records import EntitySpec

_AMOUNTS = {"htje", "bghje", "bgqje", "kpje", "rlje", "zzje", "xmje", "ys"}
_DATES = {"qdrq", "ksrq", "jsrq", "bgrq", "zzrq", "jcsj", "sdsj", "jfrq", "sqrq", "rlrq", "fbrq"}
_INTS = {"fkts", "jhsl"}
_FLOATS = {"sl"}
_NON_NEGATIVE = frozenset({"htje"})

# table number -> fields, in the form's order
FORM_FIELDS: dict[int, tuple[str, ...]] = {
    1101: (
        "htbh",
        "htmc",
        "htlx",
        "khid",
        "khmc",
        "sjid",
        "ywlx",
        "htje",
        "qdrq",
        "ksrq",
        "jsrq",
        "fkts",
        "xsry",
        "ssqy",
    ),  # 合同审批
    1102: ("htbh", "bgqje", "bghje", "bgyy", "bgrq"),  # 合同变更
    1103: ("htbh", "zzrq", "zzyy"),  # 合同终止
    1104: ("htbh", "jcsj", "kdgs", "kddh", "sdsj", "sfsd"),  # 合同寄送
    1111: ("xmbh", "htbh", "xmmc", "qdrq", "xmjl", "xmje"),  # 项目启动
    1112: ("xmbh", "htbh", "jfrq", "jfnr"),  # 项目交付
    1121: ("sqbh", "htbh", "ddbh", "khmc", "fplx", "sl", "kpje", "sqrq"),  # 开票申请
    1122: ("rlbh", "yhlsh", "fkrmc", "rlje", "htbh", "ddbh", "fphm", "rlrq"),  # 来款认领
    1123: ("zzbh", "yfhtbh", "zshtbh", "zzje", "zzrq"),  # 合同转账
    1131: ("jhbh", "xsry", "jhzq", "jhsl"),  # 拜访计划
    1132: ("hdbh", "hdmc", "crmid", "ys", "ksrq", "jsrq"),  # 市场活动
    1141: ("ggbt", "ggnr", "fbrq"),  # 公告发布
}


def _type(name: str) -> str:
    if name in _AMOUNTS:
        return "decimal"
    if name in _DATES:
        return "date"
    if name in _INTS:
        return "int"
    if name in _FLOATS:
        return "float"
    return "string"


def form_spec(table_no: int) -> EntitySpec:
    fields = FORM_FIELDS[table_no]
    return EntitySpec(
        "oa",
        f"formtable_main_{table_no}",
        "requestId",
        (("requestId", "string"), *((f, _type(f)) for f in fields)),
        non_negative=_NON_NEGATIVE & set(fields),
    )


FORM_SPECS: dict[str, EntitySpec] = {s.name: s for s in (form_spec(n) for n in FORM_FIELDS)}
FORM_ID = {f"formtable_main_{n}": str(-n) for n in FORM_FIELDS}  # entity -> list formId


def _number(v, kind: str):
    """E9 serves every value as a string; ints and floats are typed here (decimal and date
    strings are parsed by ``to_landing``). A value that is not a number is passed on as is,
    so ``to_landing`` quarantines it."""
    try:
        return int(v) if kind == "int" else float(v)
    except (TypeError, ValueError):
        try:
            f = float(v)
        except (TypeError, ValueError):
            return v
        return int(f) if kind == "int" and f.is_integer() else v


def form_row(spec: EntitySpec, detail: dict) -> dict | None:
    """The landing row of a ``getWorkflowRequest`` detail, or None when the request has no
    main-table record. Empty strings are NULL (E9 shows a NULL field as "")."""
    main = detail.get("workflowMainTableInfo") or {}
    records = main.get("requestRecords") or []
    if not records:
        return None
    wanted = dict(spec.fields)
    row: dict = {"requestId": str(detail.get("requestId") or "")}
    for f in records[0].get("workflowRequestTableFields") or []:
        name = f.get("fieldName")
        kind = wanted.get(name)
        if kind is None or name == "requestId":
            continue
        v = f.get("fieldValue")
        if v is None or v == "":
            row[name] = None
        elif kind in ("int", "float"):
            row[name] = _number(v, kind)
        else:
            row[name] = v
    return row
