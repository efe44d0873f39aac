"""The duty-task workflow (安全履责): pending → submit → submitted → approve → approved, or
return → returned → submit again.

The task's person submits (or someone with the duty edit grant, on their behalf), saying
what was done and attaching the evidence; a reviewer with the approve grant, never the
submitter nor the task's own person, approves with a score or returns it with the reason.
Every hand-in and its verdict is kept as a ``duty_submission`` row written by these steps
only, so a submission and its task cannot disagree (an approved submission of a pending task).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from core.clock import local
from core.crud import service
from core.crud.registry import get_spec
from core.db import utcnow
from core.duty.rules import is_on_time
from core.notify import notify
from core.rbac import Actor
from core.workflow import Transition, Workflow, declare, opener
from models.accounts import User
from models.duty import DutyDecision, DutySubmission, DutyTask
from models.duty import DutyTaskState as S
from models.enums import Action
from models.workflow import WorkflowEvent

VERDICTS: dict[str, DutyDecision] = {
    "approve": DutyDecision.APPROVED,
    "return": DutyDecision.RETURNED,
}


def is_task_person(task: DutyTask, actor: Actor) -> bool:
    return actor.person_id is not None and task.person_id == actor.person_id


def _not_own_review(t: Transition, task: DutyTask, actor: Actor) -> str | None:
    """Four eyes: nobody reviews a hand-in of their own duty or one they submitted."""
    if t.action not in VERDICTS:
        return None
    submitter = actor.user_id is not None and task.submitted_by == actor.user_id
    return "workflow.duty_review_own" if submitter or is_task_person(task, actor) else None


def _submit(session: Session, task: DutyTask, payload: dict[str, Any], actor: Actor) -> None:
    task.submitted_at, task.submitted_by = utcnow(), actor.user_id


def _approve(session: Session, task: DutyTask, payload: dict[str, Any], actor: Actor) -> None:
    values, _custom, problems = service.prepare(
        session, get_spec("duty_task"), actor, {"score": payload["score"]}, partial=True
    )
    if problems:
        raise service.ValidationFailed(problems)
    task.score = values["score"]
    handed_in = local(task.submitted_at) if task.submitted_at else None  # the site's day
    task.on_time = is_on_time(handed_in, task.due_on)


TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        "submit",
        (S.PENDING, S.RETURNED),
        S.SUBMITTED,
        Action.EDIT,
        who=is_task_person,
        comment_required=True,  # what was done: the submission's content
        comment_label="workflow.duty_submission_content",
        takes_files=True,
        apply=_submit,
    ),
    Transition(
        "approve", (S.SUBMITTED,), S.APPROVED, Action.APPROVE, required=("score",), apply=_approve
    ),
    Transition("return", (S.SUBMITTED,), S.RETURNED, Action.APPROVE, comment_required=True),
)


def _open_submission(session: Session, task: DutyTask) -> DutySubmission | None:
    stmt = (
        select(DutySubmission)
        .where(DutySubmission.task_id == task.id, col(DutySubmission.decision).is_(None))
        .where(col(DutySubmission.deleted_at).is_(None))
        .order_by(col(DutySubmission.submitted_at).desc())
    )
    return session.exec(stmt).first()


def _record(session: Session, task: DutyTask, event: WorkflowEvent, actor: Actor) -> None:
    """Keep the submission rows in step with the task: a hand-in opens one, a verdict closes
    it; the task's person hears of a return."""
    if event.action == "submit":
        session.add(
            DutySubmission(
                task_id=task.id,
                submitted_at=task.submitted_at,
                content=event.comment or "",
                enterprise_id=task.enterprise_id,
                department_id=task.department_id,
                created_by=actor.user_id,
            )
        )
        session.flush()
        return
    sub = _open_submission(session, task)
    if sub is not None:
        sub.decision = VERDICTS[event.action]
        sub.reviewer_id, sub.reviewed_at = actor.person_id, event.ts
        sub.comment = event.comment
        sub.score = task.score if event.action == "approve" else None
        session.add(sub)
        session.flush()
    if event.action == "return":
        people = session.exec(select(User.id).where(User.person_id == task.person_id)).all()
        ref = {"table_name": "duty_task", "row_id": task.id, "enterprise_id": task.enterprise_id}
        notify(
            session,
            list(people),
            "notify.duty_returned",
            params={"title": task.name, "reason": event.comment or ""},
            severity="warning",
            occasion=str(event.id),
            **ref,
        )


DUTY_FLOW = declare(
    Workflow(
        table="duty_task",
        transitions=TRANSITIONS,
        on_change=_record,
        extra_checks=(_not_own_review,),
    )
)


issued = opener("duty_task", "issue_duty")
