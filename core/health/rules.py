"""Save hooks of the occupational-health tables: they fill the computed columns (exceedance,
next due dates) and the scope columns, so a form, an import and the demo give the same row."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import case
from sqlmodel import Session, func, select

from core.clock import add_months
from core.compliance.rules import register_metric
from core.crud.service import ValidationFailed
from core.crud.validate import Problem
from core.rbac import Actor
from models.compliance_assessment import AutoMetric
from models.health import (
    ExamKind,
    ExamResult,
    FactorExposure,
    FollowUp,
    HealthExam,
    MonitoringResult,
    OccupationalFactor,
)
from models.health_ppe import PpeItem, PpeStandard
from models.org import Area, Person, Post


def _person_scope(session: Session, values: dict[str, Any]) -> Person | None:
    """A person's records live where the person works."""
    person = session.get(Person, values.get("person_id") or -1)
    if person is not None:
        values["enterprise_id"] = person.enterprise_id
        values["department_id"] = person.department_id
    return person


def before_save_exposure(session: Session, values: dict[str, Any], actor: Actor) -> None:
    """Take the enterprise (and department) from the post or area when the form leaves them out."""
    for model, key in ((Post, "post_id"), (Area, "area_id")):
        place = session.get(model, values.get(key) or -1)
        if place is not None:
            values["enterprise_id"] = values.get("enterprise_id") or place.enterprise_id
            values["department_id"] = values.get("department_id") or place.department_id


def before_save_monitoring(session: Session, values: dict[str, Any], actor: Actor) -> None:
    """Snapshot the factor's limit and unit and flag the result when it is above the limit."""
    factor = session.get(OccupationalFactor, values.get("factor_id") or -1)
    if factor is None:
        return
    if values.get("value") is not None and values["value"] < 0:
        raise ValidationFailed([Problem("value", "validation.health.negative_value", {})])
    values["unit"] = factor.unit
    values["limit_value"] = factor.limit_value
    values["exceeded"] = is_exceeded(values.get("value") or 0.0, factor.limit_value)
    area = session.get(Area, values.get("area_id") or -1)
    if area is not None:
        values["enterprise_id"] = values.get("enterprise_id") or area.enterprise_id
        values["department_id"] = values.get("department_id") or area.department_id


def before_save_exam(session: Session, values: dict[str, Any], actor: Actor) -> None:
    """Scope from the person, next due date from the factor's GBZ 188 interval; an abnormal
    result without a follow-up is a domain error (疑似职业病 must go to diagnosis)."""
    _person_scope(session, values)
    factor = session.get(OccupationalFactor, values.get("factor_id") or -1)
    interval = factor.exam_interval_months if factor is not None else None
    kind = ExamKind(values.get("kind") or ExamKind.PERIODIC)
    if values.get("exam_date") is not None:
        values["next_due"] = next_exam_due(kind, values["exam_date"], interval)
    result = values.get("result") or ExamResult.NORMAL
    follow = values.get("follow_up") or FollowUp.NONE
    if result == ExamResult.SUSPECTED_OCCUPATIONAL and follow != FollowUp.DIAGNOSIS:
        raise ValidationFailed([Problem("follow_up", "validation.health.needs_diagnosis", {})])


def before_save_ppe_standard(session: Session, values: dict[str, Any], actor: Actor) -> None:
    """Scope from the post; the cycle defaults to the item's replacement cycle."""
    post = session.get(Post, values.get("post_id") or -1)
    if post is not None:
        values["enterprise_id"] = post.enterprise_id
        values["department_id"] = post.department_id
    item = session.get(PpeItem, values.get("ppe_item_id") or -1)
    if item is not None and not values.get("cycle_months"):
        values["cycle_months"] = item.replacement_months


def issue_cycle(session: Session, person: Person | None, item: PpeItem) -> int:
    """The post's own cycle for the item where the post has a standard, else the item's."""
    if person is not None and person.post_id is not None:
        stmt = select(PpeStandard.cycle_months).where(
            PpeStandard.post_id == person.post_id,
            PpeStandard.ppe_item_id == item.id,
            PpeStandard.deleted_at.is_(None),
        )
        cycle = session.exec(stmt).first()
        if cycle:
            return cycle
    return item.replacement_months


def before_save_ppe_issue(session: Session, values: dict[str, Any], actor: Actor) -> None:
    person = _person_scope(session, values)
    item = session.get(PpeItem, values.get("ppe_item_id") or -1)
    if item is not None and values.get("issue_date") is not None:
        values["next_due"] = add_months(values["issue_date"], issue_cycle(session, person, item))


def exams_up_to_date(session: Session, enterprise_id: int, day: date) -> float | None:
    """Share of examined people whose latest scheduled exam is not overdue on ``day``."""
    latest = (
        select(HealthExam.person_id, func.max(HealthExam.next_due).label("due"))
        .where(HealthExam.enterprise_id == enterprise_id, HealthExam.deleted_at.is_(None))
        .where(HealthExam.next_due.is_not(None))
        .group_by(HealthExam.person_id)
    ).subquery()
    total, ok = session.exec(
        select(func.count(), func.sum(case((latest.c.due >= day, 1), else_=0)))
    ).one()
    return (ok or 0) / total if total else None


def exposures_monitored(session: Session, enterprise_id: int, day: date) -> float | None:
    """Share of the enterprise's exposures whose factor was measured there within a year."""
    exposures = session.exec(
        select(FactorExposure.factor_id).where(
            FactorExposure.enterprise_id == enterprise_id, FactorExposure.deleted_at.is_(None)
        )
    ).all()
    if not exposures:
        return None
    measured = set(
        session.exec(
            select(MonitoringResult.factor_id).where(
                MonitoringResult.enterprise_id == enterprise_id,
                MonitoringResult.sampled_on > day - timedelta(days=365),
                MonitoringResult.sampled_on <= day,
                MonitoringResult.deleted_at.is_(None),
            )
        ).all()
    )
    return sum(f in measured for f in exposures) / len(exposures)


register_metric(AutoMetric.HEALTH_EXAMS_DONE, exams_up_to_date)
register_metric(AutoMetric.MONITORING_DONE, exposures_monitored)


def is_exceeded(value: float, limit: float | None) -> bool:
    """A result above the limit exceeds it; a factor without a numeric limit never does."""
    return limit is not None and value > limit


def next_exam_due(kind: ExamKind, exam_date: date, interval_months: int | None) -> date | None:
    """Pre-employment and periodic exams start the GBZ 188 cycle; exit and emergency exams
    end or interrupt it, so they schedule nothing."""
    if interval_months is None or kind not in (ExamKind.PRE_EMPLOYMENT, ExamKind.PERIODIC):
        return None
    return add_months(exam_date, interval_months)
