"""Reference lists shared by several modules (each module keeps its own lists in its files)."""

from __future__ import annotations

from sqlmodel import Field

from models.base import Record


class AccidentType(Record, table=True):
    """GB 6441-1986 accident categories: hazards, risk points, incidents and plans name them."""

    __tablename__ = "accident_type"

    code: str = Field(max_length=10, unique=True, index=True)
    name: str = Field(max_length=40, index=True)
    name_en: str = Field(max_length=60)
    description: str | None = Field(default=None, max_length=500)
