"""Emergency drills (应急演练): plan → scheme → training → drill → evaluation, and the
statutory frequency a plan's drills must keep."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlmodel import Field

from models.base import EnterpriseScoped


class DrillState(StrEnum):
    """The seed's 演练节点: 计划编制 → 演练方案 → 培训 → 实际演练 → 演练评估."""

    PLANNED = "planned"
    SCHEME_READY = "scheme_ready"
    TRAINED = "trained"
    HELD = "held"
    EVALUATED = "evaluated"
    CANCELLED = "cancelled"


class DrillLevel(StrEnum):
    COMPANY = "company"
    PLANT = "plant"
    WORKSHOP = "workshop"


class DrillForm(StrEnum):
    TABLETOP = "tabletop"
    LIVE = "live"
    FUNCTIONAL = "functional"


class Drill(EnterpriseScoped, table=True):
    """``findings`` (one per line) become corrective actions of ``action_owner_id`` due on
    ``action_deadline`` when the drill is evaluated."""

    __tablename__ = "drill"

    plan_id: int | None = Field(default=None, foreign_key="emergency_plan.id", index=True)
    name: str = Field(max_length=120, index=True)
    level: DrillLevel = Field(default=DrillLevel.COMPANY, index=True)
    form: DrillForm = Field(default=DrillForm.LIVE)
    location: str | None = Field(default=None, max_length=100)
    planned_on: date = Field(index=True)
    scheme_done_on: date | None = Field(default=None)
    trained_on: date | None = Field(default=None)
    trainees: int | None = Field(default=None, ge=0)
    held_on: date | None = Field(default=None, index=True)
    participants: int | None = Field(default=None, ge=0)
    evaluated_on: date | None = Field(default=None)
    evaluation: str | None = Field(default=None, max_length=2000)
    findings: str | None = Field(default=None, max_length=2000, description="one per line")
    action_owner_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    action_deadline: date | None = Field(default=None)
    state: DrillState = Field(default=DrillState.PLANNED, index=True)
