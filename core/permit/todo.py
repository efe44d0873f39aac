"""作业票待办: the permits waiting for this user — a signature due, a site to prepare as the
guardian, the user's own applications still moving, the work running now. A query over open
states and the user's place in each permit, like the hazard to-do list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, or_

from core.crud.lookup import visible
from core.crud.registry import get_spec
from core.inbox import TodoItem, todo_provider
from core.permit.approval import chain_state, step_for, template_of
from core.rbac import Actor
from models.enums import Action, Module
from models.permit import Permit, PermitState

OPEN = (
    PermitState.DRAFT,
    PermitState.REJECTED,
    PermitState.APPROVING,
    PermitState.APPROVED,
    PermitState.GAS_TESTED,
    PermitState.IN_PROGRESS,
    PermitState.SUSPENDED,
    PermitState.COMPLETED,
)
PREPARE = (PermitState.APPROVING, PermitState.APPROVED, PermitState.GAS_TESTED)
RUNNING = (PermitState.IN_PROGRESS, PermitState.SUSPENDED)
LIMIT = 200
PAGE = "pages/permit_work.py"


@dataclass(frozen=True)
class PermitTasks:
    to_sign: list[Permit]
    to_guard: list[Permit]
    mine: list[Permit]
    running: list[Permit]

    def all_ids(self) -> list[int]:
        seen: dict[int, None] = {}
        for group in (self.to_sign, self.to_guard, self.mine, self.running):
            seen.update(dict.fromkeys(p.id for p in group))
        return list(seen)


def my_permit_tasks(session: Session, actor: Actor) -> PermitTasks:
    base = visible(get_spec("permit"), actor).where(col(Permit.state).in_(OPEN))
    approving = session.exec(
        base.where(Permit.state == PermitState.APPROVING)
        .order_by(Permit.planned_start)
        .limit(LIMIT)
    ).all()
    to_sign = [
        p for p in approving if step_for(chain_state(session, p, template_of(session, p)), p, actor)
    ]
    to_guard = []
    if actor.person_id is not None:
        to_guard = list(
            session.exec(
                base.where(
                    Permit.guardian_id == actor.person_id,
                    col(Permit.state).in_((*PREPARE, *RUNNING)),
                ).order_by(Permit.planned_start)
            )
        )
    mine = list(
        session.exec(
            base.where(
                or_(Permit.applicant_id == actor.user_id, Permit.created_by == actor.user_id)
            )
            .order_by(col(Permit.planned_start).desc())
            .limit(LIMIT)
        )
    )
    running = list(
        session.exec(
            base.where(col(Permit.state).in_(RUNNING)).order_by(Permit.planned_start).limit(LIMIT)
        )
    )
    return PermitTasks(to_sign, to_guard, mine, running)


@todo_provider
def permits_waiting(session: Session, actor: Actor, today: date) -> list[TodoItem]:
    """The home page's share: signatures due, sites to prepare, suspended work."""
    if not actor.can(Module.PERMIT, Action.VIEW):
        return []
    tasks = my_permit_tasks(session, actor)
    items = [
        TodoItem("todo.permit_sign", _params(p), "warning", PAGE, p.planned_start.date(), p.id)
        for p in tasks.to_sign
    ]
    items += [
        TodoItem(
            "todo.permit_suspended" if p.state == PermitState.SUSPENDED else "todo.permit_guard",
            _params(p),
            "error" if p.state == PermitState.SUSPENDED else "info",
            PAGE,
            p.planned_start.date(),
            p.id,
        )
        for p in tasks.to_guard
        if p.state in (*PREPARE, PermitState.SUSPENDED)
    ]
    return items


def _params(p: Permit) -> dict[str, object]:
    return {"number": p.number, "location": p.location}
