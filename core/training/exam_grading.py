"""Grading an exam attempt: answers in the letters the examinee saw, mapped back to the key.

Options are shown in a per-attempt order (``AttemptItem.option_order``: shown option ``i`` is
stored option ``option_order[i]``), so the examinee's "B" may be the key's "D". Every answer is
translated to stored letters before it meets the key; the same map turns the key into shown
letters when a paper shows the answers after submission.

Single, multiple (with the paper's partial-credit rule), true/false and fill-in are graded at
submission; short answers wait in the grading queue (``core.training.exam_queue``). Once every
item has its marks the attempt is graded: score, passed (``rules.is_passed``) and the exam
record written from it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from core import audit
from core.clock import local
from core.db import as_utc, utcnow
from core.numbering import next_in
from core.rbac import Actor
from core.training import outcomes
from core.training.rules import LETTERS, is_correct, is_passed, normalise_answer
from models.training_exam import (
    AttemptItem,
    AttemptState,
    ExamAttempt,
    ExamPaper,
    ExamRecord,
    PartialCredit,
    Question,
    QuestionKind,
)

CHOICE_KINDS = (QuestionKind.SINGLE, QuestionKind.MULTIPLE)
EXAM_NO_PREFIX = "KS"


def to_stored(shown: str, order: list[int]) -> str:
    """Shown letters → the question's own letters (``"B"`` shown may be stored ``"D"``)."""
    picked = {order[LETTERS.index(c)] for c in shown if c in LETTERS[: len(order)]}
    return "".join(LETTERS[i] for i in sorted(picked))


def to_shown(stored: str, order: list[int]) -> str:
    """The key in the letters the examinee saw, for showing answers after submission."""
    wanted = {LETTERS.index(c) for c in stored if c in LETTERS}
    return "".join(LETTERS[pos] for pos, i in enumerate(order) if i in wanted)


def multiple_marks(key: str, given: str, points: float, rule: PartialCredit | str) -> float:
    """Marks for a multiple-choice answer under the paper's declared rule: all or nothing;
    proportional (right picks minus wrong picks over the key's size, never below zero); or
    half for a correct but incomplete pick (a wrong pick always scores zero)."""
    right, picked = set(key), set(given)
    if picked == right:
        return points
    if rule == PartialCredit.PROPORTIONAL:
        share = (len(picked & right) - len(picked - right)) / len(right)
        return round(max(0.0, share) * points, 2)
    if rule == PartialCredit.HALF_IF_SUBSET and picked and picked < right:
        return round(points / 2, 2)
    return 0.0


def auto_marks(question: Question, item: AttemptItem, rule: PartialCredit | str) -> float | None:
    """An item's marks, or None for a short answer (a person grades it)."""
    kind, given = question.kind, item.answer_given or ""
    if kind == QuestionKind.SHORT_ANSWER:
        return None
    if kind in CHOICE_KINDS:
        key = normalise_answer(kind, question.answer)
        stored = to_stored(normalise_answer(kind, given), item.option_order)
        if kind == QuestionKind.MULTIPLE:
            return multiple_marks(key, stored, item.points, rule)
        return item.points if stored and stored == key else 0.0
    return item.points if given and is_correct(kind, question.answer, given) else 0.0


def items_of(session: Session, attempt_id: int) -> list[tuple[AttemptItem, Question]]:
    """An attempt's items in shown order, each with its question."""
    stmt = (
        select(AttemptItem, Question)
        .join(Question, col(Question.id) == AttemptItem.question_id)
        .where(AttemptItem.attempt_id == attempt_id)
        .order_by(col(AttemptItem.position))
    )
    return list(session.exec(stmt).all())


def _claim(session: Session, attempt: ExamAttempt, source: str, values: dict[str, Any]) -> bool:
    """Move the attempt out of ``source`` with one conditional UPDATE: of a submission and
    the clock's auto-submit racing, or two graders' last marks, exactly one wins."""
    claimed = session.execute(
        update(ExamAttempt)
        .where(col(ExamAttempt.id) == attempt.id, col(ExamAttempt.state) == source)
        .values(**values, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.refresh(attempt)
    return True


def close_attempt(
    session: Session, actor: Actor, attempt: ExamAttempt, when: datetime, *, auto: bool
) -> bool:
    """Freeze the answers as saved, grade what a machine can, and grade the attempt when no
    short answer is left. One savepoint: an attempt is never half submitted. False when
    someone else closed it first (nothing written)."""
    paper = session.get(ExamPaper, attempt.paper_id)
    rule = paper.partial_credit if paper is not None else PartialCredit.NONE
    with session.begin_nested():
        audit.acting_as(session, actor)
        values = {"state": AttemptState.SUBMITTED, "submitted_at": when, "auto_submitted": auto}
        if not _claim(session, attempt, AttemptState.IN_PROGRESS, values):
            return False
        for item, question in items_of(session, attempt.id or -1):
            item.final = True
            item.awarded = auto_marks(question, item, rule)
            session.add(item)
        session.flush()
        audit.record(
            session,
            actor,
            "exam_auto_submit" if auto else "exam_submit",
            table_name="exam_attempt",
            row_id=attempt.id,
            enterprise_id=attempt.enterprise_id,
            after={"submitted_at": audit.jsonable(when), "auto_submitted": auto},
        )
        if not finish_if_graded(session, actor, attempt):
            audit.reseal(session, "exam_attempt", [attempt.id or -1], actor)  # moved by SQL
    return True


def finish_if_graded(session: Session, actor: Actor, attempt: ExamAttempt) -> bool:
    """Score and pass once every item has marks, and write the exam record from the
    attempt (number, attempt number, times and answers: nothing typed). True when done."""
    items = items_of(session, attempt.id or -1)
    if attempt.state != AttemptState.SUBMITTED or any(i.awarded is None for i, _ in items):
        return False
    if not _claim(session, attempt, AttemptState.SUBMITTED, {"state": AttemptState.GRADED}):
        return False
    paper = session.get(ExamPaper, attempt.paper_id)
    score = round(sum(i.awarded or 0.0 for i, _ in items), 2)
    attempt.score = score
    attempt.passed = is_passed(score, paper.pass_score if paper is not None else 0)
    record = _exam_record(session, actor, attempt, items)
    attempt.exam_record_id = record.id
    session.add(attempt)
    session.flush()
    audit.record(
        session,
        actor,
        "exam_graded",
        table_name="exam_attempt",
        row_id=attempt.id,
        enterprise_id=attempt.enterprise_id,
        after={"score": score, "passed": attempt.passed, "exam_record_id": record.id},
    )
    outcomes.exam_graded(
        session,
        actor,
        outcomes.ExamOutcome(
            person_id=attempt.person_id,
            paper_id=attempt.paper_id,
            exam_record_id=record.id or -1,
            score=score,
            passed=bool(attempt.passed),
            submitted_at=as_utc(record.submitted_at or attempt.started_at),
            attempt_id=attempt.id,
        ),
    )
    return True


def exam_number(session: Session, when: datetime) -> str:
    """``KS20261124`` + a seven-digit sequence of that (site-local) day, from the shared
    allocator, as the demo's and the typed records' numbers read."""
    prefix = f"{EXAM_NO_PREFIX}{local(when):%Y%m%d}"
    return f"{prefix}{next_in(session, ExamRecord.exam_no, prefix):07d}"


def _answers(items: list[tuple[AttemptItem, Question]]) -> dict[str, Any]:
    """What the record keeps: per place the question, the answer in the question's own
    letters and the marks; and the questions not fully right (the wrong-answer book's feed)."""
    rows = {}
    for item, question in items:
        given = item.answer_given or ""
        if question.kind in CHOICE_KINDS:
            given = to_stored(normalise_answer(question.kind, given), item.option_order)
        rows[str(item.position)] = {
            "question_id": question.id,
            "given": given,
            "awarded": item.awarded,
            "points": item.points,
        }
    wrong = [q.id for i, q in items if (i.awarded or 0.0) < i.points]
    return {"items": rows, "wrong": wrong}


def _exam_record(
    session: Session, actor: Actor, attempt: ExamAttempt, items: list[tuple[AttemptItem, Question]]
) -> ExamRecord:
    submitted = attempt.submitted_at or attempt.started_at
    record = ExamRecord(
        exam_no=exam_number(session, submitted),
        paper_id=attempt.paper_id,
        person_id=attempt.person_id,
        attempt=attempt.attempt_no,
        started_at=attempt.started_at,
        submitted_at=submitted,
        score=attempt.score or 0.0,
        passed=bool(attempt.passed),
        answers={**_answers(items), "attempt_id": attempt.id},
        enterprise_id=attempt.enterprise_id,
        department_id=attempt.department_id,
        created_by=actor.user_id,
    )
    return store_record(session, actor, record)


def store_record(session: Session, actor: Actor, record: ExamRecord) -> ExamRecord:
    """Write an exam record and its audit entry: the engine's and the offline import's
    records are the only ones there are (the register takes none by hand)."""
    session.add(record)
    session.flush()
    audit.record(
        session,
        actor,
        "create",
        table_name="exam_record",
        row_id=record.id,
        enterprise_id=record.enterprise_id,
        after=audit.snapshot(record),
    )
    return record
