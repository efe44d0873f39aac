"""What incidents ask of approvers on their to-do list: reports waiting for an investigation
and corrective actions waiting for verification (never those the approver completed).
Deadlines of the actions themselves are on the list through ``core.incident.reminders``."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col

from core.crud.lookup import visible
from core.crud.registry import get_spec
from core.inbox import LIMIT, TodoItem, todo_provider
from core.rbac import Actor
from models.enums import Action, Module
from models.incident import Incident, IncidentKind, IncidentState
from models.incident_action import CorrectiveAction, CorrectiveActionState


@todo_provider
def incidents_waiting(session: Session, actor: Actor, today: date) -> list[TodoItem]:
    """One line per incident to investigate and per action to verify, in the actor's scope."""
    if not actor.can(Module.INCIDENT, Action.APPROVE):
        return []
    reported = visible(get_spec("incident"), actor).where(Incident.state == IncidentState.REPORTED)
    items = [
        TodoItem(
            "todo.incident_investigate",
            {"number": i.number, "title": i.title},
            "info" if i.kind == IncidentKind.NEAR_MISS else "warning",
            get_spec("incident").page,
            i.occurred_at.date(),
            i.id,
        )
        for i in session.exec(reported.order_by(col(Incident.occurred_at)).limit(LIMIT)).all()
    ]
    verifying = visible(get_spec("corrective_action"), actor).where(
        CorrectiveAction.state == CorrectiveActionState.VERIFYING,
        col(CorrectiveAction.completed_by).is_distinct_from(actor.user_id),
    )
    items += [
        TodoItem(
            "todo.corrective_action_verify",
            {"content": a.content},
            "info",
            get_spec("corrective_action").page,
            a.deadline,
            a.id,
        )
        for a in session.exec(verifying.order_by(col(CorrectiveAction.deadline)).limit(LIMIT))
    ]
    return items
