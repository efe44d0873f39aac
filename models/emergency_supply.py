"""Emergency supplies ledger (应急物资台账): categories from the reference list, stock against a
minimum, expiry and periodic inspection. The stored status is the stock's (it changes only when
the row does); expiry is asked of the date, so it never goes stale."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlmodel import Field

from models.base import EnterpriseScoped, Record


class EmergencySupplyStatus(StrEnum):
    """Stock against the minimum."""

    NORMAL = "normal"
    LOW = "low"


class EmergencySupplyCategory(Record, table=True):
    """A kind of supply (固定式报警仪, 空气呼吸器, ...) with its inspection cycle."""

    __tablename__ = "emergency_supply_category"

    code: str = Field(max_length=20, unique=True, index=True)
    name: str = Field(max_length=40, index=True)
    name_en: str = Field(max_length=60)
    unit: str = Field(default="个", max_length=10)
    inspection_days: int | None = Field(default=None, ge=1, description="检验/检查周期(天)")
    description: str | None = Field(default=None, max_length=300)


class EmergencySupply(EnterpriseScoped, table=True):
    __tablename__ = "emergency_supply"

    category_id: int = Field(foreign_key="emergency_supply_category.id", index=True)
    name: str = Field(max_length=100, index=True)
    specification: str | None = Field(default=None, max_length=60, description="型号规格")
    area_id: int | None = Field(default=None, foreign_key="area.id", index=True)
    location: str | None = Field(default=None, max_length=100, description="位置(使用岗位)")
    quantity: int = Field(default=1, ge=0)
    min_stock: int = Field(default=0, ge=0)
    unit: str = Field(default="个", max_length=10)
    keeper: str | None = Field(default=None, max_length=50, description="责任人")
    expires_on: date | None = Field(default=None, index=True)
    last_inspected_on: date | None = Field(default=None)
    next_inspection_on: date | None = Field(default=None, index=True)
    status: EmergencySupplyStatus = Field(default=EmergencySupplyStatus.NORMAL, index=True)
