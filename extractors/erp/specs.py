"""Landing shapes of the Kingdee K/3 Cloud forms: the FieldKeys asked for, and their types.

Field names are Kingdee's FieldKeys exactly as sent in ``ExecuteBillQuery`` (base-data lookups
keep their dot: ``FCustId.FNumber``; an entry's internal id is ``<EntryKey>_FEntryId``).
Documents come back one row per entry with the header repeated, so a document form's record
key is its entry id; base data and header-only bills are keyed by their own id.

Types: amounts, prices, quantities and rates DECIMAL(18,2); business dates (``FDate``,
``FDATE``, ``FENDDATE_H``, ``FDeliveryDate``) dates; audit times (``FCreateDate``,
``FModifyDate``, ``FApproveDate``: naive Asia/Shanghai on the wire) UTC timestamps. Status
codes are checked against Kingdee's documented values (source_protocols.md §2.5); a sales
order's quantity must not be negative.
"""

from __future__ import annotations

from extractors.records import EntitySpec

DOCUMENT_STATUS = frozenset("ZABCD")  # 暂存, 创建, 审核中, 已审核, 重新审核
AB_STATUS = frozenset("AB")  # FForbidStatus / FCancelStatus / FCloseStatus: A normal, B set

_AUDIT = (
    ("FDocumentStatus", "string"),
    ("FCreateDate", "timestamp"),
    ("FModifyDate", "timestamp"),
    ("FApproveDate", "timestamp"),
)


def _form(
    name: str,
    key: str,
    fields: tuple[tuple[str, str], ...],
    *,
    non_negative: frozenset = frozenset(),
) -> EntitySpec:
    names = {n for n, _t in fields}
    accepted = {"FDocumentStatus": DOCUMENT_STATUS}
    accepted |= {
        f: AB_STATUS for f in ("FForbidStatus", "FCancelStatus", "FCloseStatus") if f in names
    }
    return EntitySpec(
        "erp", name, key, (*fields, *_AUDIT), accepted=accepted, non_negative=non_negative
    )


_INVOICE = (
    ("FID", "int"),
    ("FBillNo", "string"),
    ("FDate", "date"),
    ("FCUSTOMERID.FNumber", "string"),
    ("FCUSTOMERID.FName", "string"),
    ("FIVNUMBER", "string"),
    ("FRedBlue", "string"),
    ("FSrcInvoiceNo", "string"),
    ("FSETTLEORGID.FName", "string"),
    ("F_ZT_ContractNo", "string"),
    ("F_ZT_OaApplyNo", "string"),
)
_INVOICE_ENTRY = (
    ("FMATERIALID.FNumber", "string"),
    ("FPRICEQTY", "decimal6"),
    ("FTAXRATE", "decimal6"),
    ("FAMOUNTFOR", "decimal"),
    ("FDETAILTAXAMOUNTFOR", "decimal"),
    ("FALLAMOUNTFOR", "decimal"),
    ("FSRCBILLNO", "string"),
)

SPECS = [
    _form(
        "BD_MATERIAL",
        "FMATERIALID",
        (
            ("FMATERIALID", "int"),
            ("FNumber", "string"),
            ("FName", "string"),
            ("FSpecification", "string"),
            ("FMaterialGroup.FName", "string"),
            ("FBaseUnitId.FName", "string"),
            ("FTaxRateId.FName", "string"),
            ("FForbidStatus", "string"),
            ("FUseOrgId.FName", "string"),
        ),
    ),
    _form(
        "BD_Customer",
        "FCUSTID",
        (
            ("FCUSTID", "int"),
            ("FNumber", "string"),
            ("FName", "string"),
            ("FShortName", "string"),
            ("FTaxRegisterCode", "string"),
            ("FCustTypeId.FName", "string"),
            ("FForbidStatus", "string"),
            ("FUseOrgId.FName", "string"),
            ("FCreateOrgId.FName", "string"),
        ),
    ),
    _form(
        "SAL_SaleOrder",
        "FSaleOrderEntry_FEntryId",
        (
            ("FID", "int"),
            ("FBillNo", "string"),
            ("FDate", "date"),
            ("FCloseStatus", "string"),
            ("FCancelStatus", "string"),
            ("FCustId.FNumber", "string"),
            ("FCustId.FName", "string"),
            ("FSalerId.FNumber", "string"),
            ("FSalerId.FName", "string"),
            ("FSaleDeptId.FName", "string"),
            ("FSaleOrgId.FName", "string"),
            ("F_ZT_ContractNo", "string"),
            ("F_ZT_CrmDealId", "string"),
            ("FSaleOrderEntry_FEntryId", "int"),
            ("FMaterialId.FNumber", "string"),
            ("FMaterialId.FName", "string"),
            ("FQty", "decimal6"),
            ("FPrice", "decimal6"),
            ("FTaxPrice", "decimal6"),
            ("FEntryTaxRate", "decimal6"),
            ("FAmount", "decimal"),
            ("FTaxAmount", "decimal"),
            ("FAllAmount", "decimal"),
            ("FDeliveryDate", "date"),
        ),
        non_negative=frozenset({"FQty"}),
    ),
    _form(
        "SAL_OUTSTOCK",
        "FEntity_FEntryId",
        (
            ("FID", "int"),
            ("FBillNo", "string"),
            ("FDate", "date"),
            ("FCustomerID.FNumber", "string"),
            ("FCustomerID.FName", "string"),
            ("FSalesManID.FNumber", "string"),
            ("FStockOrgId.FName", "string"),
            ("F_ZT_ContractNo", "string"),
            ("FEntity_FEntryId", "int"),
            ("FMaterialId.FNumber", "string"),
            ("FRealQty", "decimal6"),
            ("FTaxPrice", "decimal6"),
            ("FAllAmount", "decimal"),
            ("FSrcBillNo", "string"),
            ("FSoEntryId", "int"),
            ("FStockId.FName", "string"),
        ),
    ),
    _form(
        "IV_SALESIC",
        "FSALESICENTRY_FEntryId",
        (*_INVOICE, ("FSALESICENTRY_FEntryId", "int"), *_INVOICE_ENTRY),
    ),
    _form(
        "IV_SALESOC",
        "FSALESOCENTRY_FEntryId",
        (*_INVOICE, ("FSALESOCENTRY_FEntryId", "int"), *_INVOICE_ENTRY),
    ),
    _form(
        "AR_receivable",
        "FID",
        (
            ("FID", "int"),
            ("FBillNo", "string"),
            ("FDATE", "date"),
            ("FENDDATE_H", "date"),
            ("FCUSTOMERID.FNumber", "string"),
            ("FALLAMOUNTFOR", "decimal"),
            ("FPayConditon.FName", "string"),
            ("F_ZT_ContractNo", "string"),
            ("F_ZT_InvoiceNo", "string"),
            ("FSALEERID.FNumber", "string"),
            ("FCancelStatus", "string"),
        ),
    ),
    _form(
        "AR_RECEIVEBILL",
        "FID",
        (
            ("FID", "int"),
            ("FBillNo", "string"),
            ("FDate", "date"),
            ("FCONTACTUNIT.FNumber", "string"),
            ("FPAYUNIT.FName", "string"),
            ("FRECTOTALAMOUNTFOR", "decimal"),
            ("F_ZT_BankSerialNo", "string"),
            ("F_ZT_OaClaimNo", "string"),
            ("F_ZT_ContractNo", "string"),
            ("F_ZT_InvoiceNo", "string"),
            ("FSETTLEORGID.FName", "string"),
        ),
    ),
    _form(
        "STK_Inventory",
        "FID",
        (
            ("FID", "int"),
            ("FMaterialId.FNumber", "string"),
            ("FStockId.FName", "string"),
            ("FBaseQty", "decimal6"),
            ("FStockOrgId.FName", "string"),
        ),
    ),
]

ENTITIES: dict[str, EntitySpec] = {s.name: s for s in SPECS}
