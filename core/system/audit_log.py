"""Reading the audit trail: scoped, filtered and paginated like any list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from core.crud.service import Page
from core.db import utcnow
from core.rbac import Actor, ScopeColumns, scope_clause
from models.enums import Action, Module
from models.system import AuditEntry

AUDIT_SCOPE = ScopeColumns(own="actor_id", department=None, enterprise="enterprise_id")


@dataclass
class AuditQuery:
    action: str | None = None
    table_name: str | None = None
    actor: str = ""
    since: date | None = None
    until: date | None = None
    page: int = 1
    page_size: int = 50


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=utcnow().tzinfo)


def entries(session: Session, actor: Actor, q: AuditQuery) -> Page:
    """Newest first; a safety head sees their enterprise, the admin everything."""
    actor.require(Module.AUDIT, Action.VIEW)
    stmt = select(AuditEntry)
    clause = scope_clause(AuditEntry, AUDIT_SCOPE, actor)
    if clause is not None:
        stmt = stmt.where(clause)
    if q.action:
        stmt = stmt.where(AuditEntry.action == q.action)
    if q.table_name:
        stmt = stmt.where(AuditEntry.table_name == q.table_name)
    if q.actor.strip():
        stmt = stmt.where(AuditEntry.actor_name.contains(q.actor.strip()))
    if q.since:
        stmt = stmt.where(AuditEntry.ts >= _day_start(q.since))
    if q.until:
        stmt = stmt.where(AuditEntry.ts < _day_start(q.until + timedelta(days=1)))
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    rows = session.exec(
        stmt.order_by(AuditEntry.seq.desc())
        .offset((max(1, q.page) - 1) * q.page_size)
        .limit(q.page_size)
    ).all()
    return Page(list(rows), int(total), max(1, q.page), q.page_size)


def actions(session: Session) -> list[str]:
    return list(
        session.exec(select(AuditEntry.action).distinct().order_by(AuditEntry.action)).all()
    )
