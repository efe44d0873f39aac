"""A department's training register (部门培训台账): per person and per course how many
assignments are due, done and overdue, the coverage, and who is late.

Counted in SQL (one ``GROUP BY`` per view) over the people the actor may see, so a large
department is one round trip, not one per person. An assignment counts unless it was waived;
it is overdue when still open (assigned or in progress) after its due date.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from openpyxl import Workbook
from sqlalchemy import and_, case, func
from sqlmodel import Session, col

from core import audit
from core.crud.cells import safe_cell
from core.crud.lookup import visible, visible_row
from core.crud.registry import get_spec
from core.crud.service import NotFound
from core.i18n import t
from core.rbac import Actor
from models.enums import Action, Module, PersonStatus
from models.org import Person, Post
from models.training import TrainingCourse
from models.training_learning import AssignmentState, TrainingAssignment

OPEN = (AssignmentState.ASSIGNED, AssignmentState.IN_PROGRESS)


@dataclass(frozen=True)
class Counts:
    """One line of the register: a person or a course."""

    name: str
    detail: str  # the person's post, or the course's hours
    due: int  # assignments that count (all but waived)
    completed: int
    overdue: int

    @property
    def percent(self) -> float | None:
        return round(100 * self.completed / self.due, 1) if self.due else None


@dataclass(frozen=True)
class Overdue:
    person: str
    course: str
    due_on: date
    days_late: int


@dataclass(frozen=True)
class Register:
    department: str
    enterprise_id: int
    people: list[Counts]
    courses: list[Counts]
    overdue: list[Overdue]

    @property
    def total(self) -> Counts:
        return Counts(
            "",
            "",
            sum(p.due for p in self.people),
            sum(p.completed for p in self.people),
            sum(p.overdue for p in self.people),
        )


def _sums(today: date) -> tuple[Any, Any, Any]:
    a = TrainingAssignment
    counted = a.state != AssignmentState.WAIVED
    late = and_(col(a.state).in_(OPEN), col(a.due_on) < today)
    return (
        func.sum(case((counted, 1), else_=0)),
        func.sum(case((a.state == AssignmentState.COMPLETED, 1), else_=0)),
        func.sum(case((late, 1), else_=0)),
    )


def _people(actor: Actor, department_id: int) -> Any:
    """The active people of the department that the actor may see."""
    return visible(get_spec("person"), actor).where(
        Person.department_id == department_id, Person.status == PersonStatus.ACTIVE
    )


def _counting(actor: Actor, department_id: int, *columns: Any) -> Any:
    """The department's people as the first table of a SELECT of ``columns``."""
    return _people(actor, department_id).with_only_columns(*columns).select_from(Person)


def _assignment_join() -> Any:
    return and_(
        TrainingAssignment.person_id == Person.id, col(TrainingAssignment.deleted_at).is_(None)
    )


def _by_person(session: Session, actor: Actor, department_id: int, today: date) -> list[Counts]:
    stmt = (
        _counting(actor, department_id, Person.id, Person.name, Post.name, *_sums(today))
        .join(Post, col(Post.id) == Person.post_id, isouter=True)
        .join(TrainingAssignment, _assignment_join(), isouter=True)
        .group_by(Person.id, Person.name, Post.name)
        .order_by(Person.name, Person.id)
    )
    return [
        Counts(name, post or "", int(due or 0), int(done or 0), int(late or 0))
        for _id, name, post, due, done, late in session.execute(stmt).all()
    ]


def _by_course(session: Session, actor: Actor, department_id: int, today: date) -> list[Counts]:
    stmt = (
        _counting(
            actor,
            department_id,
            TrainingCourse.id,
            TrainingCourse.name,
            TrainingCourse.hours,
            *_sums(today),
        )
        .join(TrainingAssignment, _assignment_join())
        .join(TrainingCourse, col(TrainingCourse.id) == TrainingAssignment.course_id)
        .group_by(TrainingCourse.id, TrainingCourse.name, TrainingCourse.hours)
        .order_by(TrainingCourse.name)
    )
    return [
        Counts(name, f"{hours:g}", int(due or 0), int(done or 0), int(late or 0))
        for _id, name, hours, due, done, late in session.execute(stmt).all()
    ]


def _overdue(session: Session, actor: Actor, department_id: int, today: date) -> list[Overdue]:
    stmt = (
        _counting(actor, department_id, Person.name, TrainingCourse.name, TrainingAssignment.due_on)
        .join(TrainingAssignment, _assignment_join())
        .join(TrainingCourse, col(TrainingCourse.id) == TrainingAssignment.course_id)
        .where(col(TrainingAssignment.state).in_(OPEN), col(TrainingAssignment.due_on) < today)
        .order_by(col(TrainingAssignment.due_on), Person.name)
    )
    return [
        Overdue(person, course, due, (today - due).days)
        for person, course, due in session.execute(stmt).all()
    ]


def department_register(
    session: Session, actor: Actor, department_id: int, today: date
) -> Register:
    """The register of one department the actor may see (``NotFound`` otherwise)."""
    actor.require(Module.TRAINING, Action.VIEW)
    dept = visible_row(session, "department", actor, department_id)
    if dept is None:
        raise NotFound()
    return Register(
        department=dept.name,
        enterprise_id=dept.enterprise_id,
        people=_by_person(session, actor, department_id, today),
        courses=_by_course(session, actor, department_id, today),
        overdue=_overdue(session, actor, department_id, today),
    )


def _percent(counts: Counts) -> str:
    return "" if counts.percent is None else f"{counts.percent:g}%"


def register_workbook(
    session: Session, actor: Actor, department_id: int, today: date, lang: str
) -> bytes:
    """The register as Excel: people, courses and the overdue list, one sheet each. An
    export: it needs the export permission and leaves an audit entry."""
    actor.require(Module.TRAINING, Action.EXPORT)
    reg = department_register(session, actor, department_id, today)

    def tr(key: str) -> str:
        return t(f"training_archive.coverage.{key}", lang)

    wb = Workbook()
    sheets: list[tuple[str, list[str], list[list[Any]]]] = [
        (
            tr("sheet_people"),
            [tr(k) for k in ("person", "post", "due", "completed", "overdue", "percent")],
            [[c.name, c.detail, c.due, c.completed, c.overdue, _percent(c)] for c in reg.people],
        ),
        (
            tr("sheet_courses"),
            [tr(k) for k in ("course", "hours", "due", "completed", "overdue", "percent")],
            [[c.name, c.detail, c.due, c.completed, c.overdue, _percent(c)] for c in reg.courses],
        ),
        (
            tr("sheet_overdue"),
            [tr(k) for k in ("person", "course", "due_on", "days_late")],
            [[o.person, o.course, o.due_on, o.days_late] for o in reg.overdue],
        ),
    ]
    first = wb.active
    for i, (title, head, rows) in enumerate(sheets):
        ws = first if i == 0 else wb.create_sheet()
        ws.title = title[:31]
        ws.append([reg.department, today])
        ws.append(head)
        for row in rows:
            ws.append([safe_cell(v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    audit.record(
        session,
        actor,
        "export",
        table_name="department",
        row_id=department_id,
        enterprise_id=reg.enterprise_id,
        detail={"format": "xlsx", "document": "training_register", "rows": len(reg.people)},
    )
    return buf.getvalue()
