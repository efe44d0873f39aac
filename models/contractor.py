"""Contractors (相关方): company file, qualifications, contracts, workers, violations, scoring.

A contractor's admission and its violations are workflows (``ContractorState``,
``ContractorViolationState``, declared in ``core.contractor.flow``). A worker's ``status`` (not
entered / in plant / left / restricted) records what the gate did, not a date: whether a pass,
certificate or insurance has expired is always read from its date, never stored. Only a worker
who passed entry training and holds a valid entry pass may be in the plant.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlmodel import Field

from models.base import EnterpriseScoped, Record


class ContractorKind(StrEnum):
    CONSTRUCTION = "construction"
    INSTALLATION = "installation"
    MAINTENANCE = "maintenance"
    LOGISTICS = "logistics"
    CLEANING = "cleaning"
    SECURITY = "security"
    CATERING = "catering"
    LABOUR = "labour"
    SUPPLIER = "supplier"
    OTHER = "other"


class ContractorState(StrEnum):
    """Admission workflow: applied → reviewing → admitted / rejected; suspended; blacklisted."""

    APPLIED = "applied"
    REVIEWING = "reviewing"
    ADMITTED = "admitted"
    REJECTED = "rejected"
    SUSPENDED = "suspended"
    BLACKLISTED = "blacklisted"


class ContractorRating(StrEnum):
    """Safety rating from the evaluation score (see ``core.contractor.rules.rating_for``)."""

    EXCELLENT = "excellent"
    GOOD = "good"
    QUALIFIED = "qualified"
    UNQUALIFIED = "unqualified"


class QualificationKind(StrEnum):
    BUSINESS_LICENCE = "business_licence"
    SAFETY_LICENCE = "safety_licence"
    QUALIFICATION = "qualification"
    INSURANCE = "insurance"
    SAFETY_AGREEMENT = "safety_agreement"
    OTHER = "other"


class WorkerStatus(StrEnum):
    NOT_ENTERED = "not_entered"
    IN_PLANT = "in_plant"
    LEFT = "left"
    RESTRICTED = "restricted"


class ContractorViolationState(StrEnum):
    """Violation workflow: recorded → notified → rectified → closed; a notified contractor may
    appeal, and the appeal is upheld (back to notified) or the violation revoked."""

    RECORDED = "recorded"
    NOTIFIED = "notified"
    RECTIFIED = "rectified"
    APPEALED = "appealed"
    REVOKED = "revoked"
    CLOSED = "closed"


class ContractorTrade(Record, table=True):
    """Trades (工种) of contractor workers; special ones need a 特种作业操作证."""

    __tablename__ = "contractor_trade"

    code: str = Field(max_length=20, unique=True, index=True)
    name: str = Field(max_length=60, index=True)
    name_en: str = Field(max_length=80)
    special_operation: bool = Field(default=False, index=True)
    description: str | None = Field(default=None, max_length=300)


class Contractor(EnterpriseScoped, table=True):
    __tablename__ = "contractor"

    name: str = Field(max_length=100, index=True)
    credit_code: str = Field(max_length=40, index=True, description="统一社会信用代码")
    kind: ContractorKind = Field(default=ContractorKind.CONSTRUCTION, index=True)
    contact: str | None = Field(default=None, max_length=50)
    phone: str | None = Field(default=None, max_length=30)
    address: str | None = Field(default=None, max_length=200)
    safety_rating: ContractorRating | None = Field(default=None, index=True)
    blacklisted: bool = Field(default=False, index=True)
    state: ContractorState = Field(default=ContractorState.APPLIED, index=True)
    admitted_on: date | None = Field(default=None)
    remarks: str | None = Field(default=None, max_length=500)


class ContractorQualification(EnterpriseScoped, table=True):
    __tablename__ = "contractor_qualification"

    contractor_id: int = Field(foreign_key="contractor.id", index=True)
    kind: QualificationKind = Field(default=QualificationKind.QUALIFICATION, index=True)
    title: str = Field(max_length=100)
    number: str = Field(max_length=60, index=True)
    issuer: str | None = Field(default=None, max_length=100)
    issued_on: date | None = Field(default=None)
    expires_on: date | None = Field(default=None, index=True)


class ContractorProject(EnterpriseScoped, table=True):
    """A contract / project, with the safety terms the contractor signed up to."""

    __tablename__ = "contractor_project"

    contractor_id: int = Field(foreign_key="contractor.id", index=True)
    name: str = Field(max_length=100, index=True)
    contract_no: str = Field(max_length=60, index=True)
    area_id: int | None = Field(default=None, foreign_key="area.id", index=True)
    start_on: date = Field(index=True)
    end_on: date | None = Field(default=None, index=True)
    safety_terms: str | None = Field(default=None, max_length=4000)
    safety_officer: str | None = Field(default=None, max_length=50)


class ContractorWorker(EnterpriseScoped, table=True):
    __tablename__ = "contractor_worker"

    contractor_id: int = Field(foreign_key="contractor.id", index=True)
    name: str = Field(max_length=50, index=True)
    person_id: int | None = Field(
        default=None,
        foreign_key="person.id",
        index=True,
        description="the worker's person record, where the worker has an account",
    )
    id_number: str | None = Field(default=None, max_length=18, description="居民身份证号")
    phone: str | None = Field(default=None, max_length=30, index=True)
    trade_id: int | None = Field(default=None, foreign_key="contractor_trade.id", index=True)
    cert_no: str | None = Field(default=None, max_length=60)
    cert_expires_on: date | None = Field(default=None, index=True)
    insurance_expires_on: date | None = Field(default=None, index=True)
    medical_expires_on: date | None = Field(default=None, index=True)
    status: WorkerStatus = Field(default=WorkerStatus.NOT_ENTERED, index=True)
    training_passed_on: date | None = Field(default=None)
    exam_score: float | None = Field(default=None, ge=0)
    exam_record_id: int | None = Field(default=None, foreign_key="exam_record.id")
    pass_no: str | None = Field(default=None, max_length=40, index=True)
    pass_expires_on: date | None = Field(default=None, index=True)


class ContractorViolation(EnterpriseScoped, table=True):
    __tablename__ = "contractor_violation"

    contractor_id: int = Field(foreign_key="contractor.id", index=True)
    worker_id: int | None = Field(default=None, foreign_key="contractor_worker.id", index=True)
    occurred_on: date = Field(index=True)
    description: str = Field(max_length=500)
    points: int = Field(default=1, ge=0, le=12)
    fine: float | None = Field(default=None, ge=0)
    state: ContractorViolationState = Field(default=ContractorViolationState.RECORDED, index=True)


class ContractorEvaluation(EnterpriseScoped, table=True):
    __tablename__ = "contractor_evaluation"

    contractor_id: int = Field(foreign_key="contractor.id", index=True)
    period: str = Field(max_length=20, index=True, description="e.g. 2025 or 2025-H1")
    evaluated_on: date = Field(index=True)
    score: float = Field(ge=0, le=100)
    rating: ContractorRating | None = Field(default=None, index=True)
    comments: str | None = Field(default=None, max_length=1000)
