"""What training asks of people now: an exam they started and have not handed in (the clock
runs on the server), and, for markers, short answers waiting for marks. Assignments due and
certificates expiring come through their declared due dates (``reminders``)."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, select

from core.clock import local
from core.db import as_utc
from core.inbox import LIMIT, TodoItem, todo_provider
from core.rbac import Actor
from core.training.exam_queue import can_grade, pending_grading
from models.enums import Action, Module
from models.training_exam import AttemptState, ExamAttempt, ExamPaper


@todo_provider
def exams_in_progress(session: Session, actor: Actor, _today: date) -> list[TodoItem]:
    """The actor's own open attempts, with the time they must be handed in by."""
    if actor.person_id is None or not actor.can(Module.TRAINING, Action.VIEW):
        return []
    stmt = (
        select(ExamAttempt, ExamPaper.name)
        .join(ExamPaper, col(ExamPaper.id) == ExamAttempt.paper_id)
        .where(
            ExamAttempt.person_id == actor.person_id,
            ExamAttempt.state == AttemptState.IN_PROGRESS,
            col(ExamAttempt.deleted_at).is_(None),
        )
        .order_by(col(ExamAttempt.deadline_at))
        .limit(LIMIT)
    )
    return [
        TodoItem(
            "todo.exam_in_progress",
            {"title": name, "due": f"{local(attempt.deadline_at):%m-%d %H:%M}"},
            "error",
            "pages/training_exam.py",
            as_utc(attempt.deadline_at).date(),
        )
        for attempt, name in session.exec(stmt).all()
    ]


@todo_provider
def answers_to_mark(session: Session, actor: Actor, _today: date) -> list[TodoItem]:
    """One line for the marker: how many short answers of how many attempts wait."""
    if not can_grade(actor):
        return []
    pending = pending_grading(session, actor)
    if not pending:
        return []
    attempts = len({item.attempt_id for item in pending})
    return [
        TodoItem(
            "todo.answers_to_mark",
            {"answers": len(pending), "attempts": attempts},
            "warning",
            "pages/training_grading.py",
            min((p.submitted_at.date() for p in pending if p.submitted_at), default=None),
        )
    ]
