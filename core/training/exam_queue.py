"""The grading queue: short answers of submitted attempts wait here for a manager's marks.

Graders hold the training module's approve or edit grant and see the attempts of their scope
only (a department head grades their department). Marks are checked against the item's
points; the last item graded finishes the attempt (score, pass, exam record).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from core import audit
from core.db import utcnow
from core.i18n import Translatable
from core.rbac import Actor, PermissionDenied, ScopeColumns, level_clause, values_in_scope
from core.training.exam_grading import finish_if_graded
from models.enums import Action, Module
from models.training_exam import AttemptItem, AttemptState, ExamAttempt, Question, QuestionKind

ATTEMPT_SCOPE = ScopeColumns()


@dataclass(frozen=True)
class PendingItem:
    """A short answer to grade, with what the grader needs beside it."""

    item_id: int
    attempt_id: int
    person_id: int
    paper_id: int
    position: int
    stem: str
    reference: str
    given: str | None
    points: float
    submitted_at: datetime | None


def can_grade(actor: Actor) -> bool:
    """Approve or edit on training: whoever may sign off the training may mark it."""
    return actor.can(Module.TRAINING, Action.APPROVE) or actor.can(Module.TRAINING, Action.EDIT)


def _require_grader(actor: Actor) -> None:
    if not can_grade(actor):
        actor.require(Module.TRAINING, Action.APPROVE)


def pending_grading(session: Session, actor: Actor) -> list[PendingItem]:
    """Short answers still unmarked in submitted attempts the grader may reach, oldest first."""
    _require_grader(actor)
    stmt = (
        select(AttemptItem, Question, ExamAttempt)
        .join(Question, col(Question.id) == AttemptItem.question_id)
        .join(ExamAttempt, col(ExamAttempt.id) == AttemptItem.attempt_id)
        .where(
            Question.kind == QuestionKind.SHORT_ANSWER,
            col(AttemptItem.final).is_(True),
            col(AttemptItem.awarded).is_(None),
            ExamAttempt.state == AttemptState.SUBMITTED,
            col(ExamAttempt.deleted_at).is_(None),
        )
        .order_by(col(ExamAttempt.submitted_at), col(AttemptItem.position))
    )
    if (scope := level_clause(ExamAttempt, ATTEMPT_SCOPE, actor)) is not None:
        stmt = stmt.where(scope)
    return [
        PendingItem(
            item_id=item.id or -1,
            attempt_id=attempt.id or -1,
            person_id=attempt.person_id,
            paper_id=attempt.paper_id,
            position=item.position,
            stem=question.stem,
            reference=question.answer,
            given=item.answer_given,
            points=item.points,
            submitted_at=attempt.submitted_at,
        )
        for item, question, attempt in session.exec(stmt).all()
    ]


def grade_item(
    session: Session, actor: Actor, item_id: int, points: float, now: datetime | None = None
) -> ExamAttempt:
    """Mark one short answer (0 … its points); returns its attempt, graded when this was the
    last mark it waited for. A graded attempt's marks no longer change here."""
    _require_grader(actor)
    item = session.get(AttemptItem, item_id)
    attempt = session.get(ExamAttempt, item.attempt_id) if item is not None else None
    question = session.get(Question, item.question_id) if item is not None else None
    if item is None or attempt is None or question is None:
        raise Translatable("error.exam.no_attempt")
    if not values_in_scope(session, ATTEMPT_SCOPE, actor, attempt.model_dump()):
        raise PermissionDenied("error.out_of_scope")
    if question.kind != QuestionKind.SHORT_ANSWER or attempt.state != AttemptState.SUBMITTED:
        raise Translatable("error.exam.not_gradable")
    if not 0 <= points <= item.points:
        raise Translatable("error.exam.bad_marks", points=item.points)
    with session.begin_nested():
        audit.acting_as(session, actor)
        before = item.awarded
        item.awarded = round(float(points), 2)
        item.graded_by = actor.user_id
        item.graded_at = now or utcnow()
        session.add(item)
        session.flush()
        audit.record(
            session,
            actor,
            "exam_grade",
            table_name="attempt_item",
            row_id=item.id,
            enterprise_id=attempt.enterprise_id,
            before={"awarded": before},
            after={"awarded": item.awarded},
        )
        finish_if_graded(session, actor, attempt)
    return attempt
