"""Inspection side of risk control: checklists whose items come from control measures, plans
that recur on a cycle, and the tasks they produce (the 隐患排查 rounds).

A plan yields at most one task per due date: ``(plan_id, due_date)`` is unique, so two task
generators running at once (cron and a page) cannot both create the same round. A task copies
its checklist's items when it is made (``InspectionTaskItem``), so editing the checklist later
never rewrites what an inspector was asked to check. Overdue is not stored by the generator:
it is a query (``core.inspection.todo.overdue_clause``) over ``due_date`` and the open states.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from models.base import EnterpriseScoped
from models.system import Attachment


class InspectionPlanType(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    SPECIAL = "special"
    COMPREHENSIVE = "comprehensive"


class InspectionTaskState(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    OVERDUE = "overdue"
    CANCELLED = "cancelled"


class InspectionResult(StrEnum):
    OK = "ok"
    ISSUES = "issues"


class CheckResult(StrEnum):
    """An inspector's verdict on one check item."""

    PASS = "pass"
    FAIL = "fail"
    NA = "na"


class InspectionChecklist(EnterpriseScoped, table=True):
    __tablename__ = "inspection_checklist"

    name: str = Field(max_length=100, index=True)
    unit_id: int | None = Field(default=None, foreign_key="risk_unit.id", index=True)
    description: str | None = Field(default=None, max_length=500)


class InspectionCheckItem(EnterpriseScoped, table=True):
    __tablename__ = "inspection_check_item"

    checklist_id: int = Field(foreign_key="inspection_checklist.id", index=True)
    seq: int = Field(default=1, ge=0)
    content: str = Field(max_length=300)
    standard: str | None = Field(default=None, max_length=500, description="检查标准")
    measure_id: int | None = Field(default=None, foreign_key="risk_measure.id", index=True)


class InspectionPlan(EnterpriseScoped, table=True):
    __tablename__ = "inspection_plan"

    name: str = Field(max_length=100, index=True)
    plan_type: InspectionPlanType = Field(default=InspectionPlanType.DAILY, index=True)
    cycle_days: int = Field(default=1, ge=1, le=366)
    checklist_id: int | None = Field(
        default=None, foreign_key="inspection_checklist.id", index=True
    )
    assignee_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    checkin_required: bool = Field(default=False)
    active: bool = Field(default=True, index=True)
    starts_on: date | None = Field(default=None)
    ends_on: date | None = Field(default=None)


class InspectionTask(EnterpriseScoped, table=True):
    __tablename__ = "inspection_task"
    __table_args__ = (UniqueConstraint("plan_id", "due_date", name="uq_inspection_task_plan_due"),)

    name: str = Field(max_length=120, index=True)
    plan_id: int | None = Field(default=None, foreign_key="inspection_plan.id", index=True)
    due_date: date = Field(index=True)
    assignee_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    state: InspectionTaskState = Field(default=InspectionTaskState.PENDING, index=True)
    done_at: datetime | None = Field(default=None)
    result: InspectionResult | None = Field(default=None, index=True)
    issues_found: int = Field(default=0, ge=0)
    checkin_location: str | None = Field(default=None, max_length=100)
    checkin_at: datetime | None = Field(default=None)
    remark: str | None = Field(default=None, max_length=500)


class InspectionTaskItem(EnterpriseScoped, table=True):
    """One line of a task: a copy of a check item taken when the task was generated, and the
    inspector's verdict on it. ``measure_id`` is copied too, so a failed line still finds its
    risk point after the checklist item is edited or deleted."""

    __tablename__ = "inspection_task_item"

    task_id: int = Field(foreign_key="inspection_task.id", index=True)
    check_item_id: int | None = Field(
        default=None, foreign_key="inspection_check_item.id", index=True
    )
    measure_id: int | None = Field(default=None, foreign_key="risk_measure.id", index=True)
    seq: int = Field(default=1, ge=0)
    content: str = Field(max_length=300)
    standard: str | None = Field(default=None, max_length=500)
    result: CheckResult | None = Field(default=None, index=True)
    remark: str | None = Field(default=None, max_length=500)
    photo_id: int | None = Field(
        default=None, foreign_key=f"{Attachment.__tablename__}.id", index=True
    )
    hazard_id: int | None = Field(default=None, foreign_key="hazard.id", index=True)
    checked_at: datetime | None = Field(default=None)
    checked_by: int | None = Field(default=None, foreign_key="user.id", index=True)
