"""The points ledger: study time, exams passed and practice earn points, once per source row.

Practice points stop at a daily cap, which is read and then written: two right answers of
one person landing together must not both see the room left. The read and the write run
serialised per person: under a transaction-level advisory lock on PostgreSQL, and on SQLite
inside a savepoint, which this app begins ``IMMEDIATE`` (``core.db``), so under the one
write lock. Either is held until the caller commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from sqlalchemy import func, text
from sqlmodel import Session, col, select

from core.clock import local, site_zone
from core.config import get_settings
from core.db import upsert_insert, utcnow
from core.rbac import Actor
from core.training.outcomes import ExamOutcome, on_exam_graded
from models.enums import Action, Module
from models.org import Department, Person
from models.training_learning import PointsEntry, PointsReason, PracticeAnswer

#: Advisory-lock namespace of the practice cap (two-int keys: (this, person id)); the
#: migration lock uses the one-bigint form, a separate key space.
CAP_LOCK = 2004


def award(
    session: Session,
    person_id: int,
    reason: PointsReason,
    ref_table: str,
    ref_id: int,
    points: int,
    when: datetime,
) -> bool:
    """Credit ``points`` for one source row; True when new. A single
    ``INSERT … ON CONFLICT DO NOTHING`` on the ledger's unique key, so a reload, a retry or
    a second tab never pays twice and never raises (SQLite and PostgreSQL alike)."""
    person = session.get(Person, person_id)
    if person is None:
        return False
    now = utcnow()
    stmt = (
        upsert_insert(session, PointsEntry)
        .values(
            person_id=person_id,
            reason=reason,
            ref_table=ref_table,
            ref_id=ref_id,
            points=points,
            earned_at=when,
            enterprise_id=person.enterprise_id,
            department_id=person.department_id,
            created_at=now,
            updated_at=now,
            extra={},
        )
        .on_conflict_do_nothing(index_elements=["person_id", "reason", "ref_table", "ref_id"])
        .returning(PointsEntry.__table__.c.id)  # type: ignore[attr-defined]
    )
    # a row back means it was new (rowcount is not reliable here on every driver)
    return session.execute(stmt).first() is not None


@dataclass(frozen=True)
class BoardRow:
    """One place of a leaderboard: names, never ids, for the page."""

    rank: int
    person_id: int
    name: str
    department: str | None
    points: int


BoardScope = Literal["department", "enterprise"]
#: A board's period: this site-local week (from Monday), month, year, or all time.
PERIODS = ("week", "month", "year", "all")


def period_start(period: str, now: datetime) -> datetime | None:
    """The UTC moment the period began, counted in the site's calendar (None: all time)."""
    today = local(now).date()
    first = {
        "week": today - timedelta(days=today.weekday()),
        "month": today.replace(day=1),
        "year": today.replace(month=1, day=1),
    }.get(period)
    return None if first is None else midnight(first)


def midnight(day: date) -> datetime:
    """The UTC moment a site-local calendar day begins."""
    return datetime.combine(day, time.min, tzinfo=site_zone()).astimezone(UTC)


@on_exam_graded
def exam_points(session: Session, actor: Actor, outcome: ExamOutcome) -> None:
    """A passed exam pays once per exam record, online or typed in from paper."""
    points = get_settings().points_exam_passed
    if outcome.passed and points > 0:
        award(
            session,
            outcome.person_id,
            PointsReason.EXAM_PASSED,
            "exam_record",
            outcome.exam_record_id,
            points,
            outcome.submitted_at,
        )


def practice_points(session: Session, answer: PracticeAnswer) -> int:
    """Points for one right practice answer, up to what is left of the person's daily cap
    (site-local day); the points paid (0 past the cap or for a wrong answer)."""
    if not answer.correct or answer.id is None:
        return 0
    with session.begin_nested():
        return _capped(session, answer)


def _capped(session: Session, answer: PracticeAnswer) -> int:
    """Lock the person's cap, read what today paid and pay what is left of it."""
    settings = get_settings()
    if session.get_bind().dialect.name == "postgresql":
        lock = text("SELECT pg_advisory_xact_lock(:space, :person)")
        session.execute(lock, {"space": CAP_LOCK, "person": answer.person_id})
    start = midnight(local(answer.answered_at).date())
    paid_today = session.exec(
        select(func.coalesce(func.sum(PointsEntry.points), 0)).where(
            PointsEntry.person_id == answer.person_id,
            PointsEntry.reason == PointsReason.PRACTICE,
            col(PointsEntry.earned_at) >= start,
        )
    ).one()
    points = min(settings.points_practice_right, settings.points_practice_daily_cap - paid_today)
    if points <= 0:
        return 0
    paid = award(
        session,
        answer.person_id,
        PointsReason.PRACTICE,
        "practice_answer",
        answer.id,
        points,
        answer.answered_at,
    )
    return points if paid else 0


def my_points(session: Session, actor: Actor) -> dict[PointsReason, int]:
    """The actor's own points by reason (one GROUP BY)."""
    actor.require(Module.TRAINING, Action.VIEW)
    if actor.person_id is None:
        return {}
    stmt = (
        select(PointsEntry.reason, func.sum(PointsEntry.points))
        .where(PointsEntry.person_id == actor.person_id, col(PointsEntry.deleted_at).is_(None))
        .group_by(PointsEntry.reason)
    )
    return {PointsReason(reason): int(total or 0) for reason, total in session.exec(stmt).all()}


def leaderboard(
    session: Session,
    actor: Actor,
    scope: BoardScope,
    period: str = "all",
    *,
    now: datetime | None = None,
    limit: int = 50,
) -> list[BoardRow]:
    """The actor's own department's or enterprise's board: points summed per person in SQL
    over the period, highest first (equal points share a rank). Nobody sees another
    enterprise's board; an actor with no enterprise (or department) gets an empty one."""
    actor.require(Module.TRAINING, Action.VIEW)
    unit = actor.department_id if scope == "department" else actor.enterprise_id
    if unit is None:
        return []
    column = PointsEntry.department_id if scope == "department" else PointsEntry.enterprise_id
    total = func.sum(PointsEntry.points).label("total")
    stmt = (
        select(PointsEntry.person_id, Person.name, Department.name, total)
        .join(Person, col(Person.id) == PointsEntry.person_id)
        .outerjoin(Department, col(Department.id) == Person.department_id)
        .where(
            column == unit,
            col(PointsEntry.deleted_at).is_(None),
            col(Person.deleted_at).is_(None),
        )
        .group_by(PointsEntry.person_id, Person.name, Department.name)
        .order_by(total.desc(), col(Person.name), col(PointsEntry.person_id))
        .limit(limit)
    )
    if (start := period_start(period, now or utcnow())) is not None:
        stmt = stmt.where(col(PointsEntry.earned_at) >= start)
    rows: list[BoardRow] = []
    for person_id, name, department, points in session.exec(stmt).all():
        tied = rows and rows[-1].points == int(points)
        rank = rows[-1].rank if tied else len(rows) + 1
        rows.append(BoardRow(rank, person_id, name, department, int(points)))
    return rows
