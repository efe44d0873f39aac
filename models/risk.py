"""Dual prevention, risk side (风险分级管控): the versioned scoring schemes, their reference
lists and the enums.

A scoring scheme (``LEC-1``, ``LS-1``...) owns its factor values and level bands. Once a risk
point is scored under a scheme its rows are frozen (``core.risk.schemes``): changing the
method means a new version, so every stored score can still be explained by the tables that
produced it. Factor and band codes are unique within a scheme, not globally, because a new
version copies them.

The risk register itself (units, points, measures) is in ``models/risk_register.py``, the
inspection side (checklists, plans, tasks) in ``models/risk_inspection.py``.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from models.base import Record
from models.enums import RiskLevel


class LecFactorKind(StrEnum):
    """The three LEC factors: likelihood, exposure, consequence."""

    L = "L"
    E = "E"
    C = "C"


class LsFactorKind(StrEnum):
    """The two axes of the LS matrix: likelihood and severity."""

    L = "L"
    S = "S"


class ScoringMethod(StrEnum):
    """How a point is scored: LEC (D = L × E × C) or the LS matrix (R = L × S)."""

    LEC = "lec"
    LS = "ls"


class IdentificationMethod(StrEnum):
    """JHA for activities (作业危害分析), SCL for equipment and places (安全检查表分析)."""

    JHA = "jha"
    SCL = "scl"


class AnalysisKind(StrEnum):
    """A JHA work step (作业步骤) or an SCL checklist item (检查项目); follows the point."""

    JHA_STEP = "jha_step"
    SCL_ITEM = "scl_item"


class RiskUnitKind(StrEnum):
    DEVICE = "device"
    ACTIVITY = "activity"
    PROCESS = "process"


class MeasureClass(StrEnum):
    """Control measure classes in the order of the hierarchy of controls."""

    ENGINEERING = "engineering"
    MANAGEMENT = "management"
    TRAINING = "training"
    PPE = "ppe"
    EMERGENCY = "emergency"


class ScoringScheme(Record, table=True):
    """One version of a method's tables (factor values and level bands).

    The active scheme of a method (the highest active version) scores new and re-scored
    points; older versions stay for the points they scored.
    """

    __tablename__ = "scoring_scheme"

    code: str = Field(max_length=30, unique=True, index=True, description="e.g. LEC-1, LS-2")
    method: ScoringMethod = Field(index=True)
    version: int = Field(default=1, ge=1, le=10_000)
    name: str = Field(max_length=100)
    active: bool = Field(default=True, index=True)
    source: str | None = Field(default=None, max_length=500)
    notes: str | None = Field(default=None, max_length=1000)


class LecFactor(Record, table=True):
    """One admissible LEC value with its meaning; forms accept only these values."""

    __tablename__ = "lec_factor"
    __table_args__ = (UniqueConstraint("scheme_id", "code"),)

    scheme_id: int = Field(foreign_key="scoring_scheme.id", index=True)
    code: str = Field(max_length=10, index=True, description="e.g. L10, C15")
    factor: LecFactorKind = Field(index=True)
    value: float = Field(ge=0)
    meaning: str = Field(max_length=100)
    meaning_en: str = Field(default="", max_length=100)


class LsFactor(Record, table=True):
    """One step (1–5) of the LS matrix's likelihood or severity axis."""

    __tablename__ = "ls_factor"
    __table_args__ = (UniqueConstraint("scheme_id", "code"),)

    scheme_id: int = Field(foreign_key="scoring_scheme.id", index=True)
    code: str = Field(max_length=10, index=True, description="e.g. L5, S3")
    factor: LsFactorKind = Field(index=True)
    value: int = Field(ge=1, le=5)
    meaning: str = Field(max_length=200)
    meaning_en: str = Field(default="", max_length=200)


class RiskLevelRule(Record, table=True):
    """Score band of one level: ``min_exclusive < score <= max_inclusive`` (None: open).

    ``method`` repeats the scheme's method (set on save) so a band reads on its own.
    """

    __tablename__ = "risk_level_rule"
    __table_args__ = (UniqueConstraint("scheme_id", "code"),)

    scheme_id: int = Field(foreign_key="scoring_scheme.id", index=True)
    code: str = Field(max_length=30, index=True)
    method: ScoringMethod = Field(index=True)
    level: RiskLevel = Field(index=True)
    min_exclusive: float | None = Field(default=None)
    max_inclusive: float | None = Field(default=None)
    colour: str = Field(default="#1f77b4", max_length=20)
