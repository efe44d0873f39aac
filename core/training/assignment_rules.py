"""Rules of plan items and assignments, shared by forms, imports and the reminders: what a
target needs, what a started assignment keeps, and which assignments are overdue."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from core.clock import site_today
from core.crud.registry import get_spec
from core.crud.service import ValidationFailed
from core.crud.validate import Problem, is_blank
from core.rbac import Actor
from core.training.assignment_flow import OPEN_STATES
from core.training.rules import before_person_row
from models.training_learning import AssignmentSource, AssignmentState, PlanTarget
from models.training_learning import TrainingAssignment as A

#: The column each target kind names its group by (enterprise: the plan's whole enterprise).
TARGET_COLUMN: dict[str, str] = {
    PlanTarget.DEPARTMENT: "department_id",
    PlanTarget.POST: "post_id",
    PlanTarget.ROLE: "role",
    PlanTarget.CONTRACTOR: "contractor_id",
}
NEW_HIRE_DAYS = 90
#: What an assignment keeps once its person has started: whose and which course and by when.
FIXED_ONCE_STARTED = ("person_id", "course_id", "due_on")


def before_plan_item(session: Session, values: dict[str, Any], actor: Actor) -> None:
    """A target names its group: a department target needs the department, and so on;
    new hires default to those hired in the last 90 days."""
    target = str(values.get("target") or PlanTarget.DEPARTMENT)
    if target == PlanTarget.NEW_HIRES and values.get("hired_within_days") is None:
        values["hired_within_days"] = NEW_HIRE_DAYS
    needed = TARGET_COLUMN.get(target)
    if needed is not None and is_blank(values.get(needed)):
        label = get_spec("training_plan_item").field(needed).label_key
        params = {"target": f"enum.PlanTarget.{target}", "field": label}
        raise ValidationFailed([Problem(needed, "validation.training_assign.target_needs", params)])


def before_assignment(session: Session, values: dict[str, Any], actor: Actor) -> None:
    """A form makes a manual assignment, assigned today, in its person's scope; once started,
    its person, course and due date stay as they were."""
    before_person_row(session, values, actor)
    if values.get("id") is None:
        values["source"] = AssignmentSource.MANUAL
        values["assigned_on"] = values.get("assigned_on") or site_today()
        values["plan_id"] = values["plan_item_id"] = None
        return
    stored = session.get(A, values["id"])
    if stored is None or stored.state == AssignmentState.ASSIGNED:
        return
    changed = [f for f in FIXED_ONCE_STARTED if values.get(f) != getattr(stored, f)]
    if changed:
        params = {"state": f"enum.AssignmentState.{stored.state}"}
        raise ValidationFailed(
            [Problem(f, "validation.training_assign.fixed_once_started", params) for f in changed]
        )


def is_open() -> ColumnElement[bool]:
    return col(A.state).in_(OPEN_STATES)


def overdue(today: date) -> ColumnElement[bool]:
    """Open assignments past their due date (the list preset and the coverage say the same)."""
    return is_open() & (col(A.due_on) < today)
