"""The reads of the permit pages that belong to no step of the work: the reference lists the
application form offers, a permit found by its number, the permits linked to one (SIMOPS
partners, the original of an extension and its extensions) and the areas of the plan. Each
goes through the actor's scope (``core.crud.lookup.visible``), so a page never shows a row its
user could not open."""

from __future__ import annotations

from sqlmodel import Session, col

from core.crud.lookup import visible, visible_row
from core.crud.registry import get_spec
from core.rbac import Actor
from models.org import Area
from models.permit import Permit
from models.permit_reference import PermitGrade, PermitType


def permit_types(
    session: Session, actor: Actor, *, include_deleted: bool = False
) -> list[PermitType]:
    """The work types by code; the template editor also lists retired ones."""
    stmt = visible(get_spec("permit_type"), actor, include_deleted=include_deleted)
    return list(session.exec(stmt.order_by(PermitType.code)).all())


def grades_of(session: Session, actor: Actor, type_code: str) -> list[PermitGrade]:
    """A type's live grades, lowest first (the application form's choice)."""
    stmt = visible(get_spec("permit_grade"), actor).where(PermitGrade.type_code == type_code)
    return list(session.exec(stmt.order_by(PermitGrade.rank)).all())


def kind_of(
    session: Session, actor: Actor, permit: Permit
) -> tuple[PermitType | None, PermitGrade | None]:
    """A permit's type and grade, retired ones included: the permit keeps the names it was
    issued under."""
    ptype = visible_row(session, "permit_type", actor, permit.permit_type_id, include_deleted=True)
    grade = None
    if permit.grade_id is not None:
        grade = visible_row(session, "permit_grade", actor, permit.grade_id, include_deleted=True)
    return ptype, grade


def find_by_number(session: Session, actor: Actor, number: str) -> Permit | None:
    """The live permit with this number (typed in any case), if the actor may see it."""
    stmt = visible(get_spec("permit"), actor).where(Permit.number == number.strip().upper())
    return session.exec(stmt).first()


def simops_partners(session: Session, actor: Actor, permit: Permit) -> list[Permit]:
    """The overlapping permits recorded on this one (SIMOPS) that the actor may see."""
    if not permit.simops:
        return []
    stmt = visible(get_spec("permit"), actor, include_deleted=True).where(
        col(Permit.id).in_(permit.simops)
    )
    return list(session.exec(stmt).all())


def related_permits(session: Session, actor: Actor, permit: Permit) -> list[Permit]:
    """The original this permit extends (first), then the permits extending it; only those
    the actor may see."""
    parent = None
    if permit.parent_id is not None:
        parent = visible_row(session, "permit", actor, permit.parent_id, include_deleted=True)
    stmt = visible(get_spec("permit"), actor, include_deleted=True)
    extensions = session.exec(stmt.where(Permit.parent_id == permit.id)).all()
    return [*([parent] if parent is not None else []), *extensions]


def areas_of(session: Session, actor: Actor, enterprise_id: int) -> list[Area]:
    """The enterprise's live areas the actor may see, by name: where a permit may be placed."""
    stmt = visible(get_spec("area"), actor).where(Area.enterprise_id == enterprise_id)
    return list(session.exec(stmt.order_by(Area.name)).all())
