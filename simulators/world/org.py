"""The company's organisation with history: departments, people, roles and team moves.

The org depends only on the seed, the scale and the world's start day, so every generation
step (``generate``, each ``advance``) rebuilds the very same organisation, moves included.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import numpy as np

from simulators.world import constants as C
from simulators.world import ids

# Role codes and their Chinese job titles.
ROLE_TITLES = {
    "sales": "销售",
    "manager": "大区经理",
    "assistant": "销售内勤",
    "director": "销售总监",
    "executive": "总经理",
    "finance": "财务",
    "pm": "项目经理",
    "legal": "法务",
    "marketing": "市场专员",
}
ORG_HORIZON_DAYS = 365 * 6  # moves are planned this far past the start


@dataclass
class Dept:
    did: int
    name: str
    parent: int | None
    region: str | None = None
    kind: str = "function"  # company, center, region, team, function


@dataclass
class Person:
    pid: int
    name: str
    role: str
    hire_day: int
    # (from_day, dept id), ascending; the person belongs to dept until the next entry.
    history: list[tuple[int, int]] = field(default_factory=list)
    slow: bool = False  # a systematically slow approver
    regions: list[str] = field(default_factory=list)  # directors: regions overseen

    @property
    def oa_id(self) -> str:
        return str(1001 + self.pid)

    @property
    def workcode(self) -> str:
        return f"ZT{self.pid + 1:05d}"

    @property
    def crm_user_id(self) -> str:
        return ids.crm_id("users", ids._DAY_BASE, self.pid + 1)

    @property
    def email(self) -> str:
        return f"{self.workcode.lower()}@zhongtai-bio.cn"

    @property
    def mobile(self) -> str:
        return f"139{(self.pid * 7919 + 10000000) % 100000000:08d}"

    @property
    def expense_oid(self) -> str:
        return ids.stable_uuid("hly-user", self.pid)

    def dept_at(self, day: int) -> int:
        i = bisect.bisect_right([d for d, _ in self.history], day) - 1
        return self.history[max(i, 0)][1]


class Org:
    def __init__(self, seed: int, scale: float, start_day: int):
        rng = np.random.default_rng([seed, 1])
        self.start_day = start_day
        self.depts: dict[int, Dept] = {}
        self.people: list[Person] = []
        self._add_dept(1, C.COMPANY_NAME, None, kind="company")
        self._add_dept(2, "销售中心", 1, kind="center")
        functions = [(3, "财务部"), (4, "项目管理部"), (5, "法务部"), (6, "市场部"), (7, "总经办")]
        for did, name in functions:
            self._add_dept(did, name, 1)
        self.region_dept: dict[str, int] = {}
        self.region_teams: dict[str, list[int]] = {}
        n_sales = max(14, round(300 * scale))
        shares = np.array([r[2] for r in C.REGIONS])
        per_region = np.maximum(2, np.floor(shares * n_sales)).astype(int)
        next_did = 10
        for (region, _code, _share, _prov), n in zip(C.REGIONS, per_region, strict=True):
            rd = next_did
            next_did += 1
            self._add_dept(rd, f"{region}大区", 2, region=region, kind="region")
            self.region_dept[region] = rd
            n_teams = max(1, round(n / 12))
            teams = []
            for k in range(n_teams):
                td = next_did
                next_did += 1
                self._add_dept(
                    td, f"{region}销售{'一二三四五六七八九十'[k]}部", rd, region=region, kind="team"
                )
                teams.append(td)
            self.region_teams[region] = teams
        names = self._names(rng, n_sales + 200)
        name_iter = iter(names)

        def hire(role: str, dept: int, day: int | None = None) -> Person:
            p = Person(
                len(self.people),
                next(name_iter),
                role,
                hire_day=start_day - int(rng.integers(60, 2000)) if day is None else day,
            )
            p.history.append((p.hire_day, dept))
            self.people.append(p)
            return p

        # Executives, functions.
        for _ in range(2):
            hire("executive", 7)
        n_fin = max(3, round(10 * scale**0.5))
        for _ in range(n_fin):
            hire("finance", 3)
        for _ in range(max(3, round(25 * scale**0.5))):
            hire("pm", 4)
        for _ in range(2):
            hire("legal", 5)
        for _ in range(max(2, round(8 * scale**0.5))):
            hire("marketing", 6)
        # Directors: each oversees two or three regions.
        self.director_of: dict[str, int] = {}
        groups = [C.REGION_NAMES[0:2], C.REGION_NAMES[2:4], C.REGION_NAMES[4:7]]
        for g in groups:
            d = hire("director", 2)
            d.regions = list(g)
            for r in g:
                self.director_of[r] = d.pid
        # Teams: a manager, an assistant, salespeople.
        self.team_manager: dict[int, int] = {}
        self.team_assistant: dict[int, int] = {}
        for (region, *_rest), n in zip(C.REGIONS, per_region, strict=True):
            teams = self.region_teams[region]
            for td in teams:
                self.team_manager[td] = hire("manager", td).pid
                self.team_assistant[td] = hire("assistant", td).pid
            for i in range(n):
                hire("sales", teams[i % len(teams)])
        # Slow approvers: one manager and one finance person.
        managers = [p for p in self.people if p.role == "manager"]
        managers[int(rng.integers(len(managers)))].slow = True
        fin = [p for p in self.people if p.role == "finance"]
        fin[int(rng.integers(len(fin)))].slow = True
        # Moves: some salespeople change team (mostly within their region), a few twice.
        all_teams = [t for r in C.REGION_NAMES for t in self.region_teams[r]]
        for p in self.people:
            if p.role != "sales":
                continue
            n_moves = int(rng.choice([0, 1, 2], p=[0.82, 0.15, 0.03]))
            day = start_day
            for _ in range(n_moves):
                day = day + int(rng.integers(60, ORG_HORIZON_DAYS // 2))
                cur = p.history[-1][1]
                region = self.depts[cur].region
                same = [t for t in self.region_teams[region] if t != cur]
                if same and rng.random() < 0.7:
                    new = same[int(rng.integers(len(same)))]
                else:
                    others = [t for t in all_teams if self.depts[t].region != region]
                    new = others[int(rng.integers(len(others)))]
                p.history.append((day, new))
        self.sales = [p.pid for p in self.people if p.role == "sales"]
        self.by_role: dict[str, list[int]] = {}
        for p in self.people:
            self.by_role.setdefault(p.role, []).append(p.pid)
        self._sales_cache: dict[tuple[str, int], list[int]] = {}

    # -- construction helpers -------------------------------------------------------------
    def _add_dept(self, did, name, parent, region=None, kind="function"):
        self.depts[did] = Dept(did, name, parent, region, kind)

    @staticmethod
    def _names(rng: np.random.Generator, n: int) -> list[str]:
        seen: set[str] = set()
        out = []
        while len(out) < n:
            s = C.SURNAMES[int(rng.integers(len(C.SURNAMES)))]
            g = "".join(
                C.GIVEN_CHARS[int(i)]
                for i in rng.integers(len(C.GIVEN_CHARS), size=int(rng.integers(1, 3)))
            )
            name = s + g
            if name not in seen:
                seen.add(name)
                out.append(name)
        return out

    # -- queries ----------------------------------------------------------------------------
    def person(self, pid: int) -> Person:
        return self.people[pid]

    def dept_at(self, pid: int, day: int) -> Dept:
        return self.depts[self.people[pid].dept_at(day)]

    def region_at(self, pid: int, day: int) -> str | None:
        p = self.people[pid]
        if p.role == "director":
            return p.regions[0]
        return self.dept_at(pid, day).region

    def manager_of(self, pid: int, day: int) -> int:
        """Direct leader on ``day``: team manager for team members, director for managers."""
        p = self.people[pid]
        dept = self.dept_at(pid, day)
        if p.role in ("sales", "assistant") and dept.kind == "team":
            return self.team_manager[dept.did]
        if p.role == "manager" and dept.region:
            return self.director_of[dept.region]
        return self.by_role["executive"][0]

    def assistant_of(self, pid: int, day: int) -> int:
        dept = self.dept_at(pid, day)
        if dept.did in self.team_assistant:
            return self.team_assistant[dept.did]
        region = self.region_at(pid, day) or C.REGION_NAMES[0]
        return self.team_assistant[self.region_teams[region][0]]

    def director_of_region(self, region: str) -> int:
        return self.director_of[region]

    def sales_in_region(self, region: str, day: int) -> list[int]:
        key = (region, day)
        got = self._sales_cache.get(key)
        if got is None:
            got = [pid for pid in self.sales if self.region_at(pid, day) == region]
            if len(self._sales_cache) > 50000:
                self._sales_cache.clear()
            self._sales_cache[key] = got
        return got
