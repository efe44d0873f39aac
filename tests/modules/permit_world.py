"""A hot-work permit in the demo plant's 机修车间, with the people its chain needs.

Used by the permit workflow tests: the applicant is the workshop's inspector; two welders with
valid certificates work; the workshop head's person is the guardian. The window starts now,
so the start rules (30 min early at most, gas readings no older than 30 min) apply as on site.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from core.db import utcnow
from core.demogen import MAIN_ENTERPRISE_CODE
from core.permit.approval import template_of
from core.permit.flow import act, apply_for_permit
from core.permit.readings import record_reading
from core.permit.start import measures_of, record_briefing, tick_measures
from core.rbac import Actor, actor_for
from models.accounts import User
from models.org import Area, Certificate, Department, Enterprise, Person
from models.permit import Permit
from models.permit_reference import PermitGrade, PermitType


@dataclass
class World:
    enterprise_id: int
    area_id: int
    department_id: int
    type_id: int
    grade_id: int
    welders: list[int]
    guardian: int
    actors: dict[str, Actor]

    def actor(self, name: str) -> Actor:
        return self.actors[name]


def build_world(session: Session, grade: str = "DH-1") -> World:
    main = session.exec(select(Enterprise).where(Enterprise.code == MAIN_ENTERPRISE_CODE)).one()
    dept = session.exec(
        select(Department).where(Department.enterprise_id == main.id, Department.name == "机修车间")
    ).one()
    area = session.exec(
        select(Area).where(Area.enterprise_id == main.id, Area.name == "机修车间")
    ).one()
    users = {u.username: u for u in session.exec(select(User))}
    actors = {name: actor_for(session, u) for name, u in users.items()}
    ends = utcnow().date() + timedelta(days=2)
    welders = list(
        session.exec(
            select(Person.id)
            .join(Certificate, col(Certificate.person_id) == Person.id)
            .where(
                Person.enterprise_id == main.id,
                Certificate.work_type == "焊接与热切割作业",
                col(Certificate.expires_on) > ends,
            )
            .order_by(Person.id)
        ).all()
    )[:2]
    ptype = session.exec(select(PermitType).where(PermitType.code == grade[:2])).one()
    g = session.exec(select(PermitGrade).where(PermitGrade.code == grade)).one()
    return World(
        enterprise_id=main.id,
        area_id=area.id,
        department_id=dept.id,
        type_id=ptype.id,
        grade_id=g.id,
        welders=welders,
        guardian=users["dept_head"].person_id,
        actors=actors,
    )


def permit_values(w: World, start: datetime | None = None, hours: float = 4, **kw: Any):
    start = start or utcnow() + timedelta(minutes=5)
    return {
        "permit_type_id": w.type_id,
        "grade_id": w.grade_id,
        "enterprise_id": w.enterprise_id,
        "department_id": w.department_id,
        "area_id": w.area_id,
        "location": "机修车间东侧管廊",
        "x": 30.0,
        "y": 80.0,
        "planned_start": start,
        "planned_end": start + timedelta(hours=hours),
        "content": "蒸汽管线法兰焊接修复",
        "guardian_id": w.guardian,
        "workers": list(w.welders),
        "jsa": [{"step": "动火前准备", "hazard": "可燃物未清理", "measure": "清理 15 m 内可燃物"}],
        "form_values": {"hot_work_method": "电焊", "medium": "蒸汽"},
        **kw,
    }


def submitted(session: Session, w: World, **kw: Any) -> Permit:
    return apply_for_permit(session, w.actor("inspector"), permit_values(w, **kw), submit=True)


#: Who signs which step of a DH-1 chain: work leader, gas tester ∥ guardian, unit head and
#: safety department (the admin: the safety manager has tested the gas).
SIGNERS = ("inspector", "safety_manager", "dept_head", "safety_head", "admin")


def approved(session: Session, w: World, **kw: Any) -> Permit:
    permit = submitted(session, w, **kw)
    for name in SIGNERS:
        act(session, w.actor(name), permit.id, "sign")
    session.refresh(permit)
    return permit


def ready(session: Session, w: World, permit: Permit) -> None:
    """Everything the start asks for: a good reading, ticked measures, a signed briefing."""
    record_reading(
        session,
        w.actor("safety_manager"),
        {
            "permit_id": permit.id,
            "gas": "combustible",
            "value": 0.1,
            "unit": "vol_pct",
            "medium_lel": 5.0,
            "measured_at": utcnow() - timedelta(minutes=3),
        },
    )
    codes = [m.code for m in measures_of(session, template_of(session, permit))]
    tick_measures(session, w.actor("dept_head"), permit, codes)
    record_briefing(session, w.actor("inspector"), permit, "动火安全交底", permit.workers)
