"""Notifications: what the system tells one user (a major hazard, an overdue escalation),
and their deliveries outside the app.

Rows are written by the workflow's side effects and by ``safeloop remind``; the home page
shows the unread ones. One row per (user, reason, record, occasion), so re-running a reminder
or re-firing a side effect never nags twice, while a certificate renewed and due again (a new
occasion: its new due date) is reminded again. ``Delivery`` keeps one row per notification,
channel and target: a delivered one is never sent twice, a failed one waits for the next try.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.db import utcnow


class Notification(SQLModel, table=True):
    __tablename__ = "notification"
    __table_args__ = (UniqueConstraint("user_id", "key", "table_name", "row_id", "occasion"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    key: str = Field(max_length=60, description="catalogue key of the message")
    params: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    table_name: str | None = Field(default=None, max_length=50)
    row_id: int | None = Field(default=None)
    occasion: str = Field(default="", max_length=20, description="e.g. the due date reminded")
    severity: str = Field(default="info", max_length=10)
    enterprise_id: int | None = Field(default=None, index=True)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    read_at: datetime | None = Field(default=None, index=True)


class DeliveryState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # tried and gave up for this run; retried on the next one


class Delivery(SQLModel, table=True):
    """One notification sent (or to be sent) by one channel to one target."""

    __tablename__ = "delivery"
    __table_args__ = (UniqueConstraint("notification_id", "channel", "target"),)

    id: int | None = Field(default=None, primary_key=True)
    notification_id: int = Field(foreign_key="notification.id", index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    channel: str = Field(max_length=20, description="email | webhook")
    target: str = Field(max_length=300, description="address, or the webhook's name")
    state: DeliveryState = Field(default=DeliveryState.PENDING, index=True)
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, max_length=500)
    next_attempt_at: datetime | None = Field(default=None, index=True)
    sent_at: datetime | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    enterprise_id: int | None = Field(default=None, index=True)
