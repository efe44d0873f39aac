"""Hazard rules shared by forms, imports and the demo: numbering and SLA deadlines
(overdue is ``core.hazard.overdue``).

They live outside the UI so that a hazard typed in a form, imported from Excel or generated
for the demo gets the same number format and the same default deadline.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from core.crud.service import ValidationFailed
from core.crud.validate import Problem
from core.db import utcnow
from core.numbering import next_in
from core.rbac import Actor
from models.hazard import Hazard, HazardCategory, HazardLevel, HazardSla
from models.org import Person

NUMBER_PREFIX = "YH"
#: Used when the SLA table has no row for a level (the admin deleted it).
FALLBACK_DAYS: dict[HazardLevel, int] = {HazardLevel.GENERAL: 7, HazardLevel.MAJOR: 30}


def format_number(year: int, seq: int) -> str:
    """``YH-2026-000123``: year of discovery and a per-year sequence, sortable as text."""
    return f"{NUMBER_PREFIX}-{year}-{seq:06d}"


def next_number(session: Session, year: int) -> str:
    """The year's next number from the shared allocator, safe under concurrent reporters."""
    return format_number(year, next_in(session, Hazard.number, f"{NUMBER_PREFIX}-{year}-"))


def sla_days(session: Session, level: HazardLevel | str) -> int:
    """Days allowed to rectify a hazard of ``level``, from the admin-editable SLA table."""
    days = session.exec(
        select(HazardSla.days)
        .where(HazardSla.level == level, col(HazardSla.deleted_at).is_(None))
        .order_by(col(HazardSla.id))
    ).first()
    return days if days is not None else FALLBACK_DAYS[HazardLevel(level)]


def as_utc(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every stored one is UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def default_deadline(start: datetime | date, days: int) -> date:
    """``days`` after the start day; a moment counts from its (UTC) day."""
    day = (as_utc(start) or utcnow()).date() if isinstance(start, datetime) else start
    return day + timedelta(days=days)


def deadline_for(session: Session, level: HazardLevel | str, start: datetime | date) -> date:
    """A hazard's SLA deadline, the one rule every path shares: a report counts from its
    discovery, a confirmation from the day it is confirmed."""
    return default_deadline(start, sla_days(session, level))


def timeline_problems(values: dict[str, Any]) -> list[Problem]:
    """Found, rectified, verified and closed must follow each other in time."""
    order = ("found_at", "rectified_at", "verified_at", "closed_at")
    problems: list[Problem] = []
    previous: tuple[str, datetime] | None = None
    for name in order:
        moment = as_utc(values.get(name))
        if moment is None:
            continue
        if previous is not None and moment < previous[1]:
            problems.append(Problem(name, "validation.hazard_time_order", {}))
        previous = (name, moment)
    return problems


def before_save_hazard(session: Session, values: dict[str, Any], actor: Actor) -> None:
    """Number, deadline and owner department default here so every entry path agrees."""
    found_at = as_utc(values.get("found_at")) or utcnow()
    values["found_at"] = found_at
    problems = timeline_problems(values)
    if problems:
        raise ValidationFailed(problems)
    if not values.get("number"):
        values["number"] = next_number(session, found_at.year)
    level = values.get("level") or HazardLevel.GENERAL
    if values.get("deadline") is None:
        values["deadline"] = deadline_for(session, level, found_at)
    if values.get("owner_department_id") is None and values.get("owner_id") is not None:
        owner = session.get(Person, values["owner_id"])
        values["owner_department_id"] = owner.department_id if owner else None
    if values.get("reporter_id") is None:
        values["reporter_id"] = actor.user_id


def before_save_category(session: Session, values: dict[str, Any], actor: Actor) -> None:
    """A sub-category must name an existing category other than itself."""
    parent = values.get("parent_code")
    if not parent:
        values["parent_code"] = None
        return
    exists = session.exec(select(HazardCategory.id).where(HazardCategory.code == parent)).first()
    if parent == values.get("code") or exists is None:
        raise ValidationFailed(
            [Problem("parent_code", "validation.hazard_parent_missing", {"value": parent})]
        )
