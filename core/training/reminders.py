"""What training asks of people by a date: certificates expiring or due for review (the
holder is told ahead, with their managers, and the managers again once it is overdue), and
plans still not started on their planned day."""

from __future__ import annotations

from datetime import date

from sqlalchemy import exists
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from core.db import utcnow
from core.inbox import DueDate, due_date, reminder
from core.training.assignment_rules import is_open
from core.training.exam_attempts import close_expired
from models.enums import PersonStatus
from models.org import Person
from models.training import TrainingCertificate as Cert
from models.training import TrainingPlan, TrainingPlanState


def still_held(_horizon: date) -> ColumnElement[bool]:
    """A certificate its holder still relies on: they have not left, and no newer one of the
    same kind for the same course replaced it (a new fire-safety certificate does not renew
    the forklift one)."""
    newer = aliased(Cert)
    renewed = exists().where(
        newer.person_id == Cert.person_id,
        newer.kind == Cert.kind,
        col(newer.course_id).is_not_distinct_from(Cert.course_id),
        newer.issued_on > Cert.issued_on,
        col(newer.deleted_at).is_(None),
    )
    active = exists().where(Person.id == Cert.person_id, Person.status == PersonStatus.ACTIVE)
    return ~renewed & active


CERTIFICATE_EXPIRY = due_date(
    DueDate(
        name="training_certificate_expiry",
        table="training_certificate",
        column="expires_on",
        label="remind.kind.training_certificate_expiry",
        holder="person_id",
        managers_ahead=True,
        still_due=still_held,
    )
)

CERTIFICATE_REVIEW = due_date(
    DueDate(
        name="training_certificate_review",
        table="training_certificate",
        column="review_due_on",
        label="remind.kind.training_certificate_review",
        holder="person_id",
        managers_ahead=True,
        still_due=still_held,
    )
)

PLAN_START = due_date(
    DueDate(
        name="training_plan_start",
        table="training_plan",
        column="planned_on",
        label="remind.kind.training_plan",
        lead_days=7,
        grace_days=3,
        still_due=lambda _horizon: col(TrainingPlan.state).in_(
            (TrainingPlanState.DRAFT, TrainingPlanState.APPROVED)
        ),
    )
)


@reminder("exam attempts past their time")
def close_overdue_attempts(session: Session, _today: date) -> int:
    """Hand in the attempts whose time and grace ran out while nobody looked (a phone left
    on a bench): answers as saved. The examinee's own return does the same at once."""
    return close_expired(session, utcnow())


#: An assignment still open: its person is told ahead and on the day, the managers (and the
#: head of the person's department) once it is overdue.
ASSIGNMENT_DUE = due_date(
    DueDate(
        name="training_assignment_due",
        table="training_assignment",
        column="due_on",
        label="remind.kind.training_assignment",
        holder="person_id",
        lead_days=7,
        grace_days=3,
        still_due=lambda _horizon: is_open(),
    )
)
