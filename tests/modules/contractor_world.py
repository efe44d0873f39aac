"""Contractor test data, shared by the workflow and due-date tests: a contractor in any
admission state with the qualifications asked for, its workers, and two accounts the
factories do not make: enterprise 1's safety manager (reminders escalate to him) and 钱进, a
contractor worker with an account (role contractor) whose colleague is 孙立.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.config import Settings
from core.contractor.flow import ADMISSION_FLOW
from core.rbac import Actor, actor_for
from core.workflow import Workflow, fire
from models.contractor import Contractor
from models.enums import Role
from tests import factories
from tests.factories import Org, Users


@dataclass(frozen=True)
class Cast:
    manager: Actor
    worker_user: Actor
    worker_person: int
    colleague_person: int


def build_cast(engine: Engine, settings: Settings, org: Org) -> Cast:
    """The two accounts and the two worker persons, committed (for a module fixture)."""
    with Session(engine) as session:
        qian = factories.person(session, org.ent1, None, name="钱进")
        sun = factories.person(session, org.ent1, None, name="孙立")
        manager = factories.user(
            session,
            settings,
            "manager",
            Role.SAFETY_MANAGER,
            park_id=org.park,
            enterprise_id=org.ent1,
        )
        worker_user = factories.user(
            session,
            settings,
            "qianjin",
            Role.CONTRACTOR,
            park_id=org.park,
            enterprise_id=org.ent1,
            person_id=qian.id,
        )
        session.commit()
        return Cast(
            manager=actor_for(session, manager),
            worker_user=actor_for(session, worker_user),
            worker_person=qian.id,
            colleague_person=sun.id,
        )


def company(session: Session, org: Org, users: Users, **values: Any) -> Contractor:
    n = factories.serial()
    return factories.make(
        session,
        "contractor",
        users.safety_head,
        name=f"上海安建建筑工程有限公司{n}",
        credit_code=f"91310115MA{n:08d}",
        enterprise_id=org.ent1,
        **values,
    )


def qualification(session: Session, contractor_id: int, expires_on: date | None) -> Any:
    n = factories.serial()
    return factories.make(
        session,
        "contractor_qualification",
        contractor_id=contractor_id,
        title="安全生产许可证",
        number=f"AQ{n:08d}",
        expires_on=expires_on,
    )


def step(session: Session, wf: Workflow, row: Any, action: str, actor: Actor, **kw: Any):
    return fire(session, wf, row.id, action, actor, **kw)


def reviewing(session: Session, org: Org, users: Users, *expiries: date | None) -> Contractor:
    """A contractor under review holding qualifications that expire on ``expiries``."""
    c = company(session, org, users)
    for expires in expiries:
        qualification(session, c.id, expires)
    step(session, ADMISSION_FLOW, c, "send_for_review", users.safety_head)
    return c


def worker(session: Session, org: Org, users: Users, person_id: int, **values: Any) -> Any:
    """A worker of a contractor of their own, linked to ``person_id``."""
    c = reviewing(session, org, users, None)
    n = factories.serial()
    return factories.make(
        session,
        "contractor_worker",
        users.safety_head,
        contractor_id=c.id,
        name=f"工人{n}",
        person_id=person_id,
        **values,
    )
