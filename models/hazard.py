"""Hazards (隐患排查治理): the hazard register, its categories and the rectification SLA.

A hazard moves report → confirm / reject → rectify → verify → close (SAWS Order 16). Overdue is
not stored: it is a query over ``deadline`` and ``state`` (``core.hazard.overdue``), so it can
never go stale.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field

from core.db import utcnow
from models.base import EnterpriseScoped, Record


class HazardLevel(StrEnum):
    """一般 / 重大事故隐患, as 《安全生产事故隐患排查治理暂行规定》 art. 3 defines them."""

    GENERAL = "general"
    MAJOR = "major"


class HazardSource(StrEnum):
    """How the hazard was found: the seeds' 人防 (checks, 随手拍) and 技防 (detectors)."""

    INSPECTION = "inspection"
    QUICK_REPORT = "quick_report"
    DETECTOR = "detector"
    SPECIAL_CHECK = "special_check"
    SUPERIOR_CHECK = "superior_check"


class HazardState(StrEnum):
    """Every state of the hazard workflow (transitions are declared by the workflow engine)."""

    REPORTED = "reported"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    RECTIFYING = "rectifying"
    EXTENSION_REQUESTED = "extension_requested"
    VERIFYING = "verifying"
    CLOSED = "closed"
    VOIDED = "voided"


#: States in which a hazard no longer waits for anyone, so it cannot be overdue.
FINISHED_STATES: tuple[HazardState, ...] = (
    HazardState.CLOSED,
    HazardState.VOIDED,
    HazardState.REJECTED,
)
#: The rest: someone still owes the hazard a step. Queries name these (``IN``) rather than
#: excluding the finished ones, so the (state, deadline) index serves the overdue and open lists.
OPEN_STATES: tuple[HazardState, ...] = tuple(s for s in HazardState if s not in FINISHED_STATES)


class HazardCategory(Record, table=True):
    """隐患类别. Sub-categories name their parent by code, because reference files are loaded
    without ids (a code survives a reload and an export; an id does not)."""

    __tablename__ = "hazard_category"

    code: str = Field(max_length=20, unique=True, index=True)
    name: str = Field(max_length=60, unique=True, index=True)
    name_en: str | None = Field(default=None, max_length=80)
    parent_code: str | None = Field(default=None, max_length=20, index=True)
    description: str | None = Field(default=None, max_length=500)


class HazardSla(Record, table=True):
    """Rectification time limit per hazard level; fills an empty deadline on save."""

    __tablename__ = "hazard_sla"

    code: str = Field(max_length=30, unique=True, index=True)
    level: HazardLevel = Field(default=HazardLevel.GENERAL, index=True)
    days: int = Field(default=7, ge=0, le=3650)
    description: str | None = Field(default=None, max_length=500)


class Hazard(EnterpriseScoped, table=True):
    """One hazard from discovery to close-out, with who fixed and who verified it."""

    __tablename__ = "hazard"
    __table_args__ = (Index("ix_hazard_state_deadline", "state", "deadline"),)

    number: str | None = Field(default=None, max_length=30, unique=True, index=True)
    title: str = Field(max_length=200, index=True)
    description: str | None = Field(default=None, max_length=2000)
    level: HazardLevel = Field(default=HazardLevel.GENERAL, index=True)
    category_id: int | None = Field(default=None, foreign_key="hazard_category.id", index=True)
    source: HazardSource = Field(default=HazardSource.INSPECTION, index=True)
    area_id: int | None = Field(default=None, foreign_key="area.id", index=True)
    location: str | None = Field(default=None, max_length=200)
    plan_x: float | None = Field(default=None, description="Position on the floor plan, metres")
    plan_y: float | None = Field(default=None)
    risk_point_id: int | None = Field(default=None, foreign_key="risk_point.id", index=True)
    inspection_task_id: int | None = Field(
        default=None, foreign_key="inspection_task.id", index=True
    )
    accident_type_id: int | None = Field(default=None, foreign_key="accident_type.id", index=True)
    reporter_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    found_at: datetime = Field(default_factory=utcnow, index=True)
    owner_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    owner_department_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    deadline: date | None = Field(default=None, index=True)
    extension_deadline: date | None = Field(default=None, description="Requested new deadline")
    measures: str | None = Field(default=None, max_length=2000)
    cost: float | None = Field(default=None, ge=0)
    rectified_at: datetime | None = Field(default=None)
    rectifier_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    verifier_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    verified_at: datetime | None = Field(default=None)
    closed_at: datetime | None = Field(default=None, index=True)
    repeat_of_id: int | None = Field(default=None, foreign_key="hazard.id", index=True)
    state: HazardState = Field(default=HazardState.REPORTED, index=True)
