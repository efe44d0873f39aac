"""Tell users about things: who should hear of a record, and their unread inbox.

Recipients are found by role and scope (the safety head of the enterprise, the head of the
owner's department), so nobody has to maintain mailing lists. Writing is idempotent per
(user, message, record): a side effect fired twice or a reminder run every hour notifies once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, select, update

from core.db import utcnow
from core.rbac import Actor
from models.accounts import User
from models.enums import Role
from models.notification import Notification


def users_with_role(
    session: Session, role: str, *, enterprise_id: int | None, department_id: int | None = None
) -> list[int]:
    """Active accounts holding ``role`` in the enterprise (and department, when given)."""
    stmt = select(User.id, User.roles).where(
        User.enterprise_id == enterprise_id, col(User.deleted_at).is_(None), User.active
    )
    if department_id is not None:
        stmt = stmt.where(User.department_id == department_id)
    return [uid for uid, roles in session.execute(stmt).all() if role in (roles or [])]


class Responsible:
    """Who answers for records of one enterprise and department: the holders of ``roles`` in
    the enterprise, plus the department's head; looked up once per (enterprise, department)
    for a whole reminder run."""

    def __init__(self, session: Session, roles: Iterable[str], *, department_head: bool = True):
        self.session, self.roles, self.department_head = session, tuple(roles), department_head
        self._cache: dict[tuple[int | None, int | None], list[int]] = {}

    def __call__(self, enterprise_id: int | None, department_id: int | None) -> list[int]:
        key = (enterprise_id, department_id)
        if key not in self._cache:
            people: list[int] = []
            for role in self.roles:
                people += users_with_role(self.session, role, enterprise_id=enterprise_id)
            if self.department_head and department_id is not None:
                people += users_with_role(
                    self.session,
                    Role.DEPT_HEAD,
                    enterprise_id=enterprise_id,
                    department_id=department_id,
                )
            self._cache[key] = sorted(set(people))
        return self._cache[key]


def notify(
    session: Session,
    user_ids: Iterable[int],
    key: str,
    *,
    table_name: str | None = None,
    row_id: int | None = None,
    params: dict[str, Any] | None = None,
    severity: str = "info",
    enterprise_id: int | None = None,
    occasion: str = "",
) -> int:
    """Add the message for each user who does not have it yet; returns how many were new.

    ``occasion`` tells apart repeats of one reason on one record (the due date reminded), so
    a certificate renewed and due again is reminded again."""
    wanted = set(user_ids)
    if not wanted:
        return 0
    have = set(
        session.exec(
            select(Notification.user_id).where(
                col(Notification.user_id).in_(wanted),
                Notification.key == key,
                Notification.table_name == table_name,
                Notification.row_id == row_id,
                Notification.occasion == occasion,
            )
        ).all()
    )
    new = sorted(wanted - have)
    session.add_all(
        Notification(
            user_id=uid,
            key=key,
            params=params or {},
            table_name=table_name,
            row_id=row_id,
            severity=severity,
            enterprise_id=enterprise_id,
            occasion=occasion,
        )
        for uid in new
    )
    session.flush()
    return len(new)


def notify_many(session: Session, notices: list[dict[str, Any]]) -> int:
    """Write many notices at once (a reminder run at the M demo writes thousands), skipping
    those already written; each dict holds ``Notification``'s fields. Returns how many
    were new."""
    if not notices:
        return 0
    keys = {n["key"] for n in notices}
    tables = {n.get("table_name") for n in notices}
    have: set[tuple[Any, ...]] = set()
    users = sorted({n["user_id"] for n in notices})
    for i in range(0, len(users), 500):
        stmt = select(
            Notification.user_id,
            Notification.key,
            Notification.table_name,
            Notification.row_id,
            Notification.occasion,
        ).where(
            col(Notification.user_id).in_(users[i : i + 500]),
            col(Notification.key).in_(sorted(keys)),
            col(Notification.table_name).in_(sorted(t for t in tables if t)),
        )
        have |= {tuple(r) for r in session.execute(stmt).all()}
    fresh: dict[tuple[Any, ...], dict[str, Any]] = {}
    for n in notices:
        ident = (
            n["user_id"],
            n["key"],
            n.get("table_name"),
            n.get("row_id"),
            n.get("occasion", ""),
        )
        if ident not in have:
            fresh.setdefault(ident, n)
    if fresh:  # a bulk INSERT: twenty thousand ORM objects cost seconds at the M demo
        now = utcnow()
        base = {"params": {}, "table_name": None, "row_id": None, "occasion": ""}
        base |= {"severity": "info", "enterprise_id": None, "created_at": now}
        rows = [{**base, **n} for n in fresh.values()]
        session.execute(insert(Notification), rows)
    return len(fresh)


def unread(session: Session, actor: Actor, limit: int = 20) -> list[Notification]:
    """The actor's own unread messages, newest first."""
    if actor.user_id is None:
        return []
    stmt = (
        select(Notification)
        .where(Notification.user_id == actor.user_id, col(Notification.read_at).is_(None))
        .order_by(col(Notification.created_at).desc(), col(Notification.id).desc())
        .limit(limit)
    )
    return list(session.exec(stmt).all())


def mark_read(session: Session, actor: Actor, ids: Iterable[int]) -> None:
    """Only the actor's own messages can be marked, whatever ids are passed."""
    session.execute(
        update(Notification)
        .where(col(Notification.id).in_(list(ids)), Notification.user_id == actor.user_id)
        .values(read_at=utcnow())
    )
