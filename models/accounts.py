"""User accounts and the editable permission matrix."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.db import utcnow
from models.base import Record
from models.enums import Scope


class User(Record, table=True):
    username: str = Field(max_length=50, unique=True, index=True)
    display_name: str = Field(max_length=50)
    password_hash: str = Field(default="", max_length=255)
    roles: list[str] = Field(default_factory=list, sa_type=JSON)
    scope: Scope = Field(default=Scope.OWN, index=True)
    park_id: int | None = Field(default=None, foreign_key="park.id", index=True)
    enterprise_id: int | None = Field(default=None, foreign_key="enterprise.id", index=True)
    department_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    person_id: int | None = Field(default=None, foreign_key="person.id")
    language: str = Field(default="zh-CN", max_length=10)
    email: str | None = Field(default=None, max_length=200)
    notify_prefs: dict[str, str] = Field(
        default_factory=dict,
        sa_type=JSON,
        description="per channel (email, webhook): all | important | none",
    )
    active: bool = Field(default=True, index=True)
    failed_logins: int = Field(default=0)
    locked_until: datetime | None = Field(default=None)
    must_change_password: bool = Field(default=False)
    last_login_at: datetime | None = Field(default=None)
    last_seen_at: datetime | None = Field(default=None)


class RolePermission(SQLModel, table=True):
    """One granted (role, module, action); absence means denied."""

    __tablename__ = "role_permission"
    __table_args__ = (UniqueConstraint("role", "module", "action"),)

    id: int | None = Field(default=None, primary_key=True)
    role: str = Field(max_length=30, index=True)
    module: str = Field(max_length=30)
    action: str = Field(max_length=20)


class UserSession(SQLModel, table=True):
    """One browser's log-in. The browser holds a random token in an HttpOnly cookie; this
    table holds only its sha256, so a copy of the database logs nobody in.

    A new row first carries the hash of a one-use ticket (``ticket_until`` set, about a
    minute): the log-in form hands the ticket to the browser, which trades it at
    ``/_safeloop/session`` for the cookie's token (``ticket_until`` cleared). Not a CRUD
    table: no page, export or SQL console shows it.
    """

    __tablename__ = "user_session"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    ticket_until: datetime | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    revoked_at: datetime | None = Field(default=None)
    user_agent: str = Field(default="", max_length=200)
    ip: str | None = Field(default=None, max_length=45)
