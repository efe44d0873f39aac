"""Contractor rules shared by forms, imports, the workflows and the demo: rating, entry check,
valid qualifications, scope."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, col, func, or_, select

from core.clock import site_today
from core.crud.service import ValidationFailed
from core.crud.validate import Problem
from core.rbac import Actor
from models.contractor import (
    Contractor,
    ContractorQualification,
    ContractorRating,
    ContractorState,
    ContractorWorker,
    WorkerStatus,
)

RATING_FLOORS: tuple[tuple[float, ContractorRating], ...] = (
    (90, ContractorRating.EXCELLENT),
    (80, ContractorRating.GOOD),
    (60, ContractorRating.QUALIFIED),
)
ON_SITE = (WorkerStatus.IN_PLANT, WorkerStatus.RESTRICTED)


def rating_for(score: float) -> ContractorRating:
    """Evaluation score (0-100) → rating: ≥ 90 excellent, ≥ 80 good, ≥ 60 qualified."""
    for floor, rating in RATING_FLOORS:
        if score >= floor:
            return rating
    return ContractorRating.UNQUALIFIED


def mask_id_number(id_number: str | None) -> str:
    """Show an ID number as ``3101**********1234`` where the full one need not be seen."""
    if not id_number:
        return ""
    if len(id_number) <= 8:
        return "*" * len(id_number)
    return id_number[:4] + "*" * (len(id_number) - 8) + id_number[-4:]


def entry_problems(values: dict[str, Any], today: date) -> list[Problem]:
    """A worker on site must have passed entry training and hold an unexpired entry pass."""
    if values.get("status") not in ON_SITE:
        return []
    problems = []
    if not values.get("training_passed_on"):
        problems.append(Problem("training_passed_on", "validation.contractor.no_training", {}))
    if not values.get("pass_no"):
        problems.append(Problem("pass_no", "validation.contractor.no_pass", {}))
    expires = values.get("pass_expires_on")
    if expires is not None and expires < today:
        problems.append(Problem("pass_expires_on", "validation.contractor.pass_expired", {}))
    return problems


def _contractor_scope(session: Session, values: dict[str, Any]) -> Contractor | None:
    """Child rows live where their contractor is registered."""
    company = session.get(Contractor, values.get("contractor_id") or -1)
    if company is not None:
        values["enterprise_id"] = company.enterprise_id
        values["department_id"] = company.department_id
    return company


def valid_qualifications(session: Session, contractor_id: int, today: date) -> tuple[int, int]:
    """(documents valid on ``today``, documents on file): a contractor is admitted on the
    strength of at least one document that has not expired (no expiry date: valid)."""
    live = (
        select(func.count())
        .select_from(ContractorQualification)
        .where(
            ContractorQualification.contractor_id == contractor_id,
            col(ContractorQualification.deleted_at).is_(None),
        )
    )
    valid = live.where(
        or_(
            col(ContractorQualification.expires_on).is_(None),
            col(ContractorQualification.expires_on) >= today,
        )
    )
    return session.exec(valid).one(), session.exec(live).one()


def before_contractor(session: Session, values: dict[str, Any], actor: Actor) -> None:
    """The blacklisted flag mirrors the state, which only the workflow's blacklist step sets:
    no form, import or API call sets it by hand."""
    values["blacklisted"] = values.get("state") == ContractorState.BLACKLISTED


def before_child(session: Session, values: dict[str, Any], actor: Actor) -> None:
    _contractor_scope(session, values)


#: Written from the entry exam the worker passed (``core.training.contractor_entry``), never
#: typed: the entry pass and the crew check trust them.
FROM_ENTRY_EXAM = ("training_passed_on", "exam_score", "exam_record_id")


def typed_exam_result(session: Session, values: dict[str, Any]) -> list[Problem]:
    """A form, import or API call that sets the entry exam's result differently from what is
    stored (nothing, for a new worker)."""
    stored = session.get(ContractorWorker, values.get("id") or -1)
    return [
        Problem(name, "validation.contractor.entry_by_exam", {})
        for name in FROM_ENTRY_EXAM
        if values.get(name) != (getattr(stored, name) if stored is not None else None)
    ]


def before_worker(session: Session, values: dict[str, Any], actor: Actor) -> None:
    _contractor_scope(session, values)
    problems = typed_exam_result(session, values) + entry_problems(values, site_today())
    if problems:
        raise ValidationFailed(problems)


def before_evaluation(session: Session, values: dict[str, Any], actor: Actor) -> None:
    _contractor_scope(session, values)
    if values.get("score") is not None:
        values["rating"] = rating_for(float(values["score"]))
