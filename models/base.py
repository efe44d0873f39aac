"""Columns every managed record shares: identity, timestamps, scope, soft delete, custom fields.

Scope columns (``enterprise_id``, ``department_id``, ``created_by``) are what the data layer
filters on, so they live on the row itself rather than being derived through joins.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from core.db import utcnow


class Record(SQLModel):
    """Mixin for a table managed by the CRUD engine."""

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    created_by: int | None = Field(default=None, index=True)
    deleted_at: datetime | None = Field(default=None, index=True)
    extra: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class EnterpriseScoped(Record):
    """A record that belongs to one enterprise (and usually one department)."""

    enterprise_id: int | None = Field(default=None, foreign_key="enterprise.id", index=True)
    department_id: int | None = Field(default=None, foreign_key="department.id", index=True)
