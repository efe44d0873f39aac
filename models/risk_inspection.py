"""Inspection side of risk control: checklists whose items come from control measures, plans
that recur on a cycle, and the tasks they produce (the 隐患排查 rounds).

A task's ``state`` is its workflow state; transitions (a later issue) append
``models.workflow.WorkflowEvent`` rows.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlmodel import Field

from models.base import EnterpriseScoped


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

    name: str = Field(max_length=120, index=True)
    plan_id: int | None = Field(default=None, foreign_key="inspection_plan.id", index=True)
    due_date: date = Field(index=True)
    assignee_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    state: InspectionTaskState = Field(default=InspectionTaskState.PENDING, index=True)
    done_at: datetime | None = Field(default=None)
    result: InspectionResult | None = Field(default=None, index=True)
    issues_found: int = Field(default=0, ge=0)
    checkin_location: str | None = Field(default=None, max_length=100)
    remark: str | None = Field(default=None, max_length=500)
