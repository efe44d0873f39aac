"""Contractor due dates, declared for the inbox (``core.inbox.due_date``): the company's
qualifications and each worker's special-operation certificate, insurance, medical report and
entry pass. Each is reminded 30 days ahead, again when it passes, and escalated to the
managers after the grace period.

A qualification has no holder, so the safety managers (and the head of the department the
contractor is registered with) hear of it ahead. A worker's documents go to the worker, when
the worker has an account (``person_id``), and to the responsible manager at once. Expiry is
always read from the dates, never stored; a worker's ``status`` (in plant, left, restricted)
records what the gate did and does not follow from them.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import exists, or_
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select

from core.contractor.flow import CLOSED_ADMISSIONS
from core.inbox import DueDate, due_date
from models.contractor import Contractor, ContractorQualification, ContractorWorker, WorkerStatus


def _on_the_books(contractor_id: ColumnElement[int]) -> ColumnElement[bool]:
    """The contractor is still dealt with: not deleted, rejected or blacklisted."""
    live = select(Contractor.id).where(
        col(Contractor.deleted_at).is_(None), col(Contractor.state).not_in(CLOSED_ADMISSIONS)
    )
    return contractor_id.in_(live)


def _qualification_due(horizon: date) -> ColumnElement[bool]:
    """Not renewed: no later-expiring (or open-ended) document of the same kind and title."""
    q = ContractorQualification
    newer = aliased(ContractorQualification)
    renewed = exists().where(
        newer.contractor_id == q.contractor_id,
        newer.kind == q.kind,
        newer.title == q.title,
        newer.id != q.id,
        col(newer.deleted_at).is_(None),
        or_(col(newer.expires_on).is_(None), newer.expires_on > q.expires_on),
    )
    return ~renewed & _on_the_books(col(q.contractor_id))


def _worker_due(horizon: date) -> ColumnElement[bool]:
    """A worker who left needs nothing renewed."""
    w = ContractorWorker
    return (col(w.status) != WorkerStatus.LEFT) & _on_the_books(col(w.contractor_id))


CONTRACTOR_QUALIFICATION = due_date(
    DueDate(
        name="contractor_qualification",
        table="contractor_qualification",
        column="expires_on",
        label="remind.kind.contractor_qualification",
        still_due=_qualification_due,
    )
)


def _worker_document(name: str, column: str, label: str) -> DueDate:
    return due_date(
        DueDate(
            name=name,
            table="contractor_worker",
            column=column,
            label=label,
            holder="person_id",
            managers_ahead=True,
            still_due=_worker_due,
        )
    )


WORKER_CERTIFICATE = _worker_document(
    "contractor_worker_certificate", "cert_expires_on", "remind.kind.contractor_worker_certificate"
)
WORKER_INSURANCE = _worker_document(
    "contractor_worker_insurance",
    "insurance_expires_on",
    "remind.kind.contractor_worker_insurance",
)
WORKER_MEDICAL = _worker_document(
    "contractor_worker_medical", "medical_expires_on", "remind.kind.contractor_worker_medical"
)
WORKER_PASS = _worker_document(
    "contractor_worker_pass", "pass_expires_on", "remind.kind.contractor_worker_pass"
)
