"""Emergency drills (应急演练): plan → scheme → training → drill → evaluation, and the
statutory frequency a plan's drills must keep."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlmodel import Field

from models.base import EnterpriseScoped
from models.emergency import EmergencyPlanKind


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
    state: DrillState = Field(default=DrillState.PLANNED, index=True)


# 《生产安全事故应急预案管理办法》 art. 33: comprehensive/special plans yearly, on-site half-yearly.
DRILL_INTERVAL_DAYS = {
    EmergencyPlanKind.COMPREHENSIVE: 365,
    EmergencyPlanKind.SPECIAL: 365,
    EmergencyPlanKind.ON_SITE: 182,
}
HIGH_RISK_INTERVAL_DAYS = 182  # hazardous goods, mining, smelting, ...: every half year


def drill_overdue(
    kind: EmergencyPlanKind, last_held: date | None, today: date, *, high_risk: bool = False
) -> bool:
    """Whether a plan has gone longer than its statutory interval without a drill."""
    interval = DRILL_INTERVAL_DAYS[kind]
    if high_risk:
        interval = min(interval, HIGH_RISK_INTERVAL_DAYS)
    return last_held is None or (today - last_held).days > interval


def drill_state(
    *,
    scheme_done_on: date | None,
    trained_on: date | None,
    held_on: date | None,
    evaluated_on: date | None,
) -> DrillState:
    """The furthest step a drill's dates show it has reached."""
    if evaluated_on:
        return DrillState.EVALUATED
    if held_on:
        return DrillState.HELD
    if trained_on:
        return DrillState.TRAINED
    if scheme_done_on:
        return DrillState.SCHEME_READY
    return DrillState.PLANNED
