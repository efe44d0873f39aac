"""One person's training archive (个人培训档案): every course attended with its hours, the
assignments and their due dates, exam sittings, study time and certificates, with the totals
an inspector asks for (hours per year and per education level).

The archive is read through the person: whoever may see the person record (the person
register's scope: an employee their own, a manager the people of their department or
enterprise) reads the archive, everyone else meets ``NotFound``. Every table read here is
about that one person, so its own scope says the same.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from core.crud.lookup import visible
from core.crud.registry import get_spec
from core.crud.service import NotFound
from core.rbac import Actor
from models.enums import Action, Module, Scope
from models.org import Department, Enterprise, Person, Post
from models.training import (
    EducationLevel,
    TrainingCertificate,
    TrainingCourse,
    TrainingRecord,
    TrainingResult,
)
from models.training_exam import AttemptState, ExamAttempt, ExamPaper, ExamRecord
from models.training_learning import AssignmentState, StudyProgress, TrainingAssignment

OPEN_ASSIGNMENTS = (AssignmentState.ASSIGNED, AssignmentState.IN_PROGRESS)


@dataclass(frozen=True)
class PersonCard:
    """The header of the archive and of the 三级安全教育卡."""

    id: int
    enterprise_id: int
    name: str
    gender: str | None
    employee_no: str | None
    enterprise: str
    industry: str
    department: str
    post: str
    hired_on: date | None


@dataclass(frozen=True)
class CourseLine:
    course: str
    description: str | None
    level: EducationLevel | None
    trained_on: date
    hours: float
    result: TrainingResult
    score: float | None
    trainer: str | None
    exam_no: str | None


@dataclass(frozen=True)
class AssignmentLine:
    course: str
    state: AssignmentState
    assigned_on: date
    due_on: date
    completed_on: date | None
    overdue: bool


@dataclass(frozen=True)
class ExamLine:
    """A sitting: a graded record (online or an offline score), or an attempt still open."""

    paper: str
    exam_no: str | None
    attempt: int
    started_at: datetime
    score: float | None
    passed: bool | None
    offline: bool
    open: bool = False


@dataclass(frozen=True)
class StudyLine:
    course: str
    materials: int
    completed: int
    hours: float


@dataclass(frozen=True)
class CertificateLine:
    number: str
    kind: str
    course: str
    issued_on: date
    expires_on: date | None
    valid: bool


@dataclass(frozen=True)
class Archive:
    person: PersonCard
    courses: list[CourseLine]
    assignments: list[AssignmentLine]
    exams: list[ExamLine]
    study: list[StudyLine]
    certificates: list[CertificateLine]
    hours_by_year: dict[int, float] = field(default_factory=dict)
    hours_by_level: dict[str, float] = field(default_factory=dict)

    @property
    def total_hours(self) -> float:
        return sum(self.hours_by_year.values())


def people_in_reach(session: Session, actor: Actor, limit: int = 2000) -> dict[int, str]:
    """id → name of the people whose archive the actor may open: themselves only at the
    employee's own scope, otherwise the person register's scope."""
    actor.require(Module.TRAINING, Action.VIEW)
    stmt = visible(get_spec("person"), actor).with_only_columns(Person.id, Person.name)
    if actor.scope == Scope.OWN:
        stmt = stmt.where(Person.id == (actor.person_id or -1))
    rows = session.execute(stmt.order_by(Person.name, Person.id).limit(limit)).all()
    return {i: n for i, n in rows}


def person_card(session: Session, actor: Actor, person_id: int) -> PersonCard:
    """The person if the actor may open their archive, else ``NotFound``."""
    actor.require(Module.TRAINING, Action.VIEW)
    if not _in_scope(session, actor, person_id):
        raise NotFound()
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound()
    dept = session.get(Department, person.department_id) if person.department_id else None
    post = session.get(Post, person.post_id) if person.post_id else None
    ent = session.get(Enterprise, person.enterprise_id)
    return PersonCard(
        id=person_id,
        enterprise_id=person.enterprise_id,
        name=person.name,
        gender=person.gender,
        employee_no=person.employee_no,
        enterprise=ent.name if ent else "",
        industry=str(ent.industry) if ent else "",
        department=dept.name if dept else "",
        post=post.name if post else "",
        hired_on=person.hired_on,
    )


def _in_scope(session: Session, actor: Actor, person_id: int) -> bool:
    """The picker's rule for one person: themselves at the employee's own scope, else the
    person register's scope."""
    if actor.scope == Scope.OWN:
        return person_id == actor.person_id
    stmt = visible(get_spec("person"), actor).where(Person.id == person_id)
    return session.exec(stmt).first() is not None


def course_lines(session: Session, person_id: int) -> list[CourseLine]:
    stmt = (
        select(TrainingRecord, TrainingCourse, ExamRecord.exam_no)
        .join(TrainingCourse, col(TrainingCourse.id) == TrainingRecord.course_id)
        .join(ExamRecord, col(ExamRecord.id) == TrainingRecord.exam_record_id, isouter=True)
        .where(TrainingRecord.person_id == person_id, col(TrainingRecord.deleted_at).is_(None))
        .order_by(col(TrainingRecord.trained_on), col(TrainingRecord.id))
    )
    return [
        CourseLine(
            course=c.name,
            description=c.description,
            level=c.level,
            trained_on=r.trained_on,
            hours=r.hours,
            result=r.result,
            score=r.score,
            trainer=r.trainer or c.teacher,
            exam_no=exam_no,
        )
        for r, c, exam_no in session.exec(stmt).all()
    ]


def _assignments(session: Session, person_id: int, today: date) -> list[AssignmentLine]:
    stmt = (
        select(TrainingAssignment, TrainingCourse.name)
        .join(TrainingCourse, col(TrainingCourse.id) == TrainingAssignment.course_id)
        .where(
            TrainingAssignment.person_id == person_id,
            col(TrainingAssignment.deleted_at).is_(None),
        )
        .order_by(col(TrainingAssignment.due_on))
    )
    return [
        AssignmentLine(
            course=name,
            state=a.state,
            assigned_on=a.assigned_on,
            due_on=a.due_on,
            completed_on=a.completed_on,
            overdue=a.state in OPEN_ASSIGNMENTS and a.due_on < today,
        )
        for a, name in session.exec(stmt).all()
    ]


def _exams(session: Session, person_id: int) -> list[ExamLine]:
    graded = (
        select(ExamRecord, ExamPaper.name)
        .join(ExamPaper, col(ExamPaper.id) == ExamRecord.paper_id)
        .where(ExamRecord.person_id == person_id, col(ExamRecord.deleted_at).is_(None))
    )
    lines = [
        ExamLine(name, r.exam_no, r.attempt, r.started_at, r.score, r.passed, r.offline)
        for r, name in session.exec(graded).all()
    ]
    still_open = (
        select(ExamAttempt, ExamPaper.name)
        .join(ExamPaper, col(ExamPaper.id) == ExamAttempt.paper_id)
        .where(
            ExamAttempt.person_id == person_id,
            col(ExamAttempt.state) != AttemptState.GRADED,
            col(ExamAttempt.deleted_at).is_(None),
        )
    )
    lines += [
        ExamLine(name, None, a.attempt_no, a.started_at, None, None, False, open=True)
        for a, name in session.exec(still_open).all()
    ]
    return sorted(lines, key=lambda line: line.started_at)


def _study(session: Session, person_id: int) -> list[StudyLine]:
    stmt = (
        select(
            TrainingCourse.name,
            func.count(col(StudyProgress.id)),
            func.count(col(StudyProgress.completed_at)),
            func.coalesce(func.sum(StudyProgress.seconds), 0),
        )
        .join(TrainingCourse, col(TrainingCourse.id) == StudyProgress.course_id)
        .where(StudyProgress.person_id == person_id, col(StudyProgress.deleted_at).is_(None))
        .group_by(TrainingCourse.id, TrainingCourse.name)
        .order_by(TrainingCourse.name)
    )
    return [
        StudyLine(name, int(total), int(done), round(int(seconds) / 3600, 2))
        for name, total, done, seconds in session.execute(stmt).all()
    ]


def _certificates(session: Session, person_id: int, today: date) -> list[CertificateLine]:
    stmt = (
        select(TrainingCertificate, TrainingCourse.name)
        .join(
            TrainingCourse,
            col(TrainingCourse.id) == TrainingCertificate.course_id,
            isouter=True,
        )
        .where(
            TrainingCertificate.person_id == person_id,
            col(TrainingCertificate.deleted_at).is_(None),
        )
        .order_by(col(TrainingCertificate.issued_on))
    )
    return [
        CertificateLine(
            number=c.number,
            kind=str(c.kind),
            course=name or "",
            issued_on=c.issued_on,
            expires_on=c.expires_on,
            valid=c.expires_on is None or c.expires_on >= today,
        )
        for c, name in session.exec(stmt).all()
    ]


def _totals(courses: list[CourseLine]) -> tuple[dict[int, float], dict[str, float]]:
    """Hours that count (attended: passed or failed, never absent) per year and level."""
    by_year: dict[int, float] = defaultdict(float)
    by_level: dict[str, float] = defaultdict(float)
    for line in courses:
        if line.result == TrainingResult.ABSENT:
            continue
        by_year[line.trained_on.year] += line.hours
        by_level[str(line.level) if line.level else ""] += line.hours
    return dict(sorted(by_year.items())), dict(by_level)


def archive_of(session: Session, actor: Actor, person_id: int, today: date) -> Archive:
    """The person's whole archive, scope-checked (``NotFound`` outside the actor's reach)."""
    person = person_card(session, actor, person_id)
    courses = course_lines(session, person_id)
    by_year, by_level = _totals(courses)
    return Archive(
        person=person,
        courses=courses,
        assignments=_assignments(session, person_id, today),
        exams=_exams(session, person_id),
        study=_study(session, person_id),
        certificates=_certificates(session, person_id, today),
        hours_by_year=by_year,
        hours_by_level=by_level,
    )
