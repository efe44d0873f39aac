"""Practice (练习): questions from one's wrong-answer book, a category, or at random, each
graded at once by the exam's own rules and answered with the key and the analysis.

Practice is never an exam: it writes ``practice_answer`` rows only, no attempt and no exam
record, so no listener of a graded exam hears of it. Short answers need a person to mark them
and are not practised: in the book they show the reference answer and the owner marks them
known themselves (``self_master``). Practising the book, ``Settings.practice_mastery_streak``
right answers in a row master a question (it leaves the book); a wrong answer starts the
count again. Options may be shown shuffled; the page maps the shown letters back
(``exam_grading.to_stored``) before calling ``answer``, which checks the question's own key.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from core import audit
from core.config import get_settings
from core.i18n import Translatable
from core.rbac import Actor
from core.training.exam_grading import CHOICE_KINDS
from core.training.points import practice_points
from core.training.rules import is_correct, normalise_answer
from core.training.wrong_book import open_entries
from models.enums import Action, Module
from models.org import Person
from models.training_exam import Question, QuestionKind
from models.training_learning import PracticeAnswer, PracticeMode, WrongAnswer

PRACTISED_KINDS = (
    QuestionKind.SINGLE,
    QuestionKind.MULTIPLE,
    QuestionKind.TRUE_FALSE,
    QuestionKind.FILL_IN,
)
MAX_DRAW = 50


class PracticeRefused(Translatable):
    """A practice answer that cannot be taken (no such question, or not one practised)."""


@dataclass(frozen=True)
class PracticeQuestion:
    """A drawn question as shown: options in ``option_order`` (shown ``i`` is stored
    ``option_order[i]``); no key until answered."""

    question_id: int
    kind: QuestionKind
    stem: str
    options: tuple[str, ...]
    option_order: tuple[int, ...]


@dataclass(frozen=True)
class PracticeResult:
    """A graded practice answer: the key (the question's own letters) and the analysis,
    whether the book's question is now mastered, and the points it paid."""

    correct: bool
    key: str
    analysis: str | None
    mastered: bool
    points: int


def _person(actor: Actor) -> int:
    actor.require(Module.TRAINING, Action.VIEW)
    if actor.person_id is None:
        raise PracticeRefused("error.practice.no_person")
    return actor.person_id


def categories(session: Session) -> list[str]:
    """The bank's categories and tags a person can practise, sorted."""
    stmt = select(Question.category, Question.tags).where(
        col(Question.deleted_at).is_(None), col(Question.kind).in_(PRACTISED_KINDS)
    )
    found: set[str] = set()
    for category, tags in session.exec(stmt).all():
        found.update(t for t in (category, *(tags or ())) if t)
    return sorted(found)


def _candidates(
    session: Session, person_id: int, mode: PracticeMode, category: str | None
) -> list[int]:
    if mode == PracticeMode.WRONG_BOOK:
        return [
            q.id or -1 for _, q in open_entries(session, person_id) if q.kind in PRACTISED_KINDS
        ]
    stmt = select(Question.id, Question.category, Question.tags).where(
        col(Question.deleted_at).is_(None), col(Question.kind).in_(PRACTISED_KINDS)
    )
    rows = session.exec(stmt.order_by(col(Question.id))).all()
    if mode == PracticeMode.CATEGORY:
        return [qid for qid, cat, tags in rows if category in (cat, *(tags or ()))]
    return [qid for qid, _, _ in rows]


def draw(
    session: Session,
    actor: Actor,
    mode: PracticeMode,
    count: int,
    *,
    category: str | None = None,
    rng: random.Random | None = None,
) -> list[PracticeQuestion]:
    """Up to ``count`` questions for the actor in random order, choice options shuffled."""
    person_id = _person(actor)
    rng = rng or random.Random()
    ids = _candidates(session, person_id, PracticeMode(mode), category)
    picked = rng.sample(ids, min(max(count, 0), MAX_DRAW, len(ids)))
    drawn = []
    for qid in picked:
        question = session.get(Question, qid)
        if question is None:
            continue
        order = list(range(len(question.options or ()))) if question.kind in CHOICE_KINDS else []
        rng.shuffle(order)
        drawn.append(
            PracticeQuestion(
                question_id=qid,
                kind=question.kind,
                stem=question.stem,
                options=tuple(question.options[i] for i in order),
                option_order=tuple(order),
            )
        )
    return drawn


def _master_step(
    session: Session, person_id: int, question_id: int, correct: bool, now: datetime
) -> bool:
    """Count a book question's practice streak; True when this answer masters it."""
    wrong = session.exec(
        select(WrongAnswer).where(
            WrongAnswer.person_id == person_id,
            WrongAnswer.question_id == question_id,
            col(WrongAnswer.mastered_at).is_(None),
            col(WrongAnswer.deleted_at).is_(None),
        )
    ).first()
    if wrong is None:
        return False
    wrong.right_in_practice = wrong.right_in_practice + 1 if correct else 0
    mastered = wrong.right_in_practice >= get_settings().practice_mastery_streak
    if mastered:
        wrong.mastered_at = now
    wrong.updated_at = now
    session.add(wrong)
    return mastered


def self_master(session: Session, actor: Actor, wrong_id: int, now: datetime) -> None:
    """The owner says they know a short answer of their book now (practice cannot grade
    one): it leaves the book, with one audit entry. Only the book's owner may, only for a
    question not practised, once (a conditional UPDATE: a double click masters it once)."""
    person_id = _person(actor)
    wrong = session.get(WrongAnswer, wrong_id)
    if wrong is None or wrong.deleted_at is not None or wrong.person_id != person_id:
        raise PracticeRefused("error.practice.not_in_book")
    question = session.get(Question, wrong.question_id)
    if question is None or question.kind in PRACTISED_KINDS:
        raise PracticeRefused("error.practice.practise_it")
    with session.begin_nested():
        done = session.execute(
            update(WrongAnswer)
            .where(col(WrongAnswer.id) == wrong_id, col(WrongAnswer.mastered_at).is_(None))
            .values(mastered_at=now, updated_at=now)
        )
        if not done.rowcount:  # type: ignore[attr-defined]
            raise PracticeRefused("error.practice.not_in_book")
        audit.record(
            session,
            actor,
            "wrong_answer_self_mastered",
            table_name="wrong_answer",
            row_id=wrong_id,
            enterprise_id=wrong.enterprise_id,
            before={"mastered_at": None},
            after={"mastered_at": now, "question_id": wrong.question_id},
        )
    session.refresh(wrong)


def answer(
    session: Session,
    actor: Actor,
    question_id: int,
    given: str,
    mode: PracticeMode,
    now: datetime,
) -> PracticeResult:
    """Grade one practice answer (``given`` in the question's own letters) by the exam's
    rules, record it, move the book's streak and pay practice points: one savepoint."""
    person_id = _person(actor)
    question = session.get(Question, question_id)
    if question is None or question.deleted_at is not None:
        raise PracticeRefused("error.practice.no_question")
    if question.kind not in PRACTISED_KINDS:
        raise PracticeRefused("error.practice.not_practised")
    given = (given or "").strip()[:2000]
    if question.kind != QuestionKind.FILL_IN:
        given = normalise_answer(question.kind, given)
    correct = bool(given) and is_correct(question.kind, question.answer, given)
    person = session.get(Person, person_id)
    with session.begin_nested():
        row = PracticeAnswer(
            person_id=person_id,
            question_id=question_id,
            mode=PracticeMode(mode),
            given=given or None,
            correct=correct,
            answered_at=now,
            enterprise_id=person.enterprise_id if person else actor.enterprise_id,
            department_id=person.department_id if person else actor.department_id,
            created_by=actor.user_id,
        )
        session.add(row)
        session.flush()
        mastered = PracticeMode(mode) == PracticeMode.WRONG_BOOK and _master_step(
            session, person_id, question_id, correct, now
        )
        points = practice_points(session, row)
        audit.record(
            session,
            actor,
            "practice_answer",
            table_name="practice_answer",
            row_id=row.id,
            enterprise_id=row.enterprise_id,
            after={"question_id": question_id, "correct": correct, "mastered": mastered},
        )
    key = question.answer
    if question.kind in CHOICE_KINDS:
        key = normalise_answer(question.kind, key)
    return PracticeResult(correct, key, question.analysis, mastered, points)
