"""What an exam page shows an examinee: the drawn paper in its stored order, saved answers and
the seconds left by the server's clock, and never the key before submission.

The key leaves this module only for a submitted attempt whose paper says so
(``show_answers_after_submit``), and then in the letters the examinee saw. A page renders
``ExamView`` and nothing else, so no path of the page can reach ``Question.answer``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from core.db import utcnow
from core.rbac import Actor
from core.training.exam_attempts import closes_at, expire_if_due, own_attempt
from core.training.exam_grading import CHOICE_KINDS, items_of, to_shown
from core.training.rules import normalise_answer
from models.training_exam import AttemptState, ExamPaper, QuestionKind


@dataclass(frozen=True)
class ItemView:
    """One question as shown: options in shown order, the saved answer in shown letters;
    ``awarded`` after submission, ``key``/``analysis`` only where the paper shows them."""

    position: int
    kind: QuestionKind
    stem: str
    options: tuple[str, ...]
    answer: str | None
    points: float
    awarded: float | None = None
    key: str | None = None
    analysis: str | None = None


@dataclass(frozen=True)
class ExamView:
    attempt_id: int
    paper_name: str
    attempt_no: int
    state: AttemptState
    seconds_left: int
    deadline_at: datetime
    items: tuple[ItemView, ...]
    score: float | None = None
    passed: bool | None = None
    auto_submitted: bool = False

    @property
    def answered(self) -> int:
        return sum(1 for i in self.items if i.answer)


def paper_for_examinee(
    session: Session, actor: Actor, attempt_id: int, now: datetime | None = None
) -> ExamView:
    """The examinee's own attempt as a page shows it. An attempt whose time and grace ran
    out is submitted first (answers as saved), so coming back after the bell shows it
    handed in, never a paper that still takes answers."""
    now = now or utcnow()
    attempt = own_attempt(session, actor, attempt_id)
    expire_if_due(session, attempt, now)
    paper = session.get(ExamPaper, attempt.paper_id)
    open_ = attempt.state == AttemptState.IN_PROGRESS
    reveal = not open_ and paper is not None and paper.show_answers_after_submit
    items = []
    for item, question in items_of(session, attempt.id or -1):
        order = item.option_order
        key = None
        if reveal:
            key = question.answer
            if question.kind in CHOICE_KINDS:
                key = to_shown(normalise_answer(question.kind, question.answer), order)
        items.append(
            ItemView(
                position=item.position,
                kind=QuestionKind(question.kind),
                stem=question.stem,
                options=tuple(question.options[i] for i in order),
                answer=item.answer_given,
                points=item.points,
                awarded=None if open_ else item.awarded,
                key=key,
                analysis=question.analysis if reveal else None,
            )
        )
    left = (closes_at(attempt, None) - now).total_seconds() if open_ else 0
    return ExamView(
        attempt_id=attempt.id or -1,
        paper_name=paper.name if paper is not None else "",
        attempt_no=attempt.attempt_no,
        state=AttemptState(attempt.state),
        seconds_left=max(0, int(left)),
        deadline_at=attempt.deadline_at,
        items=tuple(items),
        score=attempt.score,
        passed=attempt.passed,
        auto_submitted=attempt.auto_submitted,
    )
