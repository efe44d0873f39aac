"""Dual prevention, risk side (风险分级管控): the scoring reference lists and the enums.

The risk register itself (units, points, measures) is in ``models/risk_register.py``, the
inspection side (checklists, plans, tasks) in ``models/risk_inspection.py``.
"""

from __future__ import annotations

from enum import StrEnum

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
    LEC = "lec"
    LS = "ls"


class IdentificationMethod(StrEnum):
    """JHA for activities (作业危害分析), SCL for equipment and places (安全检查表分析)."""

    JHA = "jha"
    SCL = "scl"


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


class LecFactor(Record, table=True):
    """One admissible LEC value with its meaning; forms accept only these values."""

    __tablename__ = "lec_factor"

    code: str = Field(max_length=10, unique=True, index=True, description="e.g. L10, C15")
    factor: LecFactorKind = Field(index=True)
    value: float = Field(ge=0)
    meaning: str = Field(max_length=100)
    meaning_en: str = Field(default="", max_length=100)


class LsFactor(Record, table=True):
    """One step (1–5) of the LS matrix's likelihood or severity axis."""

    __tablename__ = "ls_factor"

    code: str = Field(max_length=10, unique=True, index=True, description="e.g. L5, S3")
    factor: LsFactorKind = Field(index=True)
    value: int = Field(ge=1, le=5)
    meaning: str = Field(max_length=200)
    meaning_en: str = Field(default="", max_length=200)


class RiskLevelRule(Record, table=True):
    """Score band of one level: ``min_exclusive < score <= max_inclusive`` (None: open)."""

    __tablename__ = "risk_level_rule"

    code: str = Field(max_length=30, unique=True, index=True)
    method: ScoringMethod = Field(index=True)
    level: RiskLevel = Field(index=True)
    min_exclusive: float | None = Field(default=None)
    max_inclusive: float | None = Field(default=None)
    colour: str = Field(default="#1f77b4", max_length=20)
