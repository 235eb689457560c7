"""The source-system entities the world holds, with their fields in each system's own shape.

Column names are the names the source uses on the wire. A dot marks a lookup or reference:
ZOHO's ``Owner.id`` / ``Owner.name`` are served as ``"Owner": {"id", "name"}``, and Kingdee's
``FCustId.FNumber`` is exactly the FieldKey a client asks for. Entity names are the names the
source calls them (ZOHO module API names, Kingdee FormIds, Weaver and Huilianyi object names).
See shared/reference/source_protocols.md for where each name comes from.
"""

from __future__ import annotations

from simulators.world.table import Entity

_ZOHO_AUDIT = [
    ("Created_Time", "ts_zoho"),
    ("Modified_Time", "ts_zoho"),
    ("Created_By.id", "str"),
    ("Created_By.name", "str"),
    ("Modified_By.id", "str"),
    ("Modified_By.name", "str"),
]
_OWNER = [("Owner.id", "str"), ("Owner.name", "str"), ("Owner.email", "str")]


def _crm(name: str, cols: list[tuple[str, str]], display: str) -> Entity:
    return Entity("crm", name, [("id", "str"), *cols, *_ZOHO_AUDIT], display=display)


CRM = [
    _crm(
        "users",
        [
            ("full_name", "str"),
            ("last_name", "str"),
            ("email", "str"),
            ("status", "str"),
            ("role.name", "str"),
            ("role.id", "str"),
            ("profile.name", "str"),
            ("Employee_Id", "str"),
            ("Region", "str"),
        ],
        "full_name",
    ),
    _crm(
        "Accounts",
        [
            ("Account_Name", "str"),
            *_OWNER,
            ("Account_Number", "str"),
            ("Account_Type", "str"),
            ("Industry", "str"),
            ("Customer_Grade", "str"),
            ("Tax_Number", "str"),
            ("ERP_Customer_Code", "str"),
            ("Billing_State", "str"),
            ("Billing_City", "str"),
            ("Phone", "str"),
        ],
        "Account_Name",
    ),
    _crm(
        "Contacts",
        [
            ("Last_Name", "str"),
            ("Full_Name", "str"),
            *_OWNER,
            ("Account_Name.id", "str"),
            ("Account_Name.name", "str"),
            ("Email", "str"),
            ("Mobile", "str"),
            ("Title", "str"),
            ("Department", "str"),
        ],
        "Full_Name",
    ),
    _crm(
        "Campaigns",
        [
            ("Campaign_Name", "str"),
            *_OWNER,
            ("Type", "str"),
            ("Status", "str"),
            ("Start_Date", "date"),
            ("End_Date", "date"),
            ("Budgeted_Cost", "float"),
            ("Actual_Cost", "float"),
            ("Expected_Revenue", "float"),
            ("OA_Request_Id", "str"),
            ("OA_Approval_Status", "str"),
        ],
        "Campaign_Name",
    ),
    _crm(
        "Leads",
        [
            ("Last_Name", "str"),
            ("Company", "str"),
            *_OWNER,
            ("Lead_Source", "str"),
            ("Lead_Status", "str"),
            ("Campaign_Source.id", "str"),
            ("Campaign_Source.name", "str"),
            ("Email", "str"),
            ("Mobile", "str"),
            ("State", "str"),
            ("Business_Type", "str"),
            ("Converted__s", "bool"),
            ("Converted_Date_Time", "ts_zoho"),
            ("Converted_Deal.id", "str"),
            ("Converted_Account.id", "str"),
        ],
        "Last_Name",
    ),
    _crm(
        "Deals",
        [
            ("Deal_Name", "str"),
            *_OWNER,
            ("Stage", "str"),
            ("Amount", "float"),
            ("Probability", "int"),
            ("Expected_Revenue", "float"),
            ("Closing_Date", "date"),
            ("Valid_Until", "date"),
            ("Type", "str"),
            ("Account_Name.id", "str"),
            ("Account_Name.name", "str"),
            ("Contact_Name.id", "str"),
            ("Contact_Name.name", "str"),
            ("Campaign_Source.id", "str"),
            ("Campaign_Source.name", "str"),
            ("Lead_Source", "str"),
            ("Reason_For_Loss__s", "str"),
        ],
        "Deal_Name",
    ),
    # Related list /Deals/{id}/Stage_History; `Deal_Id` names the parent deal.
    _crm(
        "Stage_History",
        [
            ("Deal_Id", "str"),
            ("Stage", "str"),
            ("Moved_To__s", "str"),
            ("Stage_Duration_Calendar_Days", "int"),
            ("Amount", "float"),
            ("Probability", "int"),
            ("Expected_Revenue", "float"),
            ("Close_Date", "date"),
        ],
        "Stage",
    ),
    _crm(
        "Events",
        [
            ("Event_Title", "str"),
            *_OWNER,
            ("Start_DateTime", "ts_zoho"),
            ("End_DateTime", "ts_zoho"),
            ("What_Id.id", "str"),
            ("What_Id.name", "str"),
            ("$se_module", "str"),
            ("Who_Id.id", "str"),
            ("Who_Id.name", "str"),
            ("Account.id", "str"),
            ("Account.name", "str"),
            ("Venue", "str"),
            ("Check_In_Time", "ts_zoho"),
            ("Check_In_City", "str"),
            ("Visit_Type", "str"),
            ("Visit_Plan.id", "str"),
        ],
        "Event_Title",
    ),
    # Visit plans: one task per planned customer visit, approved in OA.
    _crm(
        "Tasks",
        [
            ("Subject", "str"),
            *_OWNER,
            ("Due_Date", "date"),
            ("Status", "str"),
            ("Priority", "str"),
            ("What_Id.id", "str"),
            ("What_Id.name", "str"),
            ("$se_module", "str"),
            ("Assigned_By.id", "str"),
            ("Assigned_By.name", "str"),
            ("OA_Request_Id", "str"),
            ("Approval_Status", "str"),
            ("Closed_Time", "ts_zoho"),
        ],
        "Subject",
    ),
    _crm(
        "Products",
        [
            ("Product_Name", "str"),
            ("Product_Code", "str"),
            ("Product_Category", "str"),
            ("Unit_Price", "float"),
            ("Tax", "int"),
            ("Usage_Unit", "str"),
            ("Product_Active", "bool"),
        ],
        "Product_Name",
    ),
    # Copies of audited ERP documents, synced by the integration platform (can drift).
    _crm(
        "Sales_Orders",
        [
            ("Subject", "str"),
            *_OWNER,
            ("SO_Number", "str"),
            ("Status", "str"),
            ("Grand_Total", "float"),
            ("Account_Name.id", "str"),
            ("Account_Name.name", "str"),
            ("Deal_Name.id", "str"),
            ("Deal_Name.name", "str"),
            ("Contract_No", "str"),
            ("ERP_Bill_Id", "str"),
            ("Due_Date", "date"),
        ],
        "Subject",
    ),
    _crm(
        "Invoices",
        [
            ("Subject", "str"),
            *_OWNER,
            ("Invoice_Number", "str"),
            ("Invoice_Date", "date"),
            ("Status", "str"),
            ("Grand_Total", "float"),
            ("Account_Name.id", "str"),
            ("Account_Name.name", "str"),
            ("Sales_Order.id", "str"),
            ("Sales_Order.name", "str"),
            ("Contract_No", "str"),
            ("ERP_Bill_Id", "str"),
        ],
        "Subject",
    ),
    # Custom module for targets (quotas). Owner is empty on region-level rows.
    _crm(
        "Sales_Targets",
        [
            ("Name", "str"),
            *_OWNER,
            ("Target_Level", "str"),
            ("Region", "str"),
            ("Target_Year", "int"),
            ("Target_Month", "int"),
            ("Business_Type", "str"),
            ("Target_Type", "str"),
            ("Target_Amount", "float"),
        ],
        "Name",
    ),
]

_KD_AUDIT = [
    ("FDocumentStatus", "str"),
    ("FCreateDate", "ts_kd"),
    ("FModifyDate", "ts_kd"),
    ("FApproveDate", "ts_kd"),
]


def _kd(name: str, cols: list[tuple[str, str]], display: str = "FBillNo") -> Entity:
    return Entity("erp", name, [*cols, *_KD_AUDIT], display=display)


ERP = [
    _kd(
        "BD_MATERIAL",
        [
            ("FMATERIALID", "int"),
            ("FNumber", "str"),
            ("FName", "str"),
            ("FSpecification", "str"),
            ("FMaterialGroup.FName", "str"),
            ("FBaseUnitId.FName", "str"),
            ("FTaxRateId.FName", "str"),
            ("FForbidStatus", "str"),
            ("FUseOrgId.FName", "str"),
        ],
        "FName",
    ),
    _kd(
        "BD_Customer",
        [
            ("FCUSTID", "int"),
            ("FNumber", "str"),
            ("FName", "str"),
            ("FShortName", "str"),
            ("FTaxRegisterCode", "str"),
            ("FCustTypeId.FName", "str"),
            ("FForbidStatus", "str"),
            ("FUseOrgId.FName", "str"),
            ("FCreateOrgId.FName", "str"),
        ],
        "FName",
    ),
    # Documents with entries are kept one row per entry, header fields repeated (as Kingdee's
    # ExecuteBillQuery returns them); the record key is the entry id.
    _kd(
        "SAL_SaleOrder",
        [
            ("FID", "int"),
            ("FBillNo", "str"),
            ("FDate", "date_kd"),
            ("FCloseStatus", "str"),
            ("FCancelStatus", "str"),
            ("FCustId.FNumber", "str"),
            ("FCustId.FName", "str"),
            ("FSalerId.FNumber", "str"),
            ("FSalerId.FName", "str"),
            ("FSaleDeptId.FName", "str"),
            ("FSaleOrgId.FName", "str"),
            ("F_ZT_ContractNo", "str"),
            ("F_ZT_CrmDealId", "str"),
            ("FSaleOrderEntry_FEntryId", "int"),
            ("FMaterialId.FNumber", "str"),
            ("FMaterialId.FName", "str"),
            ("FQty", "float"),
            ("FPrice", "float"),
            ("FTaxPrice", "float"),
            ("FEntryTaxRate", "float"),
            ("FAmount", "float"),
            ("FTaxAmount", "float"),
            ("FAllAmount", "float"),
            ("FDeliveryDate", "date_kd"),
        ],
    ),
    _kd(
        "SAL_OUTSTOCK",
        [
            ("FID", "int"),
            ("FBillNo", "str"),
            ("FDate", "date_kd"),
            ("FCustomerID.FNumber", "str"),
            ("FCustomerID.FName", "str"),
            ("FSalesManID.FNumber", "str"),
            ("FStockOrgId.FName", "str"),
            ("F_ZT_ContractNo", "str"),
            ("FEntity_FEntryId", "int"),
            ("FMaterialId.FNumber", "str"),
            ("FRealQty", "float"),
            ("FTaxPrice", "float"),
            ("FAllAmount", "float"),
            ("FSrcBillNo", "str"),
            ("FSoEntryId", "int"),
            ("FStockId.FName", "str"),
        ],
    ),
    *[
        _kd(
            form,
            [
                ("FID", "int"),
                ("FBillNo", "str"),
                ("FDate", "date_kd"),
                ("FCUSTOMERID.FNumber", "str"),
                ("FCUSTOMERID.FName", "str"),
                ("FIVNUMBER", "str"),
                ("FRedBlue", "str"),
                ("FSrcInvoiceNo", "str"),
                ("FSETTLEORGID.FName", "str"),
                ("F_ZT_ContractNo", "str"),
                ("F_ZT_OaApplyNo", "str"),
                (f"{entry}_FEntryId", "int"),
                ("FMATERIALID.FNumber", "str"),
                ("FPRICEQTY", "float"),
                ("FTAXRATE", "float"),
                ("FAMOUNTFOR", "float"),
                ("FDETAILTAXAMOUNTFOR", "float"),
                ("FALLAMOUNTFOR", "float"),
                ("FSRCBILLNO", "str"),
            ],
        )
        for form, entry in (("IV_SALESIC", "FSALESICENTRY"), ("IV_SALESOC", "FSALESOCENTRY"))
    ],
    _kd(
        "AR_receivable",
        [
            ("FID", "int"),
            ("FBillNo", "str"),
            ("FDATE", "date_kd"),
            ("FENDDATE_H", "date_kd"),
            ("FCUSTOMERID.FNumber", "str"),
            ("FALLAMOUNTFOR", "float"),
            ("FPayConditon.FName", "str"),
            ("F_ZT_ContractNo", "str"),
            ("F_ZT_InvoiceNo", "str"),
            ("FSALEERID.FNumber", "str"),
            ("FCancelStatus", "str"),
        ],
    ),
    _kd(
        "AR_RECEIVEBILL",
        [
            ("FID", "int"),
            ("FBillNo", "str"),
            ("FDate", "date_kd"),
            ("FCONTACTUNIT.FNumber", "str"),
            ("FPAYUNIT.FName", "str"),
            ("FRECTOTALAMOUNTFOR", "float"),
            ("F_ZT_BankSerialNo", "str"),
            ("F_ZT_OaClaimNo", "str"),
            ("F_ZT_ContractNo", "str"),
            ("F_ZT_InvoiceNo", "str"),
            ("FSETTLEORGID.FName", "str"),
        ],
    ),
    _kd(
        "STK_Inventory",
        [
            ("FID", "int"),
            ("FMaterialId.FNumber", "str"),
            ("FStockId.FName", "str"),
            ("FBaseQty", "float"),
            ("FStockOrgId.FName", "str"),
        ],
        "FMaterialId.FNumber",
    ),
]

_WV_REQ = [
    ("requestId", "str"),
    ("requestName", "str"),
    ("workflowId", "str"),
    ("workflowName", "str"),
    ("workflowTypeId", "str"),
    ("workflowTypeName", "str"),
    ("formId", "str"),
    ("tableDBName", "str"),
    ("creatorId", "str"),
    ("creatorName", "str"),
    ("creatorDeptId", "str"),
    ("createTime", "ts_weaver"),
    ("status", "str"),
    ("currentNodeId", "str"),
    ("currentNodeName", "str"),
    ("currentNodeType", "str"),
    ("lastOperateTime", "ts_weaver"),
    ("lastOperatorId", "str"),
    ("lastOperatorName", "str"),
    ("requestLevel", "str"),
    ("archived", "bool"),
]

OA = [
    Entity(
        "oa",
        "HrmDepartment",
        [
            ("id", "str"),
            ("departmentname", "str"),
            ("departmentmark", "str"),
            ("supdepid", "str"),
            ("subcompanyid1", "str"),
            ("canceled", "str"),
            ("created", "ts_weaver"),
            ("modified", "ts_weaver"),
        ],
        display="departmentname",
    ),
    Entity(
        "oa",
        "HrmResource",
        [
            ("id", "str"),
            ("workcode", "str"),
            ("lastname", "str"),
            ("loginid", "str"),
            ("email", "str"),
            ("mobile", "str"),
            ("departmentid", "str"),
            ("jobtitle", "str"),
            ("managerid", "str"),
            ("status", "str"),
            ("createdate", "ts_weaver"),
            ("modified", "ts_weaver"),
        ],
        display="lastname",
    ),
    Entity("oa", "workflow_requests", _WV_REQ, display="requestName"),
    # Node-by-node approval log (getRequestLog). Immutable rows.
    Entity(
        "oa",
        "workflow_request_logs",
        [
            ("id", "str"),
            ("requestId", "str"),
            ("workflowId", "str"),
            ("nodeid", "str"),
            ("nodename", "str"),
            ("destnodeid", "str"),
            ("operator", "str"),
            ("operatorName", "str"),
            ("operatorDept", "str"),
            ("operatedate", "str"),
            ("operatetime", "str"),
            ("logtype", "str"),
            ("remarkHtml", "str"),
            ("receivedPersons", "str"),
            ("receivedPersonids", "str"),
            ("isbranche", "str"),
            ("agentorbyagentid", "str"),
            ("_when", "ts_weaver"),
        ],
        display="nodename",
    ),
    # Who had (or has) each node to handle (getRequestOperatorInfo).
    Entity(
        "oa",
        "workflow_request_operators",
        [
            ("id", "str"),
            ("requestId", "str"),
            ("groupid", "str"),
            ("nodeid", "str"),
            ("nodeName", "str"),
            ("userid", "str"),
            ("userName", "str"),
            ("isremark", "str"),
            ("receivedate", "str"),
            ("receivetime", "str"),
            ("operatedate", "str"),
            ("operatetime", "str"),
        ],
        display="nodeName",
    ),
]

# Weaver form main tables, keyed by requestId. Field names are the pinyin abbreviations such
# forms use; FORM_LABELS gives the Chinese labels served as fieldShowName.
FORM_FIELDS: dict[str, list[tuple[str, str, str]]] = {
    "contract_approval": [
        ("htbh", "str", "合同编号"),
        ("htmc", "str", "合同名称"),
        ("htlx", "str", "合同类型"),
        ("khid", "str", "客户(CRM)"),
        ("khmc", "str", "客户名称"),
        ("sjid", "str", "商机(CRM)"),
        ("ywlx", "str", "业务类型"),
        ("htje", "float", "合同金额"),
        ("qdrq", "date", "签订日期"),
        ("ksrq", "date", "开始日期"),
        ("jsrq", "date", "结束日期"),
        ("fkts", "int", "付款天数"),
        ("xsry", "str", "销售人员"),
        ("ssqy", "str", "所属大区"),
    ],
    "contract_change": [
        ("htbh", "str", "合同编号"),
        ("bgqje", "float", "变更前金额"),
        ("bghje", "float", "变更后金额"),
        ("bgyy", "str", "变更原因"),
        ("bgrq", "date", "变更日期"),
    ],
    "contract_termination": [
        ("htbh", "str", "合同编号"),
        ("zzrq", "date", "终止日期"),
        ("zzyy", "str", "终止原因"),
    ],
    "contract_mailing": [
        ("htbh", "str", "合同编号"),
        ("jcsj", "date", "寄出时间"),
        ("kdgs", "str", "快递公司"),
        ("kddh", "str", "快递单号"),
        ("sdsj", "date", "收到时间"),
        ("sfsd", "str", "是否收到"),
    ],
    "project_start": [
        ("xmbh", "str", "项目编号"),
        ("htbh", "str", "合同编号"),
        ("xmmc", "str", "项目名称"),
        ("qdrq", "date", "启动日期"),
        ("xmjl", "str", "项目经理"),
        ("xmje", "float", "项目金额"),
    ],
    "project_delivery": [
        ("xmbh", "str", "项目编号"),
        ("htbh", "str", "合同编号"),
        ("jfrq", "date", "交付日期"),
        ("jfnr", "str", "交付内容"),
    ],
    "invoice_application": [
        ("sqbh", "str", "申请编号"),
        ("htbh", "str", "合同编号"),
        ("ddbh", "str", "订单编号"),
        ("khmc", "str", "客户名称"),
        ("fplx", "str", "发票类型"),
        ("sl", "float", "税率"),
        ("kpje", "float", "开票金额(含税)"),
        ("sqrq", "date", "申请日期"),
    ],
    "payment_claim": [
        ("rlbh", "str", "认领编号"),
        ("yhlsh", "str", "银行流水号"),
        ("fkrmc", "str", "付款人名称"),
        ("rlje", "float", "认领金额"),
        ("htbh", "str", "合同编号"),
        ("ddbh", "str", "订单编号"),
        ("fphm", "str", "发票号码"),
        ("rlrq", "date", "认领日期"),
    ],
    "prepayment_transfer": [
        ("zzbh", "str", "转账编号"),
        ("yfhtbh", "str", "预付款合同编号"),
        ("zshtbh", "str", "正式合同编号"),
        ("zzje", "float", "转账金额"),
        ("zzrq", "date", "转账日期"),
    ],
    "visit_plan": [
        ("jhbh", "str", "计划编号"),
        ("xsry", "str", "销售人员"),
        ("jhzq", "str", "计划周期"),
        ("jhsl", "int", "计划拜访数"),
    ],
    "campaign": [
        ("hdbh", "str", "活动编号"),
        ("hdmc", "str", "活动名称"),
        ("crmid", "str", "CRM活动ID"),
        ("ys", "float", "预算"),
        ("ksrq", "date", "开始日期"),
        ("jsrq", "date", "结束日期"),
    ],
    "notice": [
        ("ggbt", "str", "公告标题"),
        ("ggnr", "str", "公告内容"),
        ("fbrq", "date", "发布日期"),
    ],
}
# Weaver workflow ids, names and form tables per workflow type.
WORKFLOWS: dict[str, tuple[int, str, int]] = {
    # type: (workflowId, workflowName, form table number)
    "contract_approval": (101, "合同审批", 1101),
    "contract_change": (102, "合同变更", 1102),
    "contract_termination": (103, "合同终止", 1103),
    "contract_mailing": (104, "合同寄送", 1104),
    "project_start": (111, "项目启动", 1111),
    "project_delivery": (112, "项目交付", 1112),
    "invoice_application": (121, "开票申请", 1121),
    "payment_claim": (122, "来款认领", 1122),
    "prepayment_transfer": (123, "合同转账", 1123),
    "visit_plan": (131, "拜访计划", 1131),
    "campaign": (132, "市场活动", 1132),
    "notice": (141, "公告发布", 1141),
}
for _wf, (_wid, _wname, _tab) in WORKFLOWS.items():
    OA.append(
        Entity(
            "oa",
            f"formtable_main_{_tab}",
            [("requestId", "str"), *[(f, k) for f, k, _l in FORM_FIELDS[_wf]]],
            display="requestId",
        )
    )
FORM_TABLE = {wf: f"formtable_main_{tab}" for wf, (_w, _n, tab) in WORKFLOWS.items()}

EXPENSE = [
    Entity(
        "expense",
        "expenseReport",
        [
            ("id", "str"),
            ("expenseReportOID", "str"),
            ("businessCode", "str"),
            ("status", "int"),
            ("type", "int"),
            ("applicantOID", "str"),
            ("applicantName", "str"),
            ("applicantEmployeeId", "str"),
            ("departmentOID", "str"),
            ("departmentName", "str"),
            ("departmentPath", "str"),
            ("companyCode", "str"),
            ("companyName", "str"),
            ("formCode", "str"),
            ("formName", "str"),
            ("title", "str"),
            ("currencyCode", "str"),
            ("totalAmount", "float"),
            ("realPaymentAmount", "float"),
            ("expenseTypeCode", "str"),
            ("expenseTypeName", "str"),
            ("customerName", "str"),
            ("firstSubmittedDate", "ts_utc"),
            ("lastSubmittedDate", "ts_utc"),
            ("createdDate", "ts_utc"),
            ("lastModifiedDate", "ts_utc"),
            ("version", "int"),
        ],
        display="businessCode",
    ),
    Entity(
        "expense",
        "approvalHistory",
        [
            ("id", "str"),
            ("expenseReportOID", "str"),
            ("businessCode", "str"),
            ("operation", "int"),
            ("operationDesc", "str"),
            ("approvalNodeName", "str"),
            ("operatorOID", "str"),
            ("operatorName", "str"),
            ("remark", "str"),
            ("createdDate", "ts_utc"),
        ],
        display="businessCode",
    ),
]

# Bank statement lines (the truth behind the statement files in the inbox).
BANK = [
    Entity(
        "bank",
        "statements",
        [
            ("serial_no", "str"),
            ("account_no", "str"),
            ("bank_name", "str"),
            ("txn_time", "ts_weaver"),
            ("payer_name", "str"),
            ("payer_account", "str"),
            ("payer_bank", "str"),
            ("amount", "float"),
            ("memo", "str"),
            ("balance", "float"),
        ],
        display="serial_no",
    ),
]

ALL: list[Entity] = [*CRM, *ERP, *OA, *EXPENSE, *BANK]
BY_KEY: dict[tuple[str, str], Entity] = {(e.system, e.name): e for e in ALL}


def entity(system: str, name: str) -> Entity:
    return BY_KEY[(system, name)]


# Entities whose records are written once and never change: materialized without aggregation.
IMMUTABLE = {
    ("oa", "workflow_request_logs"),
    ("oa", "HrmDepartment"),
    ("expense", "approvalHistory"),
    ("bank", "statements"),
    ("crm", "Events"),
    ("crm", "Contacts"),
    ("crm", "Products"),
    ("crm", "Invoices"),
    ("crm", "Sales_Orders"),
    ("crm", "Sales_Targets"),
}
for _e in ALL:
    _e.immutable = (_e.system, _e.name) in IMMUTABLE
