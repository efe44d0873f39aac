"""Sitting an exam: start (or resume), autosave, submit, and the clock held on the server.

A page only calls these and shows what ``exam_view.paper_for_examinee`` returns. The deadline
is stored when the attempt starts, so no reload, second tab or client clock moves it; answers
saved within the paper's grace period after it still count (a phone that lost its signal for
a moment), later ones are refused, and an attempt left open is submitted with its answers as
saved (``close_expired``, run by ``safeloop remind`` and whenever the examinee comes back).

The caller commits; each function writes in one savepoint, so a refusal leaves nothing behind.
Autosaves write no audit entry (a save is not a state change, and 600 people answering at
once must not queue on the audit chain); starting, submitting and grading do, and a submitted
attempt and its answers are sealed.
"""

from __future__ import annotations

import random
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core import audit
from core.db import as_utc, utcnow
from core.i18n import Translatable
from core.rbac import SYSTEM, Actor, PermissionDenied
from core.training.assignment_flow import mark_started
from core.training.exam_draw import draw
from core.training.exam_grading import CHOICE_KINDS, close_attempt
from core.training.paper_rules import mismatch
from core.training.rules import LETTERS, normalise_answer
from core.training.trainee import trainee
from models.org import Person
from models.training_exam import (
    AttemptItem,
    AttemptState,
    ExamAttempt,
    ExamPaper,
    Question,
    QuestionKind,
)

MAX_TEXT = 2000


class ExamRefused(Translatable):
    """A step the exam's rules do not allow now (time is up, no attempts left, ...)."""


def closes_at(attempt: ExamAttempt, paper: ExamPaper | None) -> datetime:
    """The last moment an answer is accepted: the deadline plus the paper's grace."""
    grace = paper.grace_seconds if paper is not None else 0
    return as_utc(attempt.deadline_at) + timedelta(seconds=grace)


def own_attempt(session: Session, actor: Actor, attempt_id: int) -> ExamAttempt:
    """The attempt, if it is the actor's own: nobody answers in someone else's paper."""
    attempt = session.get(ExamAttempt, attempt_id)
    if attempt is None or attempt.deleted_at is not None:
        raise ExamRefused("error.exam.no_attempt")
    if actor.person_id is None or attempt.person_id != actor.person_id:
        raise PermissionDenied("error.exam.not_yours")
    return attempt


def _open_attempt(session: Session, paper_id: int, person_id: int) -> ExamAttempt | None:
    stmt = select(ExamAttempt).where(
        ExamAttempt.paper_id == paper_id,
        ExamAttempt.person_id == person_id,
        ExamAttempt.state == AttemptState.IN_PROGRESS,
        col(ExamAttempt.deleted_at).is_(None),
    )
    return session.exec(stmt).first()


def expire_if_due(session: Session, attempt: ExamAttempt, now: datetime) -> bool:
    """Submit an open attempt whose time (and grace) is over, with its answers as saved;
    True when it did. The attempt counts as handed in when its time ran out."""
    paper = session.get(ExamPaper, attempt.paper_id)
    end = closes_at(attempt, paper)
    if attempt.state != AttemptState.IN_PROGRESS or now <= end:
        return False
    return close_attempt(session, SYSTEM, attempt, end, auto=True)


def start_attempt(
    session: Session,
    actor: Actor,
    paper_id: int,
    now: datetime | None = None,
    *,
    rng: random.Random | None = None,
) -> ExamAttempt:
    """Start the actor's next attempt at a paper, or return the one in progress (a reload,
    a second tab or a new phone shows the same paper with the same clock). Refused when the
    paper is not the examinee's enterprise's, or its attempts are used up."""
    now = now or utcnow()
    person = trainee(session, actor, "error.exam.not_examinee")
    paper = session.get(ExamPaper, paper_id)
    if paper is None or paper.deleted_at is not None:
        raise ExamRefused("error.exam.no_paper")
    if paper.enterprise_id not in (None, person.enterprise_id):
        raise PermissionDenied("error.exam.not_your_paper")
    current = _open_attempt(session, paper_id, person.id or -1)
    if current is not None and not expire_if_due(session, current, now):
        return current
    used = session.exec(
        select(func.count()).where(
            ExamAttempt.paper_id == paper_id, ExamAttempt.person_id == person.id
        )
    ).one()
    if used >= paper.attempts_allowed:
        raise ExamRefused("error.exam.attempts_used", allowed=paper.attempts_allowed)
    try:
        return _new_attempt(session, actor, paper, person, used + 1, now, rng)
    except IntegrityError:  # a second tab started the same attempt a moment earlier
        again = _open_attempt(session, paper_id, person.id or -1)
        if again is None:
            raise
        return again


def _new_attempt(
    session: Session,
    actor: Actor,
    paper: ExamPaper,
    person: Person,
    attempt_no: int,
    now: datetime,
    rng: random.Random | None,
) -> ExamAttempt:
    """Draw and store the paper; the random source is the attempt's own (never shared, so
    neighbours get different papers), and the stored draw is what a reload reads."""
    rng = rng or random.Random(secrets.randbits(64))
    drawn = draw(session, paper, person.id or -1, rng)
    if (wrong := mismatch(session, paper)) is not None:  # a drawn paper worth another total
        raise ExamRefused("error.exam.paper_points", **wrong.params)
    with session.begin_nested():
        attempt = ExamAttempt(
            paper_id=paper.id or -1,
            person_id=person.id or -1,
            attempt_no=attempt_no,
            started_at=now,
            deadline_at=now + timedelta(minutes=paper.duration_minutes),
            enterprise_id=person.enterprise_id,
            department_id=person.department_id,
            created_by=actor.user_id,
        )
        session.add(attempt)
        session.flush()
        session.add_all(
            AttemptItem(
                attempt_id=attempt.id or -1,
                position=n,
                question_id=d.question_id,
                option_order=d.option_order,
                points=d.points,
                created_by=actor.user_id,
            )
            for n, d in enumerate(drawn, start=1)
        )
        session.flush()
        audit.record(
            session,
            actor,
            "exam_start",
            table_name="exam_attempt",
            row_id=attempt.id,
            enterprise_id=attempt.enterprise_id,
            after=audit.snapshot(attempt),
        )
        if paper.course_id is not None:  # the course's assignment is now being done
            mark_started(session, actor, person.id or -1, paper.course_id)
    return attempt


def _clean(kind: str, options: int, answer: str | list[str] | None) -> str | None:
    """The answer as stored: shown letters sorted for choices (only letters that were shown),
    T/F for true/false, trimmed text otherwise; None clears it."""
    if answer is None:
        return None
    text = "".join(answer) if isinstance(answer, list) else str(answer)
    if kind in CHOICE_KINDS:
        letters = normalise_answer(kind, text)
        if not set(letters) <= set(LETTERS[:options]):
            raise ExamRefused("error.exam.bad_answer")
        return letters or None
    if kind == QuestionKind.TRUE_FALSE:
        text = normalise_answer(kind, text)
        if text not in ("T", "F", ""):
            raise ExamRefused("error.exam.bad_answer")
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise ExamRefused("error.exam.answer_too_long", limit=MAX_TEXT)
    return text or None


def answerable(session: Session, actor: Actor, attempt_id: int, now: datetime) -> ExamAttempt:
    """The actor's own attempt, still open and within its time and grace: what a save and a
    hand-in both need."""
    attempt = own_attempt(session, actor, attempt_id)
    if attempt.state != AttemptState.IN_PROGRESS:
        raise ExamRefused("error.exam.already_submitted")
    if now > closes_at(attempt, session.get(ExamPaper, attempt.paper_id)):
        raise ExamRefused("error.exam.time_up")
    return attempt


def save_answer(
    session: Session,
    actor: Actor,
    attempt_id: int,
    position: int,
    answer: str | list[str] | None,
    now: datetime | None = None,
) -> datetime:
    """Autosave one answer (in the letters shown); returns the time saved. One conditional
    UPDATE: it cannot land after the attempt was submitted, whoever submitted it."""
    now = now or utcnow()
    answerable(session, actor, attempt_id, now)
    found = session.exec(
        select(Question.kind, AttemptItem.option_order)
        .join(Question, col(Question.id) == AttemptItem.question_id)
        .where(AttemptItem.attempt_id == attempt_id, AttemptItem.position == position)
    ).first()
    if found is None:
        raise ExamRefused("error.exam.no_question", position=position)
    value = _clean(str(found[0]), len(found[1] or []), answer)
    saved = session.execute(
        update(AttemptItem)
        .where(
            col(AttemptItem.attempt_id) == attempt_id,
            col(AttemptItem.position) == position,
            col(AttemptItem.final).is_(False),
        )
        .values(answer_given=value, saved_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if saved.rowcount != 1:  # type: ignore[attr-defined]
        raise ExamRefused("error.exam.already_submitted")
    return now


def submit(
    session: Session, actor: Actor, attempt_id: int, now: datetime | None = None
) -> ExamAttempt:
    """Hand the paper in. After the deadline and its grace the examinee can no longer do
    that: the attempt is closed with the answers saved in time (``close_expired``)."""
    now = now or utcnow()
    attempt = answerable(session, actor, attempt_id, now)
    if not close_attempt(session, actor, attempt, now, auto=False):
        raise ExamRefused("error.exam.already_submitted")
    return attempt


def close_expired(session: Session, now: datetime | None = None) -> int:
    """Submit every open attempt past its deadline and grace, answers as saved; returns how
    many. Idempotent: a closed attempt is no longer open."""
    now = now or utcnow()
    stmt = select(ExamAttempt).where(
        ExamAttempt.state == AttemptState.IN_PROGRESS,
        col(ExamAttempt.deadline_at) < now,
        col(ExamAttempt.deleted_at).is_(None),
    )
    return sum(expire_if_due(session, attempt, now) for attempt in session.exec(stmt).all())
