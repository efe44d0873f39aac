"""The training assignment's workflow: assigned → in progress → completed, or waived.

The person starts it by opening the course or an exam of it (``mark_started``, or the
system for them); only the system completes it, when the course is complete
(``core.training.course_completion``), so nobody ticks "done" on a course never taken. A
manager with the approve grant waives an open assignment, saying why (a person exempt by
their certificate, a course that no longer applies).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from core.clock import site_today
from core.rbac import SYSTEM, Actor
from core.workflow import Transition, Workflow, declare, fire, opener
from models.enums import Action
from models.training_learning import AssignmentState as S
from models.training_learning import TrainingAssignment

OPEN_STATES: tuple[str, ...] = (S.ASSIGNED, S.IN_PROGRESS)
FINISHED: tuple[str, ...] = (S.COMPLETED, S.WAIVED)
#: The assignment's first event, whoever or whatever created it (a plan, a joiner, a form).
OPENING_ACTION = "assign_training"


def is_assignee(assignment: TrainingAssignment, actor: Actor) -> bool:
    return actor.person_id is not None and assignment.person_id == actor.person_id


def is_system(actor: Actor) -> bool:
    """The app acting on its own (``rbac.SYSTEM`` or a copy naming who set it off)."""
    return actor.user_id is None and actor.is_admin


def system_for(actor: Actor) -> Actor:
    """The system, acting because of ``actor`` (the history names both)."""
    return replace(SYSTEM, username=f"system ({actor.username})") if actor is not SYSTEM else SYSTEM


def _who_may(t: Transition, assignment: TrainingAssignment, actor: Actor) -> str | None:
    if t.action == "complete" and not is_system(actor):
        return "workflow.training_assign.system_only"
    if t.action == "start" and not (is_system(actor) or is_assignee(assignment, actor)):
        return "workflow.training_assign.own_only"
    return None


def _complete(session: Session, a: TrainingAssignment, payload: dict[str, Any], _: Actor) -> None:
    done = payload.get("completed_on")
    a.completed_on = date.fromisoformat(done) if isinstance(done, str) else done or site_today()
    a.record_id = payload.get("record_id") or a.record_id


ASSIGNMENT_FLOW = declare(
    Workflow(
        table="training_assignment",
        transitions=(
            Transition("start", (S.ASSIGNED,), S.IN_PROGRESS, Action.EDIT, who=is_assignee),
            Transition(
                "complete", (S.IN_PROGRESS, S.ASSIGNED), S.COMPLETED, Action.EDIT, apply=_complete
            ),
            Transition("waive", OPEN_STATES, S.WAIVED, Action.APPROVE, comment_required=True),
        ),
        extra_checks=(_who_may,),
    )
)

assignment_opened = opener("training_assignment", OPENING_ACTION)


def open_assignments(session: Session, person_id: int, course_id: int) -> list[TrainingAssignment]:
    """The person's assignments of the course still to do, oldest first."""
    stmt = (
        select(TrainingAssignment)
        .where(
            TrainingAssignment.person_id == person_id,
            TrainingAssignment.course_id == course_id,
            col(TrainingAssignment.state).in_(OPEN_STATES),
            col(TrainingAssignment.deleted_at).is_(None),
        )
        .order_by(col(TrainingAssignment.id))
    )
    return list(session.exec(stmt).all())


def mark_started(session: Session, actor: Actor, person_id: int, course_id: int) -> int:
    """The person opened a material or started an exam of the course: their assigned
    assignments of it are now in progress (as them, or as the system when someone else's
    action set it off). Returns how many moved; calling it again moves none."""
    who = actor if actor.person_id == person_id else system_for(actor)
    waiting = [a for a in open_assignments(session, person_id, course_id) if a.state == S.ASSIGNED]
    for a in waiting:
        fire(session, ASSIGNMENT_FLOW, a.id or -1, "start", who)
    return len(waiting)


def waive_for_plan(session: Session, actor: Actor, plan_id: int, reason: str) -> int:
    """A cancelled plan asks nothing more of anyone: its open assignments are waived, with
    the cancellation's reason, as the system acting for whoever cancelled. Returns how many."""
    stmt = select(TrainingAssignment.id).where(
        TrainingAssignment.plan_id == plan_id,
        col(TrainingAssignment.state).in_(OPEN_STATES),
        col(TrainingAssignment.deleted_at).is_(None),
    )
    ids = list(session.exec(stmt).all())
    for row_id in ids:
        fire(session, ASSIGNMENT_FLOW, row_id or -1, "waive", system_for(actor), comment=reason)
    return len(ids)
