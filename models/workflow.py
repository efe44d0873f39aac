"""Workflow events: one row per state change of any workflow-bearing record.

Hazards, permits, corrective actions, contractor admissions, drills, duty tasks and
violations carry a ``state`` column; every transition appends an event here (who, when,
from, to, comment, attachments), so the workflow engine only adds transition rules.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from core.db import utcnow


class WorkflowEvent(SQLModel, table=True):
    __tablename__ = "workflow_event"
    __table_args__ = (Index("ix_workflow_event_row", "table_name", "row_id"),)

    id: int | None = Field(default=None, primary_key=True)
    table_name: str = Field(max_length=50)
    row_id: int
    from_state: str | None = Field(default=None, max_length=30)
    to_state: str = Field(max_length=30)
    action: str = Field(max_length=30)
    actor_id: int | None = Field(default=None, index=True)
    actor_name: str = Field(default="", max_length=50)
    comment: str | None = Field(default=None, max_length=1000)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    attachment_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    enterprise_id: int | None = Field(default=None, index=True)
    ts: datetime = Field(default_factory=utcnow, index=True)
