"""The wrong-answer book (错题本): filled from graded exams, emptied by practice.

Every question of an online exam that did not earn its full points goes into the examinee's
book (or, if it is there already, counts one more time wrong and reopens if it was mastered).
Getting the same question right in a later exam removes nothing: only practice
(``core.training.practice``) shows a person knows it. The book shows the key and the analysis
of the questions in it, and of no other: a person sees the key of a question only after they
got it wrong in an exam they handed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from core.db import upsert_insert, utcnow
from core.rbac import Actor
from core.training.outcomes import ExamOutcome, on_exam_graded
from models.enums import Action, Module
from models.training_exam import ExamRecord, Question, QuestionKind
from models.training_learning import WrongAnswer


@dataclass(frozen=True)
class BookEntry:
    """One open question of a person's book, with the key now that they have seen it wrong.
    Options in the question's own order; ``last_given`` and ``key`` in its own letters."""

    wrong_id: int
    question_id: int
    kind: QuestionKind
    stem: str
    options: tuple[str, ...]
    times_wrong: int
    last_wrong_at: datetime
    last_given: str | None
    key: str
    analysis: str | None
    right_in_practice: int


def not_fully_right(answers: dict[str, Any]) -> list[tuple[int, str]]:
    """(question id, answer given in the question's own letters) of each place of an exam
    record's answers that earned less than its points."""
    rows = (answers or {}).get("items", {}).values()
    return [
        (int(row["question_id"]), str(row.get("given") or ""))
        for row in rows
        if float(row.get("awarded") or 0.0) < float(row.get("points") or 0.0)
    ]


def note_wrong(
    session: Session,
    record: ExamRecord,
    question_id: int,
    given: str,
    when: datetime,
    attempt_id: int | None,
) -> None:
    """Put one question in the record's person's book with one statement (the unique key
    settles two gradings at once); grading the same attempt again counts nothing twice."""
    table = WrongAnswer.__table__  # type: ignore[attr-defined]
    now = utcnow()
    stmt = upsert_insert(session, WrongAnswer).values(
        person_id=record.person_id,
        question_id=question_id,
        times_wrong=1,
        last_wrong_at=when,
        last_given=given[:2000] or None,
        attempt_id=attempt_id,
        right_in_practice=0,
        mastered_at=None,
        enterprise_id=record.enterprise_id,
        department_id=record.department_id,
        created_at=now,
        updated_at=now,
        extra={},
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["person_id", "question_id"],
        set_={
            "times_wrong": table.c.times_wrong + 1,
            "last_wrong_at": stmt.excluded.last_wrong_at,
            "last_given": stmt.excluded.last_given,
            "attempt_id": stmt.excluded.attempt_id,
            "right_in_practice": 0,
            "mastered_at": None,
            "updated_at": now,
        },
        where=table.c.attempt_id.is_distinct_from(stmt.excluded.attempt_id),
    )
    session.execute(stmt)


@on_exam_graded
def fill_book(session: Session, actor: Actor, outcome: ExamOutcome) -> None:
    """An online exam's questions not fully right go into the examinee's book (a score typed
    in from paper has no answers to learn from)."""
    if outcome.attempt_id is None:
        return
    record = session.get(ExamRecord, outcome.exam_record_id)
    if record is None:
        return
    for question_id, given in not_fully_right(record.answers):
        note_wrong(session, record, question_id, given, outcome.submitted_at, outcome.attempt_id)


def open_entries(session: Session, person_id: int) -> list[tuple[WrongAnswer, Question]]:
    """The person's questions not mastered yet, most recently wrong first."""
    stmt = (
        select(WrongAnswer, Question)
        .join(Question, col(Question.id) == WrongAnswer.question_id)
        .where(
            WrongAnswer.person_id == person_id,
            col(WrongAnswer.mastered_at).is_(None),
            col(WrongAnswer.deleted_at).is_(None),
            col(Question.deleted_at).is_(None),
        )
        .order_by(col(WrongAnswer.last_wrong_at).desc(), col(WrongAnswer.id))
    )
    return list(session.exec(stmt).all())


def book(session: Session, actor: Actor) -> list[BookEntry]:
    """The actor's own open book: only their entries, so the keys shown are those of
    questions they got wrong in a handed-in exam."""
    actor.require(Module.TRAINING, Action.VIEW)
    if actor.person_id is None:
        return []
    return [
        BookEntry(
            wrong_id=wrong.id or -1,
            question_id=question.id or -1,
            kind=question.kind,
            stem=question.stem,
            options=tuple(question.options or ()),
            times_wrong=wrong.times_wrong,
            last_wrong_at=wrong.last_wrong_at,
            last_given=wrong.last_given,
            key=question.answer,
            analysis=question.analysis,
            right_in_practice=wrong.right_in_practice,
        )
        for wrong, question in open_entries(session, actor.person_id)
    ]
