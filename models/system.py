"""Platform tables: audit chain, attachments, custom fields."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.db import utcnow
from models.base import Record
from models.enums import FieldKind


class AuditEntry(SQLModel, table=True):
    """Append-only, hash-chained record of who did what.

    ``prev_hash`` is unique, so two writers can never chain from the same entry: a fork
    fails at insert instead of silently splitting the chain.
    """

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_row", "table_name", "row_id"),)

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(unique=True)
    ts: datetime = Field(default_factory=utcnow, index=True)
    actor_id: int | None = Field(default=None, index=True)
    actor_name: str = Field(default="", max_length=50)
    action: str = Field(max_length=30, index=True)
    table_name: str | None = Field(default=None, max_length=50)
    row_id: int | None = Field(default=None)
    enterprise_id: int | None = Field(default=None, index=True)
    before: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    detail: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    prev_hash: str = Field(max_length=64, unique=True)
    hash: str = Field(max_length=64)


class AuditHead(SQLModel, table=True):
    """Single row holding the chain's tip; updating it first serialises appenders on both
    SQLite (write lock) and PostgreSQL (row lock)."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    seq: int = Field(default=0)
    hash: str = Field(default="0" * 64, max_length=64)


class Attachment(SQLModel, table=True):
    __table_args__ = (Index("ix_attachment_owner", "table_name", "row_id"),)

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(max_length=64, index=True)
    table_name: str = Field(max_length=50)
    row_id: int
    filename: str = Field(max_length=200)
    mime: str = Field(max_length=100)
    size: int
    has_thumbnail: bool = Field(default=False)
    enterprise_id: int | None = Field(default=None, index=True)
    created_by: int | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow)
    deleted_at: datetime | None = Field(default=None)


class CustomField(Record, table=True):
    """An admin-defined field; values live in the target row's ``extra`` JSON."""

    __tablename__ = "custom_field"
    __table_args__ = (UniqueConstraint("table_name", "code"),)

    table_name: str = Field(max_length=50, index=True)
    code: str = Field(max_length=40)
    label_zh: str = Field(max_length=60)
    label_en: str = Field(max_length=60)
    kind: FieldKind = Field(default=FieldKind.TEXT, index=True)
    choices: list[str] = Field(default_factory=list, sa_type=JSON)
    required: bool = Field(default=False)
    position: int = Field(default=100)
