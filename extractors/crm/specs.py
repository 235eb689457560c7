"""Landing shapes of the ZOHO CRM modules: source field names, lookups flattened with a dot
(``Owner.id``), money as DECIMAL, ``*_Time`` as zone-aware timestamps, dates as dates.

Custom fields of this deployment (``Customer_Grade``, ``Tax_Number``, ``ERP_Customer_Code``,
``Valid_Until``, ``OA_Request_Id``, ``Approval_Status``, ``Visit_Type``, ``Visit_Plan``,
``Contract_No``, ``ERP_Bill_Id``, the ``Sales_Targets`` module) are listed in docs/decisions.md.
"""

from __future__ import annotations

from extractors.records import EntitySpec

SYSTEM = "crm"

# Stage codes of the sales pipeline (the deployment's picklist); others are quarantined.
DEAL_STAGES = frozenset({"潜在", "意向", "选型", "谈判", "成交", "输单", "失效"})

_AUDIT = (
    ("Created_Time", "timestamp"),
    ("Modified_Time", "timestamp"),
    ("Created_By.id", "string"),
    ("Created_By.name", "string"),
    ("Modified_By.id", "string"),
    ("Modified_By.name", "string"),
)
_OWNER = (("Owner.id", "string"), ("Owner.name", "string"), ("Owner.email", "string"))


def _spec(name: str, *fields: tuple[str, str], **kw) -> EntitySpec:
    return EntitySpec(SYSTEM, name, "id", (("id", "string"), *fields, *_AUDIT), **kw)


USERS = _spec(
    "users",
    ("full_name", "string"),
    ("last_name", "string"),
    ("email", "string"),
    ("status", "string"),
    ("role.name", "string"),
    ("role.id", "string"),
    ("profile.name", "string"),
    ("Employee_Id", "string"),
    ("Region", "string"),
)

ACCOUNTS = _spec(
    "Accounts",
    ("Account_Name", "string"),
    *_OWNER,
    ("Account_Number", "string"),
    ("Account_Type", "string"),
    ("Industry", "string"),
    ("Customer_Grade", "string"),
    ("Tax_Number", "string"),
    ("ERP_Customer_Code", "string"),
    ("Billing_State", "string"),
    ("Billing_City", "string"),
    ("Phone", "string"),
)

CONTACTS = _spec(
    "Contacts",
    ("Last_Name", "string"),
    ("Full_Name", "string"),
    *_OWNER,
    ("Account_Name.id", "string"),
    ("Account_Name.name", "string"),
    ("Email", "string"),
    ("Mobile", "string"),
    ("Title", "string"),
    ("Department", "string"),
)

CAMPAIGNS = _spec(
    "Campaigns",
    ("Campaign_Name", "string"),
    *_OWNER,
    ("Type", "string"),
    ("Status", "string"),
    ("Start_Date", "date"),
    ("End_Date", "date"),
    ("Budgeted_Cost", "decimal"),
    ("Actual_Cost", "decimal"),
    ("Expected_Revenue", "decimal"),
    ("OA_Request_Id", "string"),
    ("OA_Approval_Status", "string"),
)

LEADS = _spec(
    "Leads",
    ("Last_Name", "string"),
    ("Company", "string"),
    *_OWNER,
    ("Lead_Source", "string"),
    ("Lead_Status", "string"),
    ("Campaign_Source.id", "string"),
    ("Campaign_Source.name", "string"),
    ("Email", "string"),
    ("Mobile", "string"),
    ("State", "string"),
    ("Business_Type", "string"),
    ("Converted__s", "bool"),
    ("Converted_Date_Time", "timestamp"),
    ("Converted_Deal.id", "string"),
    ("Converted_Account.id", "string"),
)

DEALS = _spec(
    "Deals",
    ("Deal_Name", "string"),
    *_OWNER,
    ("Stage", "string"),
    ("Amount", "decimal"),
    ("Probability", "int"),
    ("Expected_Revenue", "decimal"),
    ("Closing_Date", "date"),
    ("Valid_Until", "date"),
    ("Type", "string"),
    ("Account_Name.id", "string"),
    ("Account_Name.name", "string"),
    ("Contact_Name.id", "string"),
    ("Contact_Name.name", "string"),
    ("Campaign_Source.id", "string"),
    ("Campaign_Source.name", "string"),
    ("Lead_Source", "string"),
    ("Reason_For_Loss__s", "string"),
    accepted={"Stage": DEAL_STAGES},
    non_negative=frozenset({"Amount"}),
)

# The related list /Deals/{id}/Stage_History, with the fields ZOHO's stage tracker is seen to
# serve (shared/reference/source_protocols.md §1.7; no Created_Time / Created_By there).
# ``Deal_Id`` is not a ZOHO field: the extractor fills it with the parent deal's id.
STAGE_HISTORY = EntitySpec(
    SYSTEM,
    "Stage_History",
    "id",
    (
        ("id", "string"),
        ("Deal_Id", "string"),
        ("Stage", "string"),
        ("Moved_To__s", "string"),
        ("Stage_Duration_Calendar_Days", "int"),
        ("Amount", "decimal"),
        ("Probability", "int"),
        ("Expected_Revenue", "decimal"),
        ("Close_Date", "date"),
        ("Modified_Time", "timestamp"),
        ("Modified_By.id", "string"),
        ("Modified_By.name", "string"),
    ),
)

EVENTS = _spec(
    "Events",
    ("Event_Title", "string"),
    *_OWNER,
    ("Start_DateTime", "timestamp"),
    ("End_DateTime", "timestamp"),
    ("What_Id.id", "string"),
    ("What_Id.name", "string"),
    ("$se_module", "string"),
    ("Who_Id.id", "string"),
    ("Who_Id.name", "string"),
    ("Account.id", "string"),
    ("Account.name", "string"),
    ("Venue", "string"),
    ("Check_In_Time", "timestamp"),
    ("Check_In_City", "string"),
    ("Visit_Type", "string"),
    ("Visit_Plan.id", "string"),
)

TASKS = _spec(
    "Tasks",
    ("Subject", "string"),
    *_OWNER,
    ("Due_Date", "date"),
    ("Status", "string"),
    ("Priority", "string"),
    ("What_Id.id", "string"),
    ("What_Id.name", "string"),
    ("$se_module", "string"),
    ("Assigned_By.id", "string"),
    ("Assigned_By.name", "string"),
    ("OA_Request_Id", "string"),
    ("Approval_Status", "string"),
    ("Closed_Time", "timestamp"),
)

PRODUCTS = _spec(
    "Products",
    ("Product_Name", "string"),
    ("Product_Code", "string"),
    ("Product_Category", "string"),
    ("Unit_Price", "decimal"),
    ("Tax", "int"),
    ("Usage_Unit", "string"),
    ("Product_Active", "bool"),
)

SALES_ORDERS = _spec(
    "Sales_Orders",
    ("Subject", "string"),
    *_OWNER,
    ("SO_Number", "string"),
    ("Status", "string"),
    ("Grand_Total", "decimal"),
    ("Account_Name.id", "string"),
    ("Account_Name.name", "string"),
    ("Deal_Name.id", "string"),
    ("Deal_Name.name", "string"),
    ("Contract_No", "string"),
    ("ERP_Bill_Id", "string"),
    ("Due_Date", "date"),
)

INVOICES = _spec(
    "Invoices",
    ("Subject", "string"),
    *_OWNER,
    ("Invoice_Number", "string"),
    ("Invoice_Date", "date"),
    ("Status", "string"),
    ("Grand_Total", "decimal"),
    ("Account_Name.id", "string"),
    ("Account_Name.name", "string"),
    ("Sales_Order.id", "string"),
    ("Sales_Order.name", "string"),
    ("Contract_No", "string"),
    ("ERP_Bill_Id", "string"),
)

SALES_TARGETS = _spec(
    "Sales_Targets",
    ("Name", "string"),
    *_OWNER,
    ("Target_Level", "string"),
    ("Region", "string"),
    ("Target_Year", "int"),
    ("Target_Month", "int"),
    ("Business_Type", "string"),
    ("Target_Type", "string"),
    ("Target_Amount", "decimal"),
)

# Record modules paged with GET /crm/v8/{Module}, in landing order (masters first).
MODULES: dict[str, EntitySpec] = {
    s.name: s
    for s in (
        LEADS,
        ACCOUNTS,
        CONTACTS,
        CAMPAIGNS,
        DEALS,
        EVENTS,
        TASKS,
        PRODUCTS,
        SALES_ORDERS,
        INVOICES,
        SALES_TARGETS,
    )
}

# Extra list parameters per module: Leads hide converted leads unless asked.
MODULE_PARAMS: dict[str, dict[str, str]] = {"Leads": {"converted": "both"}}

ENTITIES: dict[str, EntitySpec] = {**MODULES, "users": USERS, "Stage_History": STAGE_HISTORY}


def api_fields(spec: EntitySpec, *, not_served: tuple[str, ...] = ()) -> list[str]:
    """The ``fields`` parameter: API names of the spec's fields (lookups by their head;
    ``id`` and ``$`` system fields left out — ZOHO sends them anyway)."""
    heads = dict.fromkeys(n.partition(".")[0] for n in spec.names)
    return [h for h in heads if h != "id" and not h.startswith("$") and h not in not_served]
