"""What hazards ask of people: the to-do entries per user and the overdue escalation.

Both are queries over state, owner and deadline, never timers: the home page asks on every
visit, and ``safeloop remind`` (cron) writes the escalation notices, idempotently.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, select

from core.crud.lookup import visible
from core.crud.registry import get_spec
from core.hazard.flow import IN_RECTIFICATION, MANAGERS
from core.hazard.overdue import overdue_clause
from core.inbox import TodoItem, reminder, todo_provider
from core.notify import Responsible, notify_many
from core.rbac import Actor
from models.enums import Action, Module
from models.hazard import Hazard, HazardState

PAGE = "pages/hazard_hazard.py"
#: (state, to-do key, who: "approver" or "owner") — one to-do line per waiting hazard.
WAITING: tuple[tuple[tuple[str, ...], str, str], ...] = (
    ((HazardState.REPORTED,), "todo.hazard_confirm", "approver"),
    ((HazardState.VERIFYING,), "todo.hazard_verify", "approver"),
    ((HazardState.EXTENSION_REQUESTED,), "todo.hazard_extension", "approver"),
    (IN_RECTIFICATION, "todo.hazard_rectify", "owner"),
)
LIMIT = 50


@todo_provider
def hazards_waiting(session: Session, actor: Actor, today: date) -> list[TodoItem]:
    """Hazards waiting for this user's step, in their scope; overdue ones first."""
    if not actor.can(Module.HAZARD, Action.VIEW):
        return []
    base = visible(get_spec("hazard"), actor)
    items: list[TodoItem] = []
    for states, key, who in WAITING:
        stmt = base.where(col(Hazard.state).in_(states))
        if who == "approver":
            if not actor.can(Module.HAZARD, Action.APPROVE):
                continue
            if key == "todo.hazard_verify":
                stmt = stmt.where(col(Hazard.rectifier_id).is_distinct_from(actor.user_id))
        elif actor.person_id is None:
            continue
        else:
            stmt = stmt.where(Hazard.owner_id == actor.person_id)
        for h in session.exec(stmt.order_by(col(Hazard.deadline)).limit(LIMIT)).all():
            late = h.deadline is not None and h.deadline < today
            items.append(
                TodoItem(
                    key,
                    {"number": h.number, "title": h.title, "deadline": str(h.deadline or "")},
                    "error" if late else "warning" if h.level == "major" else "info",
                    PAGE,
                    h.deadline,
                    h.id,
                )
            )
    return items


@reminder("overdue hazards")
def escalate_overdue(session: Session, today: date) -> int:
    """Tell the owner's department head and the safety managers about each overdue hazard,
    once per hazard and person. Returns how many notices were new."""
    stmt = select(Hazard).where(overdue_clause(today))
    responsible = Responsible(session, sorted(MANAGERS))
    notices = []
    for h in session.exec(stmt).all():
        people = responsible(h.enterprise_id, h.owner_department_id or h.department_id)
        params = {"number": h.number, "title": h.title, "deadline": str(h.deadline)}
        notices += [
            {
                "user_id": uid,
                "key": "notify.hazard_overdue",
                "table_name": "hazard",
                "row_id": h.id,
                "params": params,
                "severity": "error",
                "enterprise_id": h.enterprise_id,
            }
            for uid in people
        ]
    return notify_many(session, notices)
