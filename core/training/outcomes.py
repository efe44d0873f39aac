"""What follows a graded exam, online or typed in from a paper sat offline.

Grading knows nothing of what depends on a result. The wrong-answer book, the points, the
course and its assignment, the certificate and a contractor worker's entry all register a
listener here (imported by ``core.training.listeners``), and each one is called inside the
grading's transaction. If a listener fails, the grade fails with it, so a result never
stands without its consequences.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from core import installed
from core.rbac import Actor


@dataclass(frozen=True)
class ExamOutcome:
    """A graded sitting: whose, which paper, the record written, the score and when."""

    person_id: int
    paper_id: int
    exam_record_id: int
    score: float
    passed: bool
    submitted_at: datetime
    attempt_id: int | None = None  # None: a score imported from an offline exam


ExamListener = Callable[[Session, Actor, ExamOutcome], None]

_LISTENERS: list[ExamListener] = []


def on_exam_graded(listener: ExamListener) -> ExamListener:
    """Register ``listener`` (a decorator); registering twice keeps one."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)
    return listener


def exam_graded(session: Session, actor: Actor, outcome: ExamOutcome) -> None:
    """Tell every listener, in registration order."""
    installed.load()
    for listener in _LISTENERS:
        listener(session, actor, outcome)
