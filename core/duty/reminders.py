"""What duty tasks ask of people by a date: the task's person is told a few days before it is
due and when it passes, the managers once it is a week overdue; handed-in tasks owe nothing."""

from __future__ import annotations

from sqlmodel import col

from core.inbox import DueDate, due_date
from models.duty import OPEN_STATES, DutyTask

TASK_DUE = due_date(
    DueDate(
        name="duty_task_due",
        table="duty_task",
        column="due_on",
        label="remind.kind.duty_task",
        holder="person_id",
        lead_days=3,
        still_due=lambda _horizon: col(DutyTask.state).in_(OPEN_STATES),
    )
)
