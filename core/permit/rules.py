"""Permit rules shared by forms, imports and the demo: the permit number, the validity
window of GB 30871 grades and gas readings judged against the type's limits."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from sqlmodel import Session, select

from core.crud.service import ValidationFailed
from core.crud.validate import Problem
from core.db import utcnow
from core.numbering import next_in
from core.permit.templates import template_for
from core.rbac import Actor, PermissionDenied
from models.permit import Permit, PermitState
from models.permit_reference import GasLimit, PermitGas, PermitGasUnit, PermitGrade, PermitType

PLANT_TZ = timezone(timedelta(hours=8))  # permit numbers follow the plant's calendar day


def aware(moment: datetime) -> datetime:
    """SQLite hands datetimes back naive; they were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def permit_number(type_code: str, day: date, seq: int) -> str:
    """``DH20261124007``: type code, plant-local date, 3-digit sequence of that type and day."""
    return f"{type_code}{day:%Y%m%d}{seq:03d}"


def plant_day(moment: datetime) -> date:
    return aware(moment).astimezone(PLANT_TZ).date()


def next_number(session: Session, type_code: str, day: date) -> str:
    """The next number of a type and day from the shared allocator: two applicants pressing
    "submit" at once get consecutive numbers."""
    prefix = permit_number(type_code, day, 0)[:-3]
    return permit_number(type_code, day, next_in(session, Permit.number, prefix))


def validity_problem(start: datetime, end: datetime, hours: int) -> Problem | None:
    """GB 30871 caps each grade's permit (hot work 特级/一级 8 h, 二级 72 h)."""
    span = aware(end) - aware(start)
    if span < timedelta(0):
        return Problem("planned_end", "validation.permit_end_before_start", {})
    if span > timedelta(hours=hours):
        return Problem("planned_end", "validation.permit_validity_exceeded", {"hours": hours})
    return None


def _strictest(rows: list[GasLimit]) -> GasLimit:
    return min(rows, key=lambda r: r.max_value if r.max_value is not None else 1e9)


def pick_limit(limits: Iterable[GasLimit], gas: str, medium_lel: float | None) -> GasLimit | None:
    """The limit row for ``gas``; for combustibles the LEL band of the medium decides, and an
    unknown medium gets the strictest band (0.2 %vol). Of several toxic limits (CO's PC-TWA
    and PC-STEL) a spot reading is held to the strictest."""
    rows = [r for r in limits if r.gas == gas]
    if gas == PermitGas.COMBUSTIBLE and len(rows) > 1 and medium_lel is not None:
        rows = [
            r
            for r in rows
            if (r.lel_min is None or medium_lel >= r.lel_min)
            and (r.lel_max is None or medium_lel < r.lel_max)
        ] or rows
    return _strictest(rows) if rows else None


MOLAR_MASS = {PermitGas.H2S: 34.08, PermitGas.CO: 28.01}  # g/mol, for ppm <-> mg/m3 at 25 °C


def convert(
    value: float, gas: str, unit: str, target: str, medium_lel: float | None = None
) -> float:
    """Detectors read ppm and %LEL; GBZ 2.1 limits are mg/m3 (mg/m3 = ppm x M / 24.45) and
    GB 30871's combustible limits %vol (%vol = %LEL x the medium's LEL / 100)."""
    if unit == target:
        return value
    if (unit, target) == (PermitGasUnit.LEL_PCT, PermitGasUnit.VOL_PCT) and medium_lel:
        return value * medium_lel / 100
    mass = MOLAR_MASS.get(gas)  # type: ignore[call-overload]
    if mass is None:
        return value
    if (unit, target) == (PermitGasUnit.PPM, PermitGasUnit.MG_M3):
        return value * mass / 24.45
    if (unit, target) == (PermitGasUnit.MG_M3, PermitGasUnit.PPM):
        return value * 24.45 / mass
    return value


def within(
    limit: GasLimit | None,
    value: float,
    gas: str = "",
    unit: str = "",
    medium_lel: float | None = None,
) -> bool | None:
    """Is the reading inside the limit (converted to the limit's unit where needed)?"""
    if limit is None:
        return None
    if unit:
        value = convert(value, gas, unit, limit.unit, medium_lel)
    low_ok = limit.min_value is None or value >= limit.min_value
    high_ok = limit.max_value is None or value <= limit.max_value
    return low_ok and high_ok


def limits_for(session: Session, type_code: str) -> list[GasLimit]:
    stmt = select(GasLimit).where(GasLimit.type_code == type_code, GasLimit.deleted_at.is_(None))
    return list(session.exec(stmt.order_by(GasLimit.code)))


def before_save_permit(session: Session, values: dict[str, Any], actor: Actor) -> None:
    """Check grade and validity window, then number a new permit."""
    ptype = session.get(PermitType, values.get("permit_type_id") or -1)
    grade = session.get(PermitGrade, values.get("grade_id") or -1)
    if ptype is not None and grade is not None and grade.type_code != ptype.code:
        raise ValidationFailed([Problem("grade_id", "validation.permit_grade_type", {})])
    hours = grade.validity_hours if grade else (ptype.default_validity_hours if ptype else None)
    start, end = values.get("planned_start"), values.get("planned_end")
    if hours and start and end and (problem := validity_problem(start, end, hours)):
        raise ValidationFailed([problem])
    if ptype is not None and not values.get("template_id"):
        template = template_for(session, ptype.code)
        values["template_id"] = template.id if template else None
    if not values.get("number") and ptype is not None and start is not None:
        values["number"] = next_number(session, ptype.code, plant_day(start))


def _follow_permit(session: Session, values: dict[str, Any]) -> Permit | None:
    """Readings and signatures live where their permit does."""
    permit = session.get(Permit, values.get("permit_id") or -1)
    if permit is not None:
        values["enterprise_id"] = permit.enterprise_id
        values["department_id"] = permit.department_id
    return permit


ARCHIVED = (PermitState.CLOSED, PermitState.CANCELLED)
#: A detector's clock may run a little ahead of the server's.
CLOCK_SLACK = timedelta(minutes=5)


def before_save_reading(session: Session, values: dict[str, Any], actor: Actor) -> None:
    """Judge a reading against the type's limit; closed permits take no more readings."""
    permit = _follow_permit(session, values)
    if permit is not None and permit.state in ARCHIVED:
        raise PermissionDenied("error.record_locked")
    at = values.get("measured_at")
    if at is not None and aware(at) > utcnow() + CLOCK_SLACK:
        raise ValidationFailed([Problem("measured_at", "permit.reading_future", {})])
    ptype = session.get(PermitType, permit.permit_type_id) if permit else None
    if ptype is None or values.get("value") is None:
        values["within_limit"] = None
        return
    gas, unit, lel = values.get("gas") or "", values.get("unit") or "", values.get("medium_lel")
    if unit == PermitGasUnit.LEL_PCT and not lel:
        raise ValidationFailed([Problem("medium_lel", "permit.lel_needs_medium", {})])
    limit = pick_limit(limits_for(session, ptype.code), gas, lel)
    values["within_limit"] = within(limit, values["value"], gas, unit, lel)


def before_save_signature(session: Session, values: dict[str, Any], actor: Actor) -> None:
    _follow_permit(session, values)
