"""Duty performance (安全履责): duties per post, tasks per person and cycle, submissions.

A duty item says what a post must do and how often; the task generator turns it into one
task per person and period, and the holder submits evidence that a reviewer approves or
returns. "Overdue" is not a state: it is a query (an open task past ``due_on``), so it never
goes stale between runs of a timer.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlmodel import Field

from models.base import EnterpriseScoped


class DutyCycle(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"


class DutyTaskState(StrEnum):
    """The task workflow: pending → submitted → approved, or → returned → submitted again."""

    PENDING = "pending"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"


class DutyDecision(StrEnum):
    APPROVED = "approved"
    RETURNED = "returned"


OPEN_STATES = (DutyTaskState.PENDING, DutyTaskState.RETURNED)


class DutyItem(EnterpriseScoped, table=True):
    """One line of a post's safety-duty list (岗位安全职责清单)."""

    __tablename__ = "duty_item"

    post_id: int = Field(foreign_key="post.id", index=True)
    name: str = Field(max_length=100, index=True)
    content: str = Field(max_length=1000)
    cycle: DutyCycle = Field(default=DutyCycle.MONTHLY, index=True)
    evidence_required: bool = Field(default=True)
    weight: float = Field(default=10, ge=0, le=100, description="Points in the duty ranking")
    basis: str | None = Field(default=None, max_length=200, description="Regulation clause")
    active: bool = Field(default=True, index=True)


class DutyTask(EnterpriseScoped, table=True):
    """One person's duty for one period."""

    __tablename__ = "duty_task"

    item_id: int = Field(foreign_key="duty_item.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    name: str = Field(max_length=140, index=True)
    period_start: date = Field(index=True)
    period_end: date | None = Field(default=None)
    due_on: date | None = Field(default=None, index=True)
    state: DutyTaskState = Field(default=DutyTaskState.PENDING, index=True)
    submitted_at: datetime | None = Field(default=None)
    submitted_by: int | None = Field(default=None, foreign_key="user.id", index=True)
    on_time: bool | None = Field(default=None, index=True)
    score: float | None = Field(default=None, ge=0, le=100)


class DutySubmission(EnterpriseScoped, table=True):
    """Evidence handed in for a task, and the reviewer's verdict on it: written by the task's
    workflow (submit, approve, return), one row per submission, never typed in."""

    __tablename__ = "duty_submission"

    task_id: int = Field(foreign_key="duty_task.id", index=True)
    submitted_at: datetime = Field(index=True)
    content: str = Field(max_length=2000)
    reviewer_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    reviewed_at: datetime | None = Field(default=None)
    decision: DutyDecision | None = Field(default=None, index=True)
    comment: str | None = Field(default=None, max_length=1000)
    score: float | None = Field(default=None, ge=0, le=100)
