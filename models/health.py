"""Occupational health (职业健康): hazard factors with their exposure limits, where workers meet
them, workplace monitoring against the limits, and health examinations on the GBZ 188 cycle.

The computed values (exceedance, next examination date) are plain functions so that forms,
imports and the demo generator all agree on them.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlmodel import Field

from models.base import EnterpriseScoped, Record


class FactorCategory(StrEnum):
    """Classes of 《职业病危害因素分类目录》 (dust is its own class there)."""

    DUST = "dust"
    CHEMICAL = "chemical"
    PHYSICAL = "physical"
    BIOLOGICAL = "biological"
    ERGONOMIC = "ergonomic"


class LimitKind(StrEnum):
    """How a limit is expressed: GBZ 2.1 concentrations, GBZ 2.2 physical indices."""

    MAC = "mac"
    PC_TWA = "pc_twa"
    PC_STEL = "pc_stel"
    L_EX_8H = "l_ex_8h"
    WBGT = "wbgt"
    OTHER = "other"


class ExamKind(StrEnum):
    PRE_EMPLOYMENT = "pre_employment"
    PERIODIC = "periodic"
    EXIT = "exit"
    EMERGENCY = "emergency"


class ExamResult(StrEnum):
    NORMAL = "normal"
    ABNORMAL = "abnormal"
    CONTRAINDICATED = "contraindicated"
    SUSPECTED_OCCUPATIONAL = "suspected_occupational"


class FollowUp(StrEnum):
    """What an abnormal result leads to (复查, 调岗, 治疗, 职业病诊断)."""

    NONE = "none"
    RECHECK = "recheck"
    JOB_TRANSFER = "job_transfer"
    TREATMENT = "treatment"
    DIAGNOSIS = "diagnosis"


class OccupationalFactor(Record, table=True):
    """Reference: a hazard factor with its occupational exposure limit (GBZ 2.1 / 2.2)."""

    __tablename__ = "occupational_factor"

    code: str = Field(max_length=20, unique=True, index=True)
    name: str = Field(max_length=60, index=True)
    name_en: str | None = Field(default=None, max_length=80)
    category: FactorCategory = Field(default=FactorCategory.CHEMICAL, index=True)
    cas_no: str | None = Field(default=None, max_length=20)
    limit_kind: LimitKind = Field(default=LimitKind.PC_TWA)
    limit_value: float | None = Field(default=None, ge=0)
    stel_value: float | None = Field(default=None, ge=0, description="PC-STEL where one exists")
    unit: str = Field(default="mg/m³", max_length=20)
    exam_interval_months: int | None = Field(default=None, ge=1, le=60)
    disease: str | None = Field(default=None, max_length=100, description="可能导致的职业病")
    source: str | None = Field(default=None, max_length=100)
    to_check: bool = Field(
        default=False, index=True, description="value not yet confirmed against the text"
    )


class FactorExposure(EnterpriseScoped, table=True):
    """A factor present at a workshop / post / area, and how many people meet it."""

    __tablename__ = "factor_exposure"

    factor_id: int = Field(foreign_key="occupational_factor.id", index=True)
    post_id: int | None = Field(default=None, foreign_key="post.id", index=True)
    area_id: int | None = Field(default=None, foreign_key="area.id", index=True)
    work_content: str = Field(max_length=100, description="作业内容 / 产生环节")
    exposed_count: int = Field(default=0, ge=0)
    hours_per_day: float | None = Field(default=None, ge=0, le=24)
    controls: str | None = Field(default=None, max_length=300, description="防护设施")


class MonitoringResult(EnterpriseScoped, table=True):
    """One measurement at a monitoring point; ``exceeded`` is computed against the factor."""

    __tablename__ = "monitoring_result"

    factor_id: int = Field(foreign_key="occupational_factor.id", index=True)
    area_id: int | None = Field(default=None, foreign_key="area.id", index=True)
    point: str = Field(max_length=100, index=True, description="监测点")
    sampled_on: date = Field(index=True)
    value: float = Field(ge=0)
    unit: str | None = Field(default=None, max_length=20)
    limit_value: float | None = Field(default=None, ge=0)
    exceeded: bool = Field(default=False, index=True)
    agency: str | None = Field(default=None, max_length=100, description="检测机构")
    report_no: str | None = Field(default=None, max_length=60)


class HealthExam(EnterpriseScoped, table=True):
    """One occupational health examination of one person."""

    __tablename__ = "health_exam"

    person_id: int = Field(foreign_key="person.id", index=True)
    kind: ExamKind = Field(default=ExamKind.PERIODIC, index=True)
    exam_date: date = Field(index=True)
    factor_id: int | None = Field(default=None, foreign_key="occupational_factor.id", index=True)
    institution: str | None = Field(default=None, max_length=100, description="体检机构")
    result: ExamResult = Field(default=ExamResult.NORMAL, index=True)
    conclusion: str | None = Field(default=None, max_length=300)
    follow_up: FollowUp = Field(default=FollowUp.NONE, index=True)
    follow_up_done: bool = Field(default=False)
    next_due: date | None = Field(default=None, index=True)
