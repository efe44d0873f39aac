"""Compliance self-assessment (安全生产标准化自评): a template of scored items, and yearly
results whose total, score rate, gaps and grade are computed from the item scores."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Text, UniqueConstraint
from sqlmodel import Field

from models.base import EnterpriseScoped, Record


class AssessMethod(StrEnum):
    """Checked from the platform's data, or from evidence an assessor looks at."""

    AUTO = "auto"
    EVIDENCE = "evidence"


class AutoMetric(StrEnum):
    """The data an automatic item reads (computed by the module that owns the data)."""

    TRAINING_COVERAGE = "training_coverage"
    HAZARD_CLOSURE = "hazard_closure"
    DRILLS_HELD = "drills_held"
    CERTIFICATES_VALID = "certificates_valid"
    HEALTH_EXAMS_DONE = "health_exams_done"
    MONITORING_DONE = "monitoring_done"
    RISK_POINTS_ASSESSED = "risk_points_assessed"


class AssessmentGrade(StrEnum):
    """标准化等级 by score rate; thresholds in ``GRADE_THRESHOLDS`` (check against the
    current 《企业安全生产标准化建设定级办法》 and the industry's scoring rules)."""

    LEVEL_1 = "level_1"
    LEVEL_2 = "level_2"
    LEVEL_3 = "level_3"
    FAIL = "fail"


class AssessmentState(StrEnum):
    """A self-assessment's life: the assessors draft it, submit it, and a reviewer accepts it
    (reviewed, archived) or returns it to draft."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    REVIEWED = "reviewed"


class AssessmentTemplate(Record, table=True):
    __tablename__ = "assessment_template"

    name: str = Field(max_length=100, unique=True, index=True)
    standard: str | None = Field(default=None, max_length=100, description="e.g. GB/T 33000-2016")
    version: str | None = Field(default=None, max_length=20)
    description: str | None = Field(default=None, max_length=500)


class AssessmentItem(Record, table=True):
    __tablename__ = "assessment_item"
    __table_args__ = (UniqueConstraint("template_id", "code"),)

    template_id: int = Field(foreign_key="assessment_template.id", index=True)
    code: str = Field(max_length=20, index=True)
    element: str = Field(max_length=60, index=True, description="一级要素")
    requirement: str = Field(max_length=1000, sa_type=Text)
    method: AssessMethod = Field(default=AssessMethod.EVIDENCE, index=True)
    metric: AutoMetric | None = Field(default=None)
    max_score: float = Field(default=10.0, gt=0)
    position: int = Field(default=0)


class AssessmentResult(EnterpriseScoped, table=True):
    __tablename__ = "assessment_result"

    template_id: int = Field(foreign_key="assessment_template.id", index=True)
    period: str = Field(max_length=20, index=True, description="e.g. 2025")
    assessed_on: date | None = Field(default=None, index=True)
    assessor: str | None = Field(default=None, max_length=50)
    scores: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    total: float = Field(default=0.0)
    max_total: float = Field(default=0.0)
    score_rate: float = Field(default=0.0)
    gaps: int = Field(default=0)
    grade: AssessmentGrade = Field(default=AssessmentGrade.FAIL, index=True)
    state: AssessmentState = Field(default=AssessmentState.DRAFT, index=True)
