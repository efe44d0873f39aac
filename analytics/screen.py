"""The wall screen's numbers and lists (``core.ui.analytics.big_screen`` draws them).

Every read is limited to the viewer's scope: the KPI tiles come from the cockpit's KPIs, the
lists from ``core.crud.lookup.visible`` (the same rows the list pages show), and the totals
are counted in the database rather than by loading every row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Row, func, select
from sqlmodel import Session, col

from analytics import kpi
from analytics.duck import locked_connection
from core.config import Settings
from core.crud.lookup import visible
from core.crud.registry import get_spec
from core.db import utcnow
from core.permit.in_force import in_force_clause
from core.rbac import Actor
from models.hazard import OPEN_STATES, Hazard, HazardLevel
from models.org import Area, Department
from models.permit import Permit
from models.permit_reference import PermitType

#: Rows a list panel shows; the rest are counted.
TABLE_ROWS = 10


@dataclass(frozen=True)
class Rate:
    """A percentage with the counts behind it (``value`` is None when ``whole`` is zero)."""

    value: float | None
    part: int
    whole: int


@dataclass(frozen=True)
class Numbers:
    """The KPI tiles: the month-to-date closure rate and near misses, today's violations and
    what is open now."""

    closure: Rate
    overdue: float
    active_permits: float
    major_hazards: int
    violations_today: int
    near_misses: float


@dataclass(frozen=True)
class Listed:
    """The first ``TABLE_ROWS`` rows of a panel and how many there are in all."""

    rows: list[Row[Any]]
    total: int


def numbers(session: Session, actor: Actor, settings: Settings, today: date) -> Numbers:
    """The tiles' figures, from the cockpit's KPIs for this month plus the open major
    hazards (as the hazards panel lists them)."""
    month = kpi.Period.preset("month", today)
    with locked_connection(settings.db_url) as con:
        frame = kpi.cockpit(con, actor, month, today, zone=settings.timezone)
        rows = {r["key"]: r for r in frame.iter_rows(named=True)}
        ctx = kpi.Ctx(con, actor, settings.timezone, None, today)
        violations = kpi.violation_rate(ctx, kpi.Period(today, today)).part or 0
    closure = rows["closure_rate"]
    return Numbers(
        closure=Rate(closure["value"], closure["part"] or 0, closure["whole"] or 0),
        overdue=rows["overdue"]["value"],
        active_permits=rows["active_permits"]["value"],
        major_hazards=_count(session, _open_majors(actor).with_only_columns(col(Hazard.id))),
        violations_today=violations,
        near_misses=rows["near_misses"]["value"],
    )


def _count(session: Session, stmt: Any) -> int:
    return int(session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one())


def _open_majors(actor: Actor) -> Any:
    return visible(get_spec("hazard"), actor).where(
        Hazard.level == HazardLevel.MAJOR, col(Hazard.state).in_(OPEN_STATES)
    )


def major_hazards(session: Session, actor: Actor, limit: int = TABLE_ROWS) -> Listed:
    """Open major hazards the actor may see, the nearest deadline first (none last), with
    their area and the department that owns the rectification."""
    base = _open_majors(actor)
    stmt = (
        base.with_only_columns(
            Hazard.number,
            Hazard.title,
            Hazard.location,
            Hazard.deadline,
            Hazard.state,
            Area.name.label("area"),
            Department.name.label("unit"),
        )
        .select_from(Hazard)
        .outerjoin(Area, Area.id == Hazard.area_id)
        .outerjoin(Department, Department.id == Hazard.owner_department_id)
        .order_by(col(Hazard.deadline).is_(None), col(Hazard.deadline), col(Hazard.id))
    )
    rows = list(session.execute(stmt.limit(limit)).all())
    return Listed(rows, _count(session, base.with_only_columns(col(Hazard.id))))


def active_permits(session: Session, actor: Actor, limit: int = TABLE_ROWS) -> Listed:
    """Permits that authorise work now (``core.permit.in_force``) the actor may see, the
    soonest to end first, with their type, area and department."""
    base = visible(get_spec("permit"), actor).where(in_force_clause(utcnow()))
    stmt = (
        base.with_only_columns(
            Permit.number,
            Permit.location,
            Permit.state,
            Permit.planned_end,
            PermitType.name.label("type_name"),
            PermitType.name_en.label("type_name_en"),
            Area.name.label("area"),
            Department.name.label("unit"),
        )
        .select_from(Permit)
        .join(PermitType, PermitType.id == Permit.permit_type_id)
        .outerjoin(Area, Area.id == Permit.area_id)
        .outerjoin(Department, Department.id == Permit.department_id)
        .order_by(col(Permit.planned_end), col(Permit.id))
    )
    rows = list(session.execute(stmt.limit(limit)).all())
    return Listed(rows, _count(session, base.with_only_columns(col(Permit.id))))
