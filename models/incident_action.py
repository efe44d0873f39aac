"""Corrective actions (整改措施): from an incident or another source (hazard, inspection, drill,
audit), tracked through their workflow; "overdue" is a question asked of the deadline. Who
completed an action is kept so that someone else verifies it."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlmodel import Field

from models.base import EnterpriseScoped


class CorrectiveActionSource(StrEnum):
    INCIDENT = "incident"
    HAZARD = "hazard"
    INSPECTION = "inspection"
    DRILL = "drill"
    AUDIT = "audit"
    OTHER = "other"


class CorrectiveActionState(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    VERIFYING = "verifying"
    CLOSED = "closed"


class CorrectiveAction(EnterpriseScoped, table=True):
    __tablename__ = "corrective_action"

    content: str = Field(max_length=500, index=True)
    source: CorrectiveActionSource = Field(default=CorrectiveActionSource.INCIDENT, index=True)
    incident_id: int | None = Field(default=None, foreign_key="incident.id", index=True)
    drill_id: int | None = Field(default=None, foreign_key="drill.id", index=True)
    source_ref: str | None = Field(default=None, max_length=100, description="来源单号")
    owner_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    deadline: date | None = Field(default=None, index=True)
    state: CorrectiveActionState = Field(default=CorrectiveActionState.OPEN, index=True)
    completion: str | None = Field(default=None, max_length=1000, description="完成情况")
    completed_by: int | None = Field(default=None, foreign_key="user.id", index=True)
    completed_at: datetime | None = Field(default=None)
    closed_at: datetime | None = Field(default=None)
    verification: str | None = Field(default=None, max_length=500)
