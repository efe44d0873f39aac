"""The risk register: units (风险单元) → points (风险点) → identification records (JHA steps /
SCL items) and control measures (管控措施).

A point carries both its inherent and its residual score (LEC or LS) and the scoring scheme
that produced them; the scores and levels are computed by ``core.risk.scoring`` in the table's
before-save hook, so forms, imports and the demo agree. ``current_level`` is the dynamic
level: the residual one until open hazards raise it (``core.risk.dynamic``), which also keeps
``controls_failing`` and a language-neutral ``current_reason``.
"""

from __future__ import annotations

from sqlmodel import Field

from models.base import EnterpriseScoped
from models.enums import RiskLevel
from models.risk import (
    AnalysisKind,
    IdentificationMethod,
    MeasureClass,
    RiskUnitKind,
    ScoringMethod,
)


class RiskUnit(EnterpriseScoped, table=True):
    __tablename__ = "risk_unit"

    name: str = Field(max_length=100, index=True)
    code: str | None = Field(default=None, max_length=40)
    kind: RiskUnitKind = Field(default=RiskUnitKind.DEVICE, index=True)
    area_id: int | None = Field(default=None, foreign_key="area.id", index=True)
    owner_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    description: str | None = Field(default=None, max_length=500)


class RiskPoint(EnterpriseScoped, table=True):
    __tablename__ = "risk_point"

    unit_id: int = Field(foreign_key="risk_unit.id", index=True)
    name: str = Field(max_length=100, index=True)
    code: str | None = Field(default=None, max_length=40, index=True)
    method: IdentificationMethod = Field(default=IdentificationMethod.SCL, index=True)
    scoring: ScoringMethod = Field(default=ScoringMethod.LEC, index=True)
    scheme_id: int | None = Field(default=None, foreign_key="scoring_scheme.id", index=True)
    hazard_factors: str | None = Field(default=None, max_length=1000)
    accident_type_id: int | None = Field(default=None, foreign_key="accident_type.id", index=True)
    other_accident_types: str | None = Field(default=None, max_length=200)
    area_id: int | None = Field(default=None, foreign_key="area.id", index=True)
    responsible_person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    inherent_l: float | None = Field(default=None, ge=0)
    inherent_e: float | None = Field(default=None, ge=0)
    inherent_c: float | None = Field(default=None, ge=0)
    inherent_d: float | None = Field(default=None, ge=0)
    inherent_ls_l: int | None = Field(default=None, ge=1, le=5)
    inherent_ls_s: int | None = Field(default=None, ge=1, le=5)
    inherent_r: int | None = Field(default=None, ge=1, le=25)
    inherent_level: RiskLevel = Field(default=RiskLevel.LOW, index=True)
    residual_l: float | None = Field(default=None, ge=0)
    residual_e: float | None = Field(default=None, ge=0)
    residual_c: float | None = Field(default=None, ge=0)
    residual_d: float | None = Field(default=None, ge=0)
    residual_ls_l: int | None = Field(default=None, ge=1, le=5)
    residual_ls_s: int | None = Field(default=None, ge=1, le=5)
    residual_r: int | None = Field(default=None, ge=1, le=25)
    residual_level: RiskLevel = Field(default=RiskLevel.LOW, index=True)
    current_level: RiskLevel = Field(default=RiskLevel.LOW, index=True)
    current_reason: str | None = Field(default=None, max_length=500)
    controls_failing: bool = Field(default=False, index=True)
    plan_x: float | None = Field(default=None, description="Position on the floor plan, metres")
    plan_y: float | None = Field(default=None)


class RiskAnalysisItem(EnterpriseScoped, table=True):
    """One line of the point's identification record: a JHA work step or an SCL item, the
    hazard or potential event found there, its main consequence and the controls in place.

    Scope follows the point (set on save), so whoever may see a point sees its analysis.
    """

    __tablename__ = "risk_analysis_item"

    point_id: int = Field(foreign_key="risk_point.id", index=True)
    seq: int = Field(default=1, ge=1, le=10_000)
    kind: AnalysisKind = Field(default=AnalysisKind.SCL_ITEM, index=True)
    step_or_item: str = Field(max_length=200)
    hazard: str = Field(max_length=500)
    consequence: str | None = Field(default=None, max_length=500)
    standard: str | None = Field(default=None, max_length=500)
    existing_controls: str | None = Field(default=None, max_length=1000)


class RiskMeasure(EnterpriseScoped, table=True):
    __tablename__ = "risk_measure"

    point_id: int = Field(foreign_key="risk_point.id", index=True)
    measure_class: MeasureClass = Field(default=MeasureClass.MANAGEMENT, index=True)
    content: str = Field(max_length=500)
    responsible_person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
