"""Training (教育培训): course types, courses, plans, attendance records and certificates.

``training_certificate`` is the training ledger of certificates earned through a course (厂内
培训合格证, 三级安全教育合格, and 特种作业 certificates with their 3-year review), with review
dates; the org ``certificate`` table stays the registry of certificates a person holds.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import JSON
from sqlmodel import Field

from models.base import EnterpriseScoped, Record
from models.enums import DocumentState


class EducationLevel(StrEnum):
    """The three levels of new workers' safety education (三级安全教育)."""

    PLANT = "plant"  # 厂（公司）级
    WORKSHOP = "workshop"  # 车间（工段、区、队）级
    TEAM = "team"  # 班组级


class PlanPeriod(StrEnum):
    ANNUAL = "annual"
    MONTHLY = "monthly"


class TrainingPlanState(StrEnum):
    """Plan workflow: draft → approved → in progress → completed, or cancelled."""

    DRAFT = "draft"
    APPROVED = "approved"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class TrainingResult(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    ABSENT = "absent"


class TrainingCertificateKind(StrEnum):
    SPECIAL_OPERATION = "special_operation"
    SPECIAL_EQUIPMENT = "special_equipment"
    PRINCIPAL = "principal"
    SAFETY_MANAGER = "safety_manager"
    THREE_LEVEL = "three_level"
    INTERNAL = "internal"


class TrainingCourseType(Record, table=True):
    """Course types with the statutory minimum hours (《生产经营单位安全培训规定》)."""

    __tablename__ = "training_course_type"

    code: str = Field(max_length=20, unique=True, index=True)
    name: str = Field(max_length=60, index=True)
    name_en: str = Field(max_length=80)
    min_hours: float | None = Field(default=None, ge=0)
    refresher_hours: float | None = Field(default=None, ge=0)
    description: str | None = Field(default=None, max_length=300)


class TrainingCourse(EnterpriseScoped, table=True):
    """A course and its materials: published to its audience, drafts seen by editors only."""

    __tablename__ = "training_course"

    name: str = Field(max_length=100, index=True)
    course_type_id: int | None = Field(
        default=None, foreign_key="training_course_type.id", index=True
    )
    hours: float = Field(default=1, ge=0)
    mandatory: bool = Field(default=False, index=True)
    tags: list[str] = Field(default_factory=list, sa_type=JSON)
    target_posts: list[str] = Field(default_factory=list, sa_type=JSON)
    teacher: str | None = Field(default=None, max_length=50)
    material_url: str | None = Field(default=None, max_length=300)
    description: str | None = Field(default=None, max_length=1000)
    state: DocumentState = Field(default=DocumentState.DRAFT, index=True)
    level: EducationLevel | None = Field(default=None, index=True)


class TrainingPlan(EnterpriseScoped, table=True):
    __tablename__ = "training_plan"

    name: str = Field(max_length=100, index=True)
    period: PlanPeriod = Field(default=PlanPeriod.MONTHLY, index=True)
    course_id: int = Field(foreign_key="training_course.id", index=True)
    post_id: int | None = Field(default=None, foreign_key="post.id", index=True)
    planned_on: date = Field(index=True)
    planned_people: int = Field(default=0, ge=0)
    mandatory: bool = Field(default=False, index=True)
    state: TrainingPlanState = Field(default=TrainingPlanState.DRAFT, index=True)


class TrainingRecord(EnterpriseScoped, table=True):
    """One person's attendance of one course: the per-person training archive."""

    __tablename__ = "training_record"

    person_id: int = Field(foreign_key="person.id", index=True)
    course_id: int = Field(foreign_key="training_course.id", index=True)
    plan_id: int | None = Field(default=None, foreign_key="training_plan.id", index=True)
    trained_on: date = Field(index=True)
    hours: float = Field(default=1, ge=0)
    result: TrainingResult = Field(default=TrainingResult.PASSED, index=True)
    score: float | None = Field(default=None, ge=0, le=100)
    trainer: str | None = Field(default=None, max_length=50)
    location: str | None = Field(default=None, max_length=100)
    assignment_id: int | None = Field(default=None, index=True)
    exam_record_id: int | None = Field(default=None, foreign_key="exam_record.id")


class TrainingCertificate(EnterpriseScoped, table=True):
    __tablename__ = "training_certificate"

    person_id: int = Field(foreign_key="person.id", index=True)
    kind: TrainingCertificateKind = Field(default=TrainingCertificateKind.INTERNAL, index=True)
    course_id: int | None = Field(default=None, foreign_key="training_course.id", index=True)
    number: str = Field(max_length=60, index=True)
    issued_on: date = Field(index=True)
    expires_on: date | None = Field(default=None, index=True)
    review_due_on: date | None = Field(default=None, index=True)
    reviewed_on: date | None = Field(default=None)
    exam_record_id: int | None = Field(default=None, foreign_key="exam_record.id", index=True)
