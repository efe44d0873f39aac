"""Notifications: what the system tells one user (a major hazard, an overdue escalation).

Rows are written by the workflow's side effects and by ``safeloop remind``; the home page
shows the unread ones. One row per (user, reason, record), so re-running a reminder or
re-firing a side effect never nags twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.db import utcnow


class Notification(SQLModel, table=True):
    __tablename__ = "notification"
    __table_args__ = (UniqueConstraint("user_id", "key", "table_name", "row_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    key: str = Field(max_length=60, description="catalogue key of the message")
    params: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    table_name: str | None = Field(default=None, max_length=50)
    row_id: int | None = Field(default=None)
    severity: str = Field(default="info", max_length=10)
    enterprise_id: int | None = Field(default=None, index=True)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    read_at: datetime | None = Field(default=None, index=True)
