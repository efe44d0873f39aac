"""The delivery log: every delivery row in the viewer's reach, newest first, and a way to
send the failed ones now (after fixing the mail server, rather than waiting for cron).

It is read with the audit log's permission and reach: the admin sees everything, a safety
head the deliveries of their enterprise's notices.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from core.config import Settings
from core.crud.service import Page
from core.delivery.run import Report, send_due
from core.rbac import Actor, ScopeColumns, scope_clause
from models.accounts import User
from models.enums import Action, Module
from models.notification import Delivery, DeliveryState, Notification

DELIVERY_SCOPE = ScopeColumns(own="user_id", department=None, enterprise="enterprise_id")


@dataclass(frozen=True)
class DeliveryQuery:
    state: DeliveryState | None = None
    channel: str | None = None
    page: int = 1
    page_size: int = 50


@dataclass(frozen=True)
class LogLine:
    delivery: Delivery
    notice: Notification
    recipient: str


def _in_reach(actor: Actor) -> list[ColumnElement[bool]]:
    actor.require(Module.AUDIT, Action.VIEW)
    clause = scope_clause(Delivery, DELIVERY_SCOPE, actor)
    return [] if clause is None else [clause]


def entries(session: Session, actor: Actor, q: DeliveryQuery) -> Page:
    """One page of ``LogLine``s, newest first."""
    where = _in_reach(actor)
    if q.state:
        where.append(Delivery.state == q.state)
    if q.channel:
        where.append(Delivery.channel == q.channel)
    total = session.exec(select(func.count()).select_from(Delivery).where(*where)).one()
    page = max(1, q.page)
    stmt = (
        select(Delivery, Notification, User.display_name)
        .join(Notification, col(Notification.id) == Delivery.notification_id)
        .join(User, col(User.id) == Delivery.user_id)
        .where(*where)
        .order_by(col(Delivery.created_at).desc(), col(Delivery.id).desc())
        .offset((page - 1) * q.page_size)
        .limit(q.page_size)
    )
    rows = [LogLine(d, n, name) for d, n, name in session.exec(stmt).all()]
    return Page(rows, int(total), page, q.page_size)


def retry_failed(session: Session, settings: Settings, actor: Actor, now: datetime) -> Report:
    """Send now every failed delivery in the actor's reach, given up ones included."""
    where = [*_in_reach(actor), Delivery.state == DeliveryState.FAILED]
    ids = list(session.exec(select(Delivery.id).where(*where)).all())
    return send_due(session, settings, now, only=[i for i in ids if i is not None])
