"""The demo organisation: one park, three enterprises, ~120 people, one account per role.

A first start should show a plant that looks real (Chinese names, floor plans, special-work
certificates, some expired or about to expire) so every page has something to show. The
inputs are in ``data/demo/organisation.json``; names, phone numbers and dates are drawn from
``random.Random(seed)`` relative to ``today``, so the same seed gives the same organisation and
"expires within 30 days" stays true whenever it is loaded. Rows go through
``core.crud.service`` as ``rbac.SYSTEM``: validated and audited like any other write.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any, NamedTuple

from sqlmodel import Session, select

from core import audit
from core.auth import has_users
from core.config import REPO_ROOT
from core.crud.registry import get_spec
from core.crud.service import create_row
from core.demogen import generate_all
from core.passwords import hash_password, verify_password
from core.rbac import SYSTEM, default_scope
from core.risk.dynamic import refresh_all
from models.accounts import User
from models.enums import Gender, Role

Progress = Callable[[float, str], None]

DEMO_FILE = REPO_ROOT / "data" / "demo" / "organisation.json"
DEMO_PASSWORD = "Safeloop2026"
DEMO_SEED = 2026
DEMO_MARK = "demo"  # key in User.extra that marks a demo account
FEMALE_SHARE = 0.2
_NESTED = ("key", "departments", "areas", "staff")  # enterprise keys that are not columns


class Account(NamedTuple):
    """A demo account; with a department it belongs to the ``index``-th person listed there."""

    username: str
    role: Role
    enterprise: str | None = None
    department: str | None = None
    index: int = 0
    name: str | None = None


ACCOUNTS = (
    Account("admin", Role.ADMIN, name="系统管理员"),
    Account("safety_head", Role.SAFETY_HEAD, "HD", "安全环保部", 0),
    Account("safety_manager", Role.SAFETY_MANAGER, "HD", "安全环保部", 1),
    Account("dept_head", Role.DEPT_HEAD, "HD", "机修车间", 0),
    Account("inspector", Role.INSPECTOR, "HD", "机修车间", 1),
    Account("inspector2", Role.INSPECTOR, "HD", "铸造车间", 1),
    Account("employee", Role.EMPLOYEE, "HD", "焊接车间", 1),
    Account("contractor", Role.CONTRACTOR, "HD", name="外协施工人员"),
    Account("park_supervisor", Role.PARK_SUPERVISOR, name="园区安监办"),
    Account("display", Role.DISPLAY, "HD", name="华东重机大屏"),
)


class DemoError(Exception):
    """The demo was asked for where it does not belong (a database that already has users)."""


@dataclass(frozen=True)
class DemoLogin:
    """A demo account as the CLI prints it."""

    username: str
    role: str
    display_name: str


@dataclass(frozen=True)
class DemoSummary:
    counts: dict[str, int]
    logins: tuple[DemoLogin, ...]


@dataclass
class _Person:
    name: str
    gender: Gender
    enterprise: str
    department: str
    post: str
    employee_no: str
    id: int | None = None


@cache
def plan() -> dict[str, Any]:
    """The inputs of the demo (parsed once per process)."""
    return json.loads(DEMO_FILE.read_text(encoding="utf-8"))


class _Builder:
    """Creates the rows and remembers their ids; one instance per load."""

    def __init__(self, session: Session, seed: int, today: date, progress: Progress) -> None:
        self.session, self.rng, self.today = session, random.Random(seed), today
        self.progress = progress
        self.plan = plan()
        self.counts: dict[str, int] = {}
        self.ids: dict[tuple[str, ...], int] = {}
        self._names: set[str] = set()
        self.people = [
            _Person(*self.name(), ent["key"], department, post, f"{ent['key']}{n:04d}")
            for ent in self.plan["enterprises"]
            for n, (department, post) in enumerate(_expand(ent["staff"]), start=1)
        ]

    def add(self, table: str, raw: dict[str, Any]) -> int:
        row = create_row(self.session, get_spec(table), SYSTEM, raw)
        self.counts[table] = self.counts.get(table, 0) + 1
        return int(row.id)

    def name(self) -> tuple[str, Gender]:
        """A Chinese name not used yet, so imports can refer to people by name unambiguously."""
        while True:
            female = self.rng.random() < FEMALE_SHARE
            given = self.rng.choice(self.plan["female_given" if female else "male_given"])
            name = self.rng.choice(self.plan["surnames"]) + given
            if name not in self._names:
                self._names.add(name)
                return name, Gender.FEMALE if female else Gender.MALE

    def phone(self) -> str:
        return f"1{self.rng.choice('3589')}{self.rng.randrange(10**9):09d}"

    def staff_of(self, enterprise: str, department: str) -> list[_Person]:
        return [p for p in self.people if (p.enterprise, p.department) == (enterprise, department)]

    def organisation(self) -> None:
        park_id = self.ids[("park",)] = self.add("park", self.plan["park"])
        for ent in self.plan["enterprises"]:
            self.enterprise(ent, park_id)

    def enterprise(self, ent: dict[str, Any], park_id: int) -> None:
        """The enterprise with its departments, areas and posts."""
        key = ent["key"]
        columns = {k: v for k, v in ent.items() if k not in _NESTED}
        ent_id = self.ids[(key,)] = self.add(
            "enterprise",
            columns
            | {
                "park_id": park_id,
                "legal_representative": self.name()[0],
                "safety_head": self.staff_of(key, ent["departments"][0][0])[0].name,
                "phone": self.phone(),
                "employees": sum(n for _, _, n in ent["staff"]),
            },
        )
        for i, (name, kind) in enumerate(ent["departments"], start=1):
            staff = self.staff_of(key, name)
            head = staff[0].name if staff else None
            phone = f"021-6828{self.rng.randrange(10**4):04d}"
            self.ids[(key, name)] = self.add(
                "department",
                {"name": name, "code": f"{key}-D{i:02d}", "enterprise_id": ent_id,
                 "kind": kind, "head": head, "phone": phone},
            )  # fmt: skip
        for i, area in enumerate(ent["areas"], start=1):
            department_id = self.ids[(key, area["department"])]
            self.add(
                "area",
                {k: v for k, v in area.items() if k != "department"}
                | {"code": f"{key}-A{i:02d}", "enterprise_id": ent_id,
                   "department_id": department_id},
            )  # fmt: skip
        for i, post in enumerate(dict.fromkeys(post for _, post, _ in ent["staff"]), start=1):
            special = post in self.plan["special_posts"]
            self.ids[(key, "post", post)] = self.add(
                "post",
                {"name": post, "code": f"{key}-P{i:02d}", "enterprise_id": ent_id,
                 "special_operation": special},
            )  # fmt: skip

    def persons(self) -> None:
        for i, p in enumerate(self.people, start=1):
            hired = self.today - timedelta(days=self.rng.randint(120, 16 * 365))
            p.id = self.add(
                "person",
                {"name": p.name, "employee_no": p.employee_no, "gender": p.gender,
                 "enterprise_id": self.ids[(p.enterprise,)],
                 "department_id": self.ids[(p.enterprise, p.department)],
                 "post_id": self.ids[(p.enterprise, "post", p.post)],
                 "phone": self.phone(), "hired_on": hired},
            )  # fmt: skip
            if i % 20 == 0:
                self.progress(0.3 + 0.4 * i / len(self.people), "demo: people")

    def certificates(self) -> None:
        kinds = self.plan["certificates"]
        holders = [p for p in self.people if p.post in kinds]
        lapsed, due = self._pick(holders, "expired_in"), self._pick(holders, "expiring_in")
        for n, p in enumerate(holders, start=1):
            cert = kinds[p.post]
            if p.employee_no in lapsed:
                expires = self.today - timedelta(days=self.rng.randint(3, 90))
            elif p.employee_no in due:
                expires = self.today + timedelta(days=self.rng.randint(2, 28))
            else:
                expires = self.today + timedelta(days=self.rng.randint(60, cert["years"] * 365))
            prefix = {"special_operation": "T", "special_equipment": "TS"}.get(cert["kind"], "AQ")
            number = f"{prefix}{self.today.year % 100:02d}{n:03d}{self.rng.randrange(10**6):06d}"
            self.add(
                "certificate",
                {"number": number, "person_id": p.id, "kind": cert["kind"],
                 "work_type": cert["work_type"], "issuer": cert["issuer"],
                 "issued_on": _years_before(expires, cert["years"]), "expires_on": expires},
            )  # fmt: skip

    def _pick(self, holders: list[_Person], key: str) -> set[str]:
        """One certificate holder in each [enterprise, department] the plan lists under ``key``."""
        picked = set()
        for enterprise, department in self.plan[key]:
            pool = [p for p in holders if (p.enterprise, p.department) == (enterprise, department)]
            picked.add(self.rng.choice(pool).employee_no)
        return picked

    def users(self) -> list[DemoLogin]:
        """The demo accounts, all with ``DEMO_PASSWORD`` and no forced change.

        argon2 costs ~0.2 s a hash and the ten accounts share one password, so the hash is
        computed once and stored on every row (``auth.create_user`` would hash ten times).
        """
        password_hash = hash_password(DEMO_PASSWORD)
        logins = []
        for account in ACCOUNTS:
            person = (
                self.staff_of(account.enterprise or "", account.department)[account.index]
                if account.department
                else None
            )
            user = User(
                username=account.username,
                display_name=account.name or (person.name if person else account.username),
                password_hash=password_hash,
                roles=[account.role.value],
                scope=default_scope(account.role),
                park_id=self.ids[("park",)] if account.role != Role.ADMIN else None,
                enterprise_id=self.ids[(account.enterprise,)] if account.enterprise else None,
                department_id=self.ids[(person.enterprise, person.department)] if person else None,
                person_id=person.id if person else None,
                must_change_password=False,
                extra={DEMO_MARK: True},
            )
            self.session.add(user)
            self.session.flush()
            audit.record(
                self.session, SYSTEM, "create", table_name="user", row_id=user.id,
                enterprise_id=user.enterprise_id, after=audit.snapshot(user),
            )  # fmt: skip
            logins.append(DemoLogin(user.username, account.role.value, user.display_name))
        self.counts["user"] = len(logins)
        return logins


def _expand(staff: list[list[Any]]) -> list[tuple[str, str]]:
    """[department, post, count] rows → one (department, post) per person."""
    return [(department, post) for department, post, count in staff for _ in range(count)]


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def load(
    session: Session,
    *,
    seed: int = DEMO_SEED,
    scale: str = "S",
    today: date | None = None,
    progress: Progress | None = None,
    modules: set[str] | None = None,
) -> DemoSummary:
    """Insert the demo organisation in the caller's transaction; only into a DB without users."""
    if has_users(session):
        raise DemoError("the database already has user accounts; the demo needs an empty one")
    report = progress or (lambda _fraction, _message: None)
    builder = _Builder(session, seed, today or date.today(), report)
    report(0.05, "demo: organisation")
    builder.organisation()
    report(0.1, "demo: people")
    builder.persons()
    report(0.2, "demo: certificates")
    builder.certificates()
    report(0.25, "demo: accounts")
    logins = builder.users()
    session.flush()
    modules = generate_all(
        session,
        seed=seed,
        scale=scale,
        today=builder.today,
        progress=lambda f, message: report(0.3 + 0.7 * f, message),
        only=modules,
    )
    if modules.get("hazard"):  # open hazards raise their risk points, as in the live app
        evening = datetime.combine(builder.today, time(18, 0), tzinfo=UTC)
        modules["risk_point_raised"] = refresh_all(session, now=evening)
    return DemoSummary({**builder.counts, **modules}, tuple(logins))


def active_logins(session: Session) -> tuple[DemoLogin, ...]:
    """Demo accounts that still open with ``DEMO_PASSWORD`` (so the CLI may print them).

    Demo accounts share one hash until someone changes a password, so this verifies each
    distinct hash once instead of once per account.
    """
    stmt = select(User).where(
        User.extra[DEMO_MARK].as_boolean().is_(True),
        User.deleted_at.is_(None),
        User.active.is_(True),
    )
    users = list(session.exec(stmt.order_by(User.id)))
    valid = {h for h in {u.password_hash for u in users} if verify_password(h, DEMO_PASSWORD)}
    return tuple(
        DemoLogin(u.username, u.roles[0], u.display_name) for u in users if u.password_hash in valid
    )
