"""Gas readings during the work (作业中气体检测): entered by hand or imported from a
detector's CSV export, listed on the permit, and how late the next one is. A reading out of
its limit suspends a running permit through the table's after-create hook
(``core.permit.flow.reading_saved``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import Session, col, select

from core.clock import site_zone
from core.crud import service
from core.crud.registry import get_spec
from core.db import utcnow
from core.permit.approval import template_of
from core.permit.gas import parse_detector_csv
from core.permit.rules import aware
from core.rbac import Actor
from models.permit import Permit, PermitGasReading, PermitState

#: The most readings the permit's tab lists (newest first).
SHOWN_READINGS = 200


def record_reading(session: Session, actor: Actor, values: dict[str, Any]) -> PermitGasReading:
    """A reading entered on the permit (tester, time, gas, value); the table's after-create
    hook suspends a running permit when it is out of limit."""
    return service.create_row(session, get_spec("permit_gas_reading"), actor, values)


def import_readings(
    session: Session, actor: Actor, permit_id: int, rows: list[dict[str, Any]]
) -> list[PermitGasReading]:
    """A detector's export, all rows or none (the caller's transaction)."""
    with session.begin_nested():
        return [record_reading(session, actor, {**r, "permit_id": permit_id}) for r in rows]


def import_detector_csv(
    session: Session, actor: Actor, permit_id: int, data: bytes, medium_lel: float | None
) -> list[PermitGasReading]:
    """A multi-gas detector's CSV export: refused whole, with each bad row named, or stored
    whole; the plant's time zone reads the detector's local clock."""
    rows, problems = parse_detector_csv(data, site_zone(), medium_lel)
    if problems:
        raise service.ValidationFailed(problems)
    return import_readings(session, actor, permit_id, rows)


def readings_of(
    session: Session, actor: Actor, permit_id: int, limit: int = SHOWN_READINGS
) -> list[PermitGasReading]:
    """A permit's live readings, newest first. Whoever may see the permit sees all of its
    readings (the tester's own scope does not hide them from the guardian); a permit out of
    the actor's scope raises ``NotFound``."""
    service.get_row(session, get_spec("permit"), actor, permit_id)
    stmt = (
        select(PermitGasReading)
        .where(PermitGasReading.permit_id == permit_id, col(PermitGasReading.deleted_at).is_(None))
        .order_by(col(PermitGasReading.measured_at).desc())
        .limit(limit)
    )
    return list(session.exec(stmt).all())


def overdue_readings(session: Session, permit: Permit) -> timedelta | None:
    """How long the latest reading of a running permit is past the template's interval."""
    template = template_of(session, permit)
    interval = template.reading_interval_min if template else None
    if permit.state != PermitState.IN_PROGRESS or not interval:
        return None
    last = session.exec(
        select(PermitGasReading.measured_at)
        .where(PermitGasReading.permit_id == permit.id)
        .order_by(col(PermitGasReading.measured_at).desc())
    ).first()
    due = aware(last or permit.started_at or permit.planned_start) + timedelta(minutes=interval)
    late = utcnow() - due
    return late if late > timedelta(0) else None
