"""Simultaneous operations (交叉作业): permits whose time windows overlap in the same area or
in areas whose outlines overlap. Flagged when a permit is submitted, to both applicants and to
the approvers, so the two crews are coordinated before either starts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from core.geometry import clean_polygon, polygons_intersect
from core.permit.rules import aware
from models.org import Area
from models.permit import Permit, PermitState

#: Permits that may still happen or are happening; the others cannot clash with anything.
LIVE = (
    PermitState.SUBMITTED,
    PermitState.APPROVING,
    PermitState.APPROVED,
    PermitState.GAS_TESTED,
    PermitState.IN_PROGRESS,
    PermitState.SUSPENDED,
)


def windows_overlap(a0: datetime, a1: datetime, b0: datetime, b1: datetime) -> bool:
    """Half-open windows: one ending at 10:00 and one starting at 10:00 do not overlap."""
    return aware(a0) < aware(b1) and aware(b0) < aware(a1)


def overlapping(session: Session, permit: Permit) -> list[Permit]:
    """Live permits of the same enterprise sharing time and ground with ``permit``."""
    if permit.area_id is None:
        return []
    stmt = select(Permit).where(
        Permit.enterprise_id == permit.enterprise_id,
        Permit.id != permit.id,
        col(Permit.state).in_(LIVE),
        col(Permit.deleted_at).is_(None),
        col(Permit.area_id).is_not(None),
        col(Permit.planned_start) < permit.planned_end,
        col(Permit.planned_end) > permit.planned_start,
    )
    candidates = list(session.exec(stmt.order_by(Permit.planned_start)))
    if not candidates:
        return []
    ids = {permit.area_id, *(c.area_id for c in candidates)}
    shapes = {
        a.id: clean_polygon(a.polygon)
        for a in session.exec(select(Area).where(col(Area.id).in_(ids)))
    }
    mine = shapes.get(permit.area_id, [])
    return [
        c
        for c in candidates
        if windows_overlap(permit.planned_start, permit.planned_end, c.planned_start, c.planned_end)
        and (c.area_id == permit.area_id or polygons_intersect(mine, shapes.get(c.area_id, [])))
    ]


def describe(permits: list[Permit]) -> list[dict[str, Any]]:
    """What the applicant and approvers see of each clash."""
    return [
        {"id": p.id, "number": p.number, "start": p.planned_start, "end": p.planned_end}
        for p in permits
    ]
