"""GB 30871-2022 reference lists for hazardous work permits (八大作业): types, grades,
safety-measure checklist items, gas-analysis limits and the per-type permit templates.

Children name their type by ``type_code`` (a closed list of the standard's eight types) rather
than by id, because reference JSON is loaded before any id exists and an admin may reload it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field

from models.base import Record


class PermitTypeCode(StrEnum):
    """The eight special-work types of GB 30871-2022, by their usual permit-number prefix."""

    DH = "DH"  # 动火
    SX = "SX"  # 受限空间
    MB = "MB"  # 盲板抽堵
    GC = "GC"  # 高处
    DZ = "DZ"  # 吊装
    LD = "LD"  # 临时用电
    DT = "DT"  # 动土
    DL = "DL"  # 断路


class PermitGas(StrEnum):
    OXYGEN = "oxygen"
    COMBUSTIBLE = "combustible"
    H2S = "h2s"
    CO = "co"


class PermitGasUnit(StrEnum):
    VOL_PCT = "vol_pct"
    MG_M3 = "mg_m3"
    PPM = "ppm"
    LEL_PCT = "lel_pct"


class PermitApprovalRole(StrEnum):
    """Who signs a permit, in GB 30871 terms."""

    WORK_LEADER = "work_leader"  # 作业负责人
    GAS_TESTER = "gas_tester"  # 气体分析人
    GUARDIAN = "guardian"  # 监护人
    UNIT_HEAD = "unit_head"  # 所在单位负责人
    SAFETY_DEPT = "safety_dept"  # 安全管理部门
    PLANT_LEADER = "plant_leader"  # 企业主要负责人或分管领导
    ACCEPTOR = "acceptor"  # 完工验收人


class PermitType(Record, table=True):
    __tablename__ = "permit_type"

    code: str = Field(max_length=10, unique=True, index=True, description="Permit-number prefix")
    name: str = Field(max_length=40, index=True)
    name_en: str = Field(max_length=60)
    requires_gas_analysis: bool = Field(default=False)
    default_validity_hours: int = Field(default=8, ge=1, le=720)
    clause: str | None = Field(default=None, max_length=60)


class PermitGrade(Record, table=True):
    """A grade of one type; ``bound_min``/``bound_max`` classify by height (m) or load (t)."""

    __tablename__ = "permit_grade"

    code: str = Field(max_length=20, unique=True, index=True)
    type_code: PermitTypeCode = Field(index=True)
    name: str = Field(max_length=40, index=True)
    name_en: str = Field(max_length=60)
    rank: int = Field(default=1, ge=0, le=9)
    validity_hours: int = Field(default=8, ge=1, le=720)
    bound_min: float | None = Field(default=None, ge=0)
    bound_max: float | None = Field(default=None, ge=0)
    bound_unit: str | None = Field(default=None, max_length=10)
    description: str | None = Field(default=None, max_length=300)


class PermitMeasureItem(Record, table=True):
    __tablename__ = "permit_measure_item"

    code: str = Field(max_length=20, unique=True, index=True)
    type_code: PermitTypeCode = Field(index=True)
    position: int = Field(default=1, ge=0)
    text: str = Field(max_length=300)
    mandatory: bool = Field(default=True)


class GasLimit(Record, table=True):
    """An acceptance range for one gas in one work type; ``lel_min``/``lel_max`` (%vol of the
    medium's lower explosive limit) say which combustible rule applies."""

    __tablename__ = "gas_limit"

    code: str = Field(max_length=30, unique=True, index=True)
    type_code: PermitTypeCode = Field(index=True)
    gas: PermitGas = Field(index=True)
    unit: PermitGasUnit = Field(default=PermitGasUnit.VOL_PCT)
    min_value: float | None = Field(default=None)
    max_value: float | None = Field(default=None)
    lel_min: float | None = Field(default=None, ge=0)
    lel_max: float | None = Field(default=None, ge=0)
    basis: str | None = Field(default=None, max_length=40)
    clause: str | None = Field(default=None, max_length=100)
    max_sample_age_min: int = Field(default=30, ge=1, le=240)


class PermitTemplate(Record, table=True):
    """What a permit of one type asks for (validated by ``core.permit.templates``).

    ``form_fields``: ``{"name", "label", "label_en", "kind", "required", "options"}``;
    ``approval_steps``: ``{"role", "parallel", "grades"}`` in order, ``parallel`` joining the
    step to the one before (they sign in any order), ``grades`` limiting it to some grades
    (特级 hot work adds the plant leader); ``gases``: what must be analysed before the start;
    ``worker_certificates``: certificate work types of which a worker needs one (any);
    ``reading_interval_min``: how often readings are due during the work.
    """

    __tablename__ = "permit_template"

    code: str = Field(max_length=30, unique=True, index=True)
    type_code: PermitTypeCode = Field(index=True)
    name: str = Field(max_length=60, index=True)
    version: str = Field(default="1", max_length=20)
    is_default: bool = Field(default=True)
    form_fields: list[Any] = Field(default_factory=list, sa_type=JSON)
    measure_codes: list[Any] = Field(default_factory=list, sa_type=JSON)
    approval_steps: list[Any] = Field(default_factory=list, sa_type=JSON)
    gases: list[Any] = Field(default_factory=list, sa_type=JSON)
    worker_certificates: list[Any] = Field(default_factory=list, sa_type=JSON)
    reading_interval_min: int | None = Field(default=None, ge=5, le=1440)
