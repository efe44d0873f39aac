"""Health due dates: the next occupational health exam per person and hazard factor (GBZ 188
cycle), reminded to the person and, ahead too, to the managers."""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, exists, or_
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from core.inbox import DueDate, due_date
from models.health import ExamKind, HealthExam


def latest_exam(horizon: date) -> ColumnElement[bool]:
    """The exam is the person's latest for its factor: a later one took over the cycle, and
    an exit exam ends them all."""
    later = aliased(HealthExam)
    return ~exists().where(
        and_(
            later.person_id == HealthExam.person_id,
            or_(later.factor_id == HealthExam.factor_id, later.kind == ExamKind.EXIT),
            later.exam_date > HealthExam.exam_date,
            col(later.deleted_at).is_(None),
        )
    )


HEALTH_EXAM = due_date(
    DueDate(
        name="health_exam_due",
        table="health_exam",
        column="next_due",
        label="remind.kind.health_exam",
        holder="person_id",
        managers_ahead=True,
        still_due=latest_exam,
    )
)
