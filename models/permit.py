"""Hazardous work permits (作业票, GB 30871-2022): the permit, its gas readings and its
approval signatures. Rules (number, validity, gas limits) live in ``core.permit``."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field

from models.base import EnterpriseScoped
from models.permit_reference import PermitApprovalRole, PermitGas, PermitGasUnit


class PermitState(StrEnum):
    """The whole life of a permit; transitions come with the workflow engine."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVING = "approving"
    APPROVED = "approved"
    REJECTED = "rejected"
    GAS_TESTED = "gas_tested"
    IN_PROGRESS = "in_progress"
    SUSPENDED = "suspended"
    COMPLETED = "completed"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class PermitDecision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


class Permit(EnterpriseScoped, table=True):
    __tablename__ = "permit"

    number: str | None = Field(default=None, max_length=20, unique=True, index=True)
    permit_type_id: int = Field(foreign_key="permit_type.id", index=True)
    grade_id: int | None = Field(default=None, foreign_key="permit_grade.id", index=True)
    area_id: int | None = Field(default=None, foreign_key="area.id", index=True)
    location: str = Field(max_length=200)
    x: float | None = Field(default=None)
    y: float | None = Field(default=None)
    planned_start: datetime = Field(index=True)
    planned_end: datetime
    content: str = Field(max_length=1000)
    applicant_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    guardian_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    workers: list[Any] = Field(default_factory=list, sa_type=JSON)
    jsa: list[Any] = Field(default_factory=list, sa_type=JSON)
    state: PermitState = Field(default=PermitState.DRAFT, index=True)
    cancel_reason: str | None = Field(default=None, max_length=500)
    closed_at: datetime | None = Field(default=None)


class PermitGasReading(EnterpriseScoped, table=True):
    __tablename__ = "permit_gas_reading"

    permit_id: int = Field(foreign_key="permit.id", index=True)
    gas: PermitGas = Field(index=True)
    value: float
    unit: PermitGasUnit = Field(default=PermitGasUnit.VOL_PCT)
    measured_at: datetime = Field(index=True)
    tester_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    sample_point: str | None = Field(default=None, max_length=100)
    medium_lel: float | None = Field(default=None, ge=0, le=100)
    within_limit: bool | None = Field(default=None, index=True)


class PermitSignature(EnterpriseScoped, table=True):
    __tablename__ = "permit_signature"

    permit_id: int = Field(foreign_key="permit.id", index=True)
    step: int = Field(default=1, ge=1, le=20)
    role: PermitApprovalRole = Field(index=True)
    signer_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    decision: PermitDecision = Field(default=PermitDecision.APPROVE, index=True)
    comment: str | None = Field(default=None, max_length=500)
    signed_at: datetime = Field(index=True)
