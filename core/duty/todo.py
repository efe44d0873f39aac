"""What duty tasks ask of reviewers now: hand-ins waiting for a verdict (the task's person
finds tasks coming due, returned ones included, through ``reminders``)."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col

from core.crud.lookup import visible
from core.crud.registry import get_spec
from core.inbox import LIMIT, TodoItem, todo_provider
from core.rbac import Actor
from models.duty import DutyTask, DutyTaskState
from models.enums import Action, Module

PAGE = "pages/duty_task.py"


@todo_provider
def duty_to_review(session: Session, actor: Actor, today: date) -> list[TodoItem]:
    """Submitted tasks in the actor's scope they may review (never their own), oldest due
    first."""
    if not actor.can(Module.DUTY, Action.APPROVE):
        return []
    stmt = visible(get_spec("duty_task"), actor).where(
        DutyTask.state == DutyTaskState.SUBMITTED,
        col(DutyTask.submitted_by).is_distinct_from(actor.user_id),
        col(DutyTask.person_id).is_distinct_from(actor.person_id),
    )
    return [
        TodoItem(
            "todo.duty_review",
            {"title": task.name, "due": str(task.due_on or "")},
            "warning" if task.due_on is not None and task.due_on < today else "info",
            PAGE,
            task.due_on,
            task.id,
        )
        for task in session.exec(stmt.order_by(col(DutyTask.due_on)).limit(LIMIT)).all()
    ]
