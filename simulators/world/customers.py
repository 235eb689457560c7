"""Customers (CRM Accounts and Contacts; ERP BD_Customer) and materials (ERP BD_MATERIAL,
CRM Products).

The customer book is generated first, day by day, so that later generators can pick the
customers that exist on a given day. ERP is the master of customers that buy: a qualified
account is registered in the ERP a few days after the CRM account and its ERP code is copied
back to the CRM the next day (shared/domain.md §2 integration rules). Prospects that never
qualify stay CRM-only.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import numpy as np

from simulators.world import constants as C
from simulators.world.context import Ctx
from simulators.world.workcal import DAY, HOUR, date_of_day, day_of_date

CUSTOMERS_AT_START = 12000  # at scale 1
NEW_CUSTOMERS_PER_DAY = 8000 / 1095  # at scale 1
GRADE_REVIEW_MONTH_DAY = (1, 15)


@dataclass
class Customer:
    idx: int
    crm_id: str
    name: str
    ctype: str
    grade: str
    province: str
    city: str
    region: str
    tax_id: str
    created_t: int
    owner_pid: int
    erp_day: int | None  # ERP registration day (None: CRM-only prospect)
    erp_code: str | None
    erp_fid: int | None
    activity: float
    special_invoice: bool
    contacts: list[tuple[str, str]] = field(default_factory=list)  # (crm id, name)


class CustomerBook:
    """All customers ever created, ordered by creation, with lookup by day."""

    def __init__(self) -> None:
        self.items: list[Customer] = []
        self._created: list[int] = []
        self.by_region: dict[str, list[int]] = {r: [] for r in C.REGION_NAMES}

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> Customer:
        return self.items[i]

    def __iter__(self):
        return iter(self.items)

    def add(self, c: Customer) -> None:
        self.items.append(c)
        self._created.append(c.created_t)
        self.by_region[c.region].append(c.idx)

    def count_before(self, t: int) -> int:
        return bisect.bisect_left(self._created, t)

    def pick(self, rng: np.random.Generator, t: int, weights: np.ndarray | None = None) -> Customer:
        """A customer created before ``t``, more active (higher grade) ones more likely."""
        n = self.count_before(t)
        if n == 0:
            return self.items[0]
        # activity-weighted choice via rejection sampling (fast, deterministic)
        for _ in range(8):
            c = self.items[int(rng.integers(n))]
            if rng.random() * C.GRADE_ACTIVITY["TOP"] < c.activity:
                return c
        return self.items[int(rng.integers(n))]


def _name(rng: np.random.Generator, ctype: str, city: str, pi: str) -> str:
    w = C.COMPANY_WORDS
    if ctype == "高校":
        base = city + C.UNIVERSITY_PREFIX[int(rng.integers(len(C.UNIVERSITY_PREFIX)))]
        return f"{base}{pi}课题组"
    if ctype == "医院":
        return f"{city}{C.HOSPITAL_SUFFIX[int(rng.integers(len(C.HOSPITAL_SUFFIX)))]}{pi}课题组"
    if ctype == "科研院所":
        return f"{city}{C.INSTITUTE_SUFFIX[int(rng.integers(len(C.INSTITUTE_SUFFIX)))]}{pi}课题组"
    word = w[int(rng.integers(len(w)))] + w[int(rng.integers(len(w)))]
    suffix = C.PHARMA_SUFFIX if ctype == "制药企业" else C.CRO_SUFFIX
    return f"{city}{word}{suffix[int(rng.integers(len(suffix)))]}"


def _person_name(rng: np.random.Generator) -> str:
    s = C.SURNAMES[int(rng.integers(len(C.SURNAMES)))]
    g = "".join(
        C.GIVEN_CHARS[int(i)]
        for i in rng.integers(len(C.GIVEN_CHARS), size=int(rng.integers(1, 3)))
    )
    return s + g


def gen_customers_day(ctx: Ctx, book: CustomerBook, n_override: int | None = None) -> None:
    """Create the customers of ``ctx.day`` (CRM account + contacts, ERP registration)."""
    rng = ctx.rng
    scale = ctx.cfg.scale
    n = n_override if n_override is not None else int(rng.poisson(NEW_CUSTOMERS_PER_DAY * scale))
    accounts = ctx.tl("crm", "Accounts")
    contacts = ctx.tl("crm", "Contacts")
    erp = ctx.tl("erp", "BD_Customer")
    org = ctx.org
    names_seen = getattr(book, "_names", None)
    if names_seen is None:
        names_seen = book._names = set()  # type: ignore[attr-defined]
    type_p = np.array([t[1] for t in C.CUSTOMER_TYPES])
    type_p /= type_p.sum()
    region_p = np.array([r[2] for r in C.REGIONS])
    region_p /= region_p.sum()
    for _ in range(n):
        ti = int(rng.choice(len(C.CUSTOMER_TYPES), p=type_p))
        ctype, _share, special_share = C.CUSTOMER_TYPES[ti]
        ri = int(rng.choice(len(C.REGIONS), p=region_p))
        region, _code, _s, provinces = C.REGIONS[ri]
        province = provinces[int(rng.integers(len(provinces)))]
        city = C.CITY_OF_PROVINCE[province]
        name = _name(rng, ctype, city, _person_name(rng))
        while name in names_seen:
            name = name + "二"
        names_seen.add(name)
        grade = C.GRADES[int(rng.choice(5, p=C.GRADE_WEIGHTS))]
        t = ctx.office_time(ctx.day)
        sales = org.sales_in_region(region, ctx.day) or org.sales
        owner = sales[int(rng.integers(len(sales)))]
        idx = len(book.items)
        crm_id = ctx.crm_id("Accounts")
        tax_id = "91" + f"{int(rng.integers(10**15, 10**16)):016d}"
        erp_day = None if rng.random() < 0.15 else ctx.day + int(rng.integers(1, 45))
        erp_code = f"CUST{idx + 1:06d}" if erp_day is not None else None
        c = Customer(
            idx,
            crm_id,
            name,
            ctype,
            grade,
            province,
            city,
            region,
            tax_id,
            t,
            owner,
            erp_day,
            erp_code,
            None,
            C.GRADE_ACTIVITY[grade],
            bool(rng.random() < special_share),
        )
        op = org.person(owner)
        accounts.put(
            crm_id,
            t,
            {
                "id": crm_id,
                "Account_Name": name,
                "Owner.id": op.crm_user_id,
                "Owner.name": op.name,
                "Owner.email": op.email,
                "Account_Number": f"KH{idx + 1:07d}",
                "Account_Type": ctype,
                "Industry": "生命科学",
                "Customer_Grade": grade,
                "Tax_Number": tax_id,
                "Billing_State": province,
                "Billing_City": city,
                "Phone": f"0{int(rng.integers(10, 99))}-{int(rng.integers(10**7, 10**8))}",
                "Created_Time": t,
                "Modified_Time": t,
                "Created_By.id": op.crm_user_id,
                "Created_By.name": op.name,
                "Modified_By.id": op.crm_user_id,
                "Modified_By.name": op.name,
            },
        )
        for _k in range(int(rng.integers(1, 4))):
            cn = _person_name(rng)
            cid = ctx.crm_id("Contacts")
            c.contacts.append((cid, cn))
            contacts.put(
                cid,
                t + 60,
                {
                    "id": cid,
                    "Last_Name": cn,
                    "Full_Name": cn,
                    "Owner.id": op.crm_user_id,
                    "Owner.name": op.name,
                    "Owner.email": op.email,
                    "Account_Name.id": crm_id,
                    "Account_Name.name": name,
                    "Email": f"c{cid[-8:]}@example.edu.cn",
                    "Mobile": f"13{int(rng.integers(10**8, 10**9))}",
                    "Title": ["教授", "研究员", "主任", "采购经理", "博士后", "实验室主管"][
                        int(rng.integers(6))
                    ],
                    "Department": ["药学院", "生命科学学院", "肿瘤科", "研发部", "采购部"][
                        int(rng.integers(5))
                    ],
                    "Created_Time": t + 60,
                    "Modified_Time": t + 60,
                    "Created_By.id": op.crm_user_id,
                    "Created_By.name": op.name,
                    "Modified_By.id": op.crm_user_id,
                    "Modified_By.name": op.name,
                },
            )
        if erp_day is not None:
            et = erp_day * DAY + 10 * HOUR + int(rng.integers(0, 6 * HOUR))
            c.erp_fid = 100000 + idx
            erp.put(
                str(c.erp_fid),
                et,
                {
                    "FCUSTID": c.erp_fid,
                    "FNumber": erp_code,
                    "FName": name,
                    "FShortName": name[:8],
                    "FTaxRegisterCode": tax_id,
                    "FCustTypeId.FName": ctype,
                    "FForbidStatus": "A",
                    "FUseOrgId.FName": C.SALE_ORG,
                    "FCreateOrgId.FName": C.SALE_ORG,
                    "FDocumentStatus": "A",
                    "FCreateDate": et,
                    "FModifyDate": et,
                },
            )
            erp.change(
                str(c.erp_fid),
                et + 1800,
                FDocumentStatus="C",
                FModifyDate=et + 1800,
                FApproveDate=et + 1800,
            )
            # integration platform copies the ERP code back to the CRM the next morning
            ct = (erp_day + 1) * DAY + 7 * HOUR + int(rng.integers(0, 1800))
            accounts.change(crm_id, ct, ERP_Customer_Code=erp_code, Modified_Time=ct)
        # yearly grade reviews
        y = ctx.day
        for _year in range(6):
            d = date_of_day(y)
            review = day_of_date(
                d.replace(
                    year=d.year + 1, month=GRADE_REVIEW_MONTH_DAY[0], day=GRADE_REVIEW_MONTH_DAY[1]
                )
            )
            y = review
            if rng.random() < 0.3:
                gi = C.GRADES.index(c.grade)
                gi = int(np.clip(gi + (1 if rng.random() < 0.5 else -1), 0, 4))
                new = C.GRADES[gi]
                if new != c.grade:
                    rt = review * DAY + 10 * HOUR
                    accounts.change(crm_id, rt, Customer_Grade=new, Modified_Time=rt)
        if rng.random() < 0.02:
            # the same customer entered a second time in the CRM
            dup_t = t + int(rng.integers(5, 200)) * DAY
            dup = ctx.crm_id("Accounts")
            accounts.put(
                dup,
                dup_t,
                {
                    "id": dup,
                    "Account_Name": name,
                    "Owner.id": op.crm_user_id,
                    "Owner.name": op.name,
                    "Owner.email": op.email,
                    "Account_Type": ctype,
                    "Customer_Grade": "C",
                    "Billing_State": province,
                    "Billing_City": city,
                    "Created_Time": dup_t,
                    "Modified_Time": dup_t,
                },
            )
            merged_t = dup_t + int(rng.integers(20, 90)) * DAY  # found and merged away
            accounts.delete(dup, merged_t)
            ctx.plant(
                "duplicate_account",
                t=dup_t,
                crm_id=dup,
                original_crm_id=crm_id,
                name=name,
                merged_t=merged_t,
            )
        book.add(c)


@dataclass
class Material:
    fid: int
    number: str
    name: str
    spec: str
    group: str
    unit: str
    tax_rate: float
    price: float
    crm_id: str
    btype: str  # 小鼠类 / 服务类


def gen_materials(ctx: Ctx) -> list[Material]:
    """ERP materials and their CRM product copies, all created on the world's first day."""
    rng = ctx.rng
    out: list[Material] = []
    erp = ctx.tl("erp", "BD_MATERIAL")
    crm = ctx.tl("crm", "Products")
    t = ctx.office_time(ctx.day)
    k = 0
    for strain in C.STRAINS:
        for spec in C.MOUSE_SPECS:
            k += 1
            out.append(
                Material(
                    200000 + k,
                    f"MS{k:05d}",
                    f"{strain}小鼠",
                    spec,
                    "商品化小鼠模型",
                    "只",
                    0.13,
                    float(int(rng.integers(80, 1500))),
                    "",
                    "小鼠类",
                )
            )
    for group, name, unit in C.SERVICES:
        for tier, mult in (("标准", 1.0), ("加急", 1.5)):
            k += 1
            out.append(
                Material(
                    200000 + k,
                    f"SV{k:05d}",
                    f"{name}({tier})",
                    tier,
                    group,
                    unit,
                    0.06,
                    float(int(rng.integers(20000, 200000)) * mult),
                    "",
                    "服务类",
                )
            )
    stock = ctx.tl("erp", "STK_Inventory")
    for m in out:
        if m.btype == "小鼠类":  # live animals on hand in the finished-goods facility
            sid = str(300000 + m.fid - 200000)
            stock.put(
                sid,
                t,
                {
                    "FID": int(sid),
                    "FMaterialId.FNumber": m.number,
                    "FStockId.FName": "成品仓",
                    "FBaseQty": float(rng.integers(0, 600)),
                    "FStockOrgId.FName": C.SALE_ORG,
                    "FDocumentStatus": "C",
                    "FCreateDate": t,
                    "FModifyDate": t,
                    "FApproveDate": t,
                },
            )
    for m in out:
        m.crm_id = ctx.crm_id("Products")
        erp.put(
            str(m.fid),
            t,
            {
                "FMATERIALID": m.fid,
                "FNumber": m.number,
                "FName": m.name,
                "FSpecification": m.spec,
                "FMaterialGroup.FName": m.group,
                "FBaseUnitId.FName": m.unit,
                "FTaxRateId.FName": f"{round(m.tax_rate * 100)}%",
                "FForbidStatus": "A",
                "FUseOrgId.FName": C.SALE_ORG,
                "FDocumentStatus": "C",
                "FCreateDate": t,
                "FModifyDate": t,
                "FApproveDate": t,
            },
        )
        crm.put(
            m.crm_id,
            t + 3600,
            {
                "id": m.crm_id,
                "Product_Name": m.name,
                "Product_Code": m.number,
                "Product_Category": m.group,
                "Unit_Price": m.price,
                "Tax": round(m.tax_rate * 100),
                "Usage_Unit": m.unit,
                "Product_Active": True,
                "Created_Time": t + 3600,
                "Modified_Time": t + 3600,
            },
        )
    return out
