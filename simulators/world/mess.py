"""Malformed records planted on purpose, the way real source data arrives.

A record is malformed or not by a hash of the seed-independent record key, so the same
records stay malformed as the world advances. Every planted defect is listed in
``_truth/malformed_records.json`` (system, entity, key, field, value, kind).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow as pa

from simulators.world.table import Entity

# (system, entity, field, kind, value, rate per 10,000 records)
DEFECTS: list[tuple[str, str, str, str, object, int]] = [
    ("crm", "Deals", "Closing_Date", "bad_date", "2025-02-30", 15),
    ("crm", "Deals", "Amount", "negative_amount", None, 10),
    ("crm", "Deals", "Stage", "unknown_stage_code", "Qualification", 10),
    ("crm", "Deals", "Account_Name.id", "dangling_reference", "4150029999999999999", 8),
    ("crm", "Events", "Start_DateTime", "bad_date", "0000-00-00 00:00:00", 10),
    ("crm", "Accounts", "Tax_Number", "tax_id_mismatch", None, 40),
    ("erp", "BD_Customer", "FName", "name_mismatch", None, 40),
    ("erp", "SAL_SaleOrder", "FCustId.FNumber", "dangling_reference", "CUST999999", 8),
    ("erp", "SAL_SaleOrder", "FQty", "negative_amount", None, 8),
    ("erp", "IV_SALESOC", "FDate", "bad_date", "2024-13-01T00:00:00", 8),
    ("oa", "formtable_main_1101", "htje", "negative_amount", None, 10),
    ("expense", "expenseReport", "lastModifiedDate", "bad_date", "not-a-date", 10),
]


def _hit(key: str, field: str, rate: int) -> bool:
    h = hashlib.blake2b(f"{key}|{field}".encode(), digest_size=8).digest()
    return int.from_bytes(h, "big") % 10000 < rate


def apply_mess(root: Path, ent: Entity, live: pa.Table) -> pa.Table:
    """Overwrite the planted fields of ``live`` and record them in the truth folder."""
    todo = [d for d in DEFECTS if (d[0], d[1]) == (ent.system, ent.name)]
    planted = []
    if todo and live.num_rows:
        keys = live["_key"].to_pylist()
        for _s, _e, field, kind, value, rate in todo:
            col = live[field].to_pylist()
            changed = False
            for i, k in enumerate(keys):
                if not _hit(k, field, rate) or col[i] is None:
                    continue
                old = col[i]
                if kind == "negative_amount":
                    new = -abs(old)
                elif kind == "name_mismatch":
                    new = old.replace("课题组", "实验室") if "课题组" in old else old + "(旧名)"
                elif kind == "tax_id_mismatch":
                    new = old[:-2] + ("00" if old[-2:] != "00" else "11")
                else:
                    new = value
                col[i] = new
                changed = True
                planted.append(
                    {
                        "system": ent.system,
                        "entity": ent.name,
                        "key": k,
                        "field": field,
                        "kind": kind,
                        "value": new,
                        "original": old,
                    }
                )
            if changed:
                idx = live.column_names.index(field)
                live = live.set_column(idx, field, pa.array(col, live.schema.field(field).type))
    out = root / "_truth" / "malformed" / f"{ent.system}__{ent.name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(planted, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8"
    )
    return live
