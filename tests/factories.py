"""Small builders for test data, all going through the CRUD service like a real user would.

``build_org`` makes the organisation most tests share; ``build_users`` gives it the accounts
whose different reach the tests compare (the healthchecks alice / bob / charlie idea, with
SafeLoop's roles). Builders return plain ids, so module-scoped fixtures can hand them to tests
that each use their own session.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from sqlmodel import Session, SQLModel

from core.auth import create_user
from core.config import Settings
from core.crud import service
from core.crud.registry import get_spec
from core.passwords import hash_password
from core.rbac import SYSTEM, Actor, actor_for
from models.accounts import User
from models.enums import Role, Scope

PASSWORD = "Passw0rd-123"
_serial = itertools.count(1)


def serial() -> int:
    """A number no other factory call in this process has used (codes must be unique)."""
    return next(_serial)


def make(session: Session, table: str, actor: Actor = SYSTEM, **values: Any) -> SQLModel:
    """Create one row of ``table`` through ``core.crud.service`` (validation, scope, audit)."""
    return service.create_row(session, get_spec(table), actor, values)


def park(session: Session, **values: Any) -> SQLModel:
    n = serial()
    return make(session, "park", **{"name": f"园区{n}", "code": f"PARK-{n}", **values})


def enterprise(session: Session, park_id: int | None, **values: Any) -> SQLModel:
    n = serial()
    defaults = {"name": f"企业{n}", "code": f"91320000MA{n:08d}", "park_id": park_id}
    return make(session, "enterprise", **{**defaults, **values})


def department(session: Session, enterprise_id: int, name: str, **values: Any) -> SQLModel:
    return make(session, "department", enterprise_id=enterprise_id, name=name, **values)


def post(
    session: Session, enterprise_id: int, department_id: int | None, **values: Any
) -> SQLModel:
    n = serial()
    defaults = {"name": f"岗位{n}", "enterprise_id": enterprise_id, "department_id": department_id}
    return make(session, "post", **{**defaults, **values})


def person(
    session: Session,
    enterprise_id: int,
    department_id: int | None,
    actor: Actor = SYSTEM,
    **values: Any,
) -> SQLModel:
    n = serial()
    defaults = {
        "name": f"员工{n}",
        "employee_no": f"E{n:05d}",
        "enterprise_id": enterprise_id,
        "department_id": department_id,
    }
    return make(session, "person", actor, **{**defaults, **values})


def certificate(session: Session, person_id: int, **values: Any) -> SQLModel:
    n = serial()
    defaults = {
        "number": f"T{n:010d}",
        "person_id": person_id,
        "work_type": "焊接与热切割作业",
        "expires_on": date(2027, 6, 30),
    }
    return make(session, "certificate", **{**defaults, **values})


@dataclass(frozen=True)
class Org:
    """Ids of the shared organisation: park → enterprise 1 (departments A, B) + enterprise 2."""

    park: int
    ent1: int
    ent2: int
    dept_a: int
    dept_b: int
    dept_e2: int
    post_a: int
    post_b: int
    person_a: int
    person_a2: int
    person_b: int
    person_e2: int
    cert_a: int
    cert_b: int
    cert_e2: int


def build_org(session: Session) -> Org:
    """A demo-like organisation, created by the system actor."""
    p = park(session, name="高新园区", region="江苏省苏州市")
    e1 = enterprise(session, p.id, name="苏州精工机械有限公司", industry="machinery")
    e2 = enterprise(
        session, p.id, name="苏州华信化工有限公司", industry="chemical", risk_level="significant"
    )
    dept_a = department(session, e1.id, "机修车间", kind="workshop")
    dept_b = department(session, e1.id, "铸造车间", kind="workshop")
    dept_e2 = department(session, e2.id, "生产部")
    post_a = post(session, e1.id, dept_a.id, name="电焊工", special_operation=True)
    post_b = post(session, e1.id, dept_b.id, name="浇注工")
    person_a = person(
        session,
        e1.id,
        dept_a.id,
        name="张伟",
        post_id=post_a.id,
        gender="male",
        hired_on=date(2020, 3, 1),
    )
    person_a2 = person(
        session, e1.id, dept_a.id, name="李娜", gender="female", hired_on=date(2022, 7, 15)
    )
    person_b = person(
        session, e1.id, dept_b.id, name="王强", post_id=post_b.id, hired_on=date(2019, 11, 20)
    )
    person_e2 = person(session, e2.id, dept_e2.id, name="赵敏", hired_on=date(2021, 5, 6))
    cert_a = certificate(session, person_a.id)
    cert_b = certificate(session, person_b.id, work_type="熔化焊接", expires_on=date(2026, 1, 31))
    cert_e2 = certificate(session, person_e2.id, work_type="化工自动化控制仪表作业")
    return Org(
        park=p.id,
        ent1=e1.id,
        ent2=e2.id,
        dept_a=dept_a.id,
        dept_b=dept_b.id,
        dept_e2=dept_e2.id,
        post_a=post_a.id,
        post_b=post_b.id,
        person_a=person_a.id,
        person_a2=person_a2.id,
        person_b=person_b.id,
        person_e2=person_e2.id,
        cert_a=cert_a.id,
        cert_b=cert_b.id,
        cert_e2=cert_e2.id,
    )


@dataclass(frozen=True)
class Users:
    """Actors of the shared accounts; ``ids`` maps user name → user id."""

    admin: Actor
    safety_head: Actor
    inspector_a: Actor
    inspector_b: Actor
    employee_a: Actor
    park_supervisor: Actor
    display: Actor

    def refreshed(self, session: Session, name: str) -> Actor:
        """The actor re-read from the database (after a permission change)."""
        old: Actor = getattr(self, name)
        return actor_for(session, session.get(User, old.user_id))


@cache
def _password_hash() -> str:
    """One argon2 hash of ``PASSWORD`` per process: hundreds of accounts are built per run."""
    return hash_password(PASSWORD)


def user(session: Session, settings: Settings, username: str, role: Role, **values: Any) -> User:
    return create_user(
        session,
        None,
        settings,
        username=username,
        display_name=username,
        password=PASSWORD,
        password_hash=_password_hash(),
        roles=[role.value],
        must_change_password=False,
        **values,
    )


def build_users(session: Session, settings: Settings, org: Org) -> Users:
    """One account per kind of reach the tests compare."""
    made = {
        "admin": user(session, settings, "admin", Role.ADMIN),
        "safety_head": user(
            session,
            settings,
            "safety_head",
            Role.SAFETY_HEAD,
            park_id=org.park,
            enterprise_id=org.ent1,
        ),
        "inspector_a": user(
            session,
            settings,
            "inspector_a",
            Role.INSPECTOR,
            park_id=org.park,
            enterprise_id=org.ent1,
            department_id=org.dept_a,
        ),
        "inspector_b": user(
            session,
            settings,
            "inspector_b",
            Role.INSPECTOR,
            park_id=org.park,
            enterprise_id=org.ent1,
            department_id=org.dept_b,
        ),
        "employee_a": user(
            session,
            settings,
            "employee_a",
            Role.EMPLOYEE,
            park_id=org.park,
            enterprise_id=org.ent1,
            department_id=org.dept_a,
            person_id=org.person_a,
        ),
        "park_supervisor": user(
            session,
            settings,
            "park_supervisor",
            Role.PARK_SUPERVISOR,
            scope=Scope.PARK,
            park_id=org.park,
        ),
        "display": user(
            session, settings, "display", Role.DISPLAY, park_id=org.park, enterprise_id=org.ent1
        ),
    }
    session.flush()
    return Users(**{name: actor_for(session, u) for name, u in made.items()})
