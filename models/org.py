"""Organisation (一园一档 / 一企一档): park, enterprise, department, area, post, person,
certificate."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field

from models.base import EnterpriseScoped, Record
from models.enums import (
    AreaKind,
    CertificateKind,
    DepartmentKind,
    Gender,
    Industry,
    PersonStatus,
    RiskLevel,
)
from models.system import Attachment


class Park(Record, table=True):
    name: str = Field(max_length=100, index=True)
    code: str = Field(max_length=40, unique=True)
    region: str | None = Field(default=None, max_length=100)
    address: str | None = Field(default=None, max_length=200)
    contact: str | None = Field(default=None, max_length=50)
    phone: str | None = Field(default=None, max_length=30)


class Enterprise(Record, table=True):
    park_id: int | None = Field(default=None, foreign_key="park.id", index=True)
    name: str = Field(max_length=100, index=True)
    code: str = Field(max_length=40, unique=True, description="Unified social credit code")
    industry: Industry = Field(default=Industry.OTHER, index=True)
    risk_level: RiskLevel = Field(default=RiskLevel.LOW, index=True)
    legal_representative: str | None = Field(default=None, max_length=50)
    safety_head: str | None = Field(default=None, max_length=50)
    phone: str | None = Field(default=None, max_length=30)
    address: str | None = Field(default=None, max_length=200)
    employees: int | None = Field(default=None, ge=0)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    plan_width: float | None = Field(default=None, gt=0, description="Floor-plan frame, metres")
    plan_height: float | None = Field(default=None, gt=0)
    floor_plan_id: int | None = Field(
        default=None,
        foreign_key=f"{Attachment.__tablename__}.id",
        index=True,
        description="Uploaded floor-plan image in the plan frame; None draws the default plan",
    )


class Department(Record, table=True):
    __table_args__ = (UniqueConstraint("enterprise_id", "name"),)

    enterprise_id: int = Field(foreign_key="enterprise.id", index=True)
    parent_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    name: str = Field(max_length=100, index=True)
    code: str | None = Field(default=None, max_length=40)
    kind: DepartmentKind = Field(default=DepartmentKind.DEPARTMENT, index=True)
    head: str | None = Field(default=None, max_length=50)
    phone: str | None = Field(default=None, max_length=30)


class Area(EnterpriseScoped, table=True):
    name: str = Field(max_length=100, index=True)
    code: str | None = Field(default=None, max_length=40)
    kind: AreaKind = Field(default=AreaKind.PRODUCTION, index=True)
    risk_level: RiskLevel = Field(default=RiskLevel.LOW, index=True)
    polygon: list[Any] = Field(default_factory=list, sa_type=JSON)


class Post(EnterpriseScoped, table=True):
    name: str = Field(max_length=100, index=True)
    code: str | None = Field(default=None, max_length=40)
    special_operation: bool = Field(default=False, index=True, description="特种作业岗位")
    description: str | None = Field(default=None, max_length=500)


class Person(EnterpriseScoped, table=True):
    post_id: int | None = Field(default=None, foreign_key="post.id", index=True)
    name: str = Field(max_length=50, index=True)
    employee_no: str | None = Field(default=None, max_length=40, index=True)
    gender: Gender | None = Field(default=None)
    phone: str | None = Field(default=None, max_length=30)
    hired_on: date | None = Field(default=None, index=True)
    status: PersonStatus = Field(default=PersonStatus.ACTIVE, index=True)


class Certificate(EnterpriseScoped, table=True):
    person_id: int = Field(foreign_key="person.id", index=True)
    kind: CertificateKind = Field(default=CertificateKind.SPECIAL_OPERATION, index=True)
    work_type: str | None = Field(default=None, max_length=60, description="e.g. 焊接与热切割作业")
    number: str = Field(max_length=60, index=True)
    issuer: str | None = Field(default=None, max_length=100)
    issued_on: date | None = Field(default=None)
    expires_on: date | None = Field(default=None, index=True)
