"""Checklists made from control measures: what to look at follows from how risk is controlled.

``checklist_from_measures`` keeps one checklist per risk unit (or per named set of points) in
step with the measures: one item per measure, linked by ``measure_id``. It only appends, so
running it again adds the measures created since and nothing twice, and items someone edited
by hand stay as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from core.crud import service
from core.crud.lookup import visible
from core.crud.registry import get_spec
from core.i18n import enum_label, t
from core.rbac import Actor
from models.enums import Action, Module
from models.risk import MeasureClass
from models.risk_inspection import InspectionCheckItem, InspectionChecklist
from models.risk_register import RiskMeasure, RiskPoint, RiskUnit

CLASS_ORDER = {c.value: i for i, c in enumerate(MeasureClass)}


@dataclass(frozen=True)
class ChecklistSync:
    """The checklist brought in step, and how many items this call added."""

    checklist: InspectionChecklist
    added: int
    created: bool


def checklist_from_measures(
    session: Session,
    actor: Actor,
    *,
    unit_id: int | None = None,
    point_ids: Sequence[int] = (),
    checklist_id: int | None = None,
    name: str | None = None,
) -> ChecklistSync:
    """Make or update the checklist of a risk unit (or of some points) from their measures.

    The checklist is ``checklist_id`` when given, else the unit's existing one, else one
    found by ``name``, else a new one. Only measures the actor can see are used; every row
    goes through the CRUD service (validated, scoped, audited) in the caller's transaction.
    """
    actor.require(Module.RISK, Action.CREATE)
    checklist = None
    if checklist_id is not None:
        checklist = service.get_row(
            session, get_spec("inspection_checklist"), actor, checklist_id, include_deleted=False
        )
        if unit_id is None and not point_ids:
            unit_id = checklist.unit_id
    if unit_id is None and not point_ids:
        raise ValueError("name a risk unit, some risk points or a checklist made from a unit")
    points = _points(session, actor, unit_id, point_ids)
    units = {p.unit_id for p in points}
    if unit_id is None and len(units) == 1:
        unit_id = units.pop()
    created = False
    if checklist is None:
        checklist = _existing(session, actor, unit_id, name)
    if checklist is None:
        checklist = _create(session, actor, unit_id, name, points)
        created = True
    added = _append(session, actor, checklist, points)
    return ChecklistSync(checklist, added, created)


def _points(
    session: Session, actor: Actor, unit_id: int | None, point_ids: Sequence[int]
) -> list[RiskPoint]:
    stmt = visible(get_spec("risk_point"), actor)
    if unit_id is not None:
        stmt = stmt.where(RiskPoint.unit_id == unit_id)
    if point_ids:
        stmt = stmt.where(RiskPoint.id.in_(list(point_ids)))
    return list(session.exec(stmt.order_by(RiskPoint.id)))


def _existing(
    session: Session, actor: Actor, unit_id: int | None, name: str | None
) -> InspectionChecklist | None:
    stmt = visible(get_spec("inspection_checklist"), actor)
    if unit_id is not None:
        stmt = stmt.where(InspectionChecklist.unit_id == unit_id)
    elif name:
        stmt = stmt.where(InspectionChecklist.name == name)
    else:
        return None
    return session.exec(stmt.order_by(InspectionChecklist.id)).first()


def _create(
    session: Session,
    actor: Actor,
    unit_id: int | None,
    name: str | None,
    points: list[RiskPoint],
) -> InspectionChecklist:
    lang = actor.language
    unit = session.get(RiskUnit, unit_id) if unit_id is not None else None
    first = points[0] if points else None
    scope_row = unit or first
    title = name or t("inspection.checklist_name", lang, unit=unit.name if unit else "")
    return service.create_row(
        session,
        get_spec("inspection_checklist"),
        actor,
        {
            "name": title[:100],
            "unit_id": unit_id,
            "enterprise_id": getattr(scope_row, "enterprise_id", None),
            "department_id": getattr(scope_row, "department_id", None),
            "description": t("inspection.checklist_description", lang),
        },
    )


def _append(
    session: Session, actor: Actor, checklist: InspectionChecklist, points: list[RiskPoint]
) -> int:
    """One item per measure not yet on the list, in point order, the hierarchy of controls
    (engineering first) within a point."""
    if not points:
        return 0
    by_id = {p.id: p for p in points}
    measures = list(
        session.exec(
            visible(get_spec("risk_measure"), actor).where(RiskMeasure.point_id.in_(list(by_id)))
        )
    )
    order = {pid: i for i, pid in enumerate(by_id)}
    measures.sort(key=lambda m: (order[m.point_id], CLASS_ORDER.get(str(m.measure_class), 9), m.id))
    live = (
        InspectionCheckItem.checklist_id == checklist.id,
        InspectionCheckItem.deleted_at.is_(None),
    )
    listed = set(session.exec(select(InspectionCheckItem.measure_id).where(*live)).all())
    seq = session.exec(select(func.max(InspectionCheckItem.seq)).where(*live)).one() or 0
    lang, spec, added = actor.language, get_spec("inspection_check_item"), 0
    for m in measures:
        if m.id in listed:
            continue
        point = by_id[m.point_id]
        seq += 1
        content = t("inspection.item_content", lang, point=point.name, measure=m.content)
        standard = t(
            "inspection.item_standard", lang, cls=enum_label(MeasureClass(m.measure_class), lang)
        )
        service.create_row(
            session,
            spec,
            actor,
            {
                "checklist_id": checklist.id,
                "seq": seq,
                "content": _clip(content, 300),
                # A measure too long for the item's line keeps its full text in the standard.
                "standard": _clip(
                    standard if len(content) <= 300 else f"{m.content}\n{standard}", 500
                ),
                "measure_id": m.id,
                "enterprise_id": checklist.enterprise_id,
                "department_id": checklist.department_id,
            },
        )
        added += 1
    return added


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
