"""The home page's to-do list: a query over what is due for this user, never a timer.

Modules add providers; each returns ``TodoItem``s already limited to the user's scope.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlmodel import Session, select

from core.crud.lookup import visible
from core.crud.registry import get_spec
from core.db import utcnow
from core.rbac import Actor
from models.accounts import User
from models.enums import Action, Module
from models.org import Certificate, Person

EXPIRY_WARNING_DAYS = 30


@dataclass(frozen=True)
class TodoItem:
    key: str
    params: dict[str, object] = field(default_factory=dict)
    severity: str = "info"  # info | warning | error
    page: str | None = None
    due: date | None = None
    row_id: int | None = None


Provider = Callable[[Session, Actor, date], list[TodoItem]]


def certificates_due(session: Session, actor: Actor, today: date) -> list[TodoItem]:
    """Certificates that expired or expire within 30 days, in the actor's scope."""
    if not actor.can(Module.ORG, Action.VIEW):
        return []
    spec = get_spec("certificate")
    horizon = today + timedelta(days=EXPIRY_WARNING_DAYS)
    stmt = (
        visible(spec, actor)
        .where(Certificate.expires_on.is_not(None), Certificate.expires_on <= horizon)
        .order_by(Certificate.expires_on)
    )
    certs = session.exec(stmt).all()
    names = dict(
        session.exec(
            select(Person.id, Person.name).where(Person.id.in_({c.person_id for c in certs}))
        ).all()
    )
    items = []
    for cert in certs:
        expired = cert.expires_on < today
        items.append(
            TodoItem(
                key="todo.certificate_expired" if expired else "todo.certificate_expiring",
                params={
                    "person": names.get(cert.person_id, "?"),
                    "number": cert.number,
                    "date": cert.expires_on.isoformat(),
                    "days": (cert.expires_on - today).days,
                },
                severity="error" if expired else "warning",
                page="pages/org_certificate.py",
                due=cert.expires_on,
            )
        )
    return items


def locked_accounts(session: Session, actor: Actor, today: date) -> list[TodoItem]:
    if not actor.can(Module.USERS, Action.EDIT):
        return []
    users = session.exec(select(User).where(User.locked_until > utcnow())).all()
    return [
        TodoItem("todo.locked_user", {"user": u.username}, "warning", "pages/sys_users.py")
        for u in users
    ]


PROVIDERS: list[Provider] = [certificates_due, locked_accounts]


def todo_for(session: Session, actor: Actor, today: date | None = None) -> list[TodoItem]:
    """Everything due for the actor, most urgent first."""
    from core.hazard_remind import hazards_waiting  # imports this module: resolve at call time
    from core.inspection_tasks import inspection_todo  # same
    from core.permit_tasks import permits_waiting  # same

    today = today or date.today()
    providers = [*PROVIDERS, hazards_waiting, inspection_todo, permits_waiting]
    items = [item for provider in providers for item in provider(session, actor, today)]
    rank = {"error": 0, "warning": 1, "info": 2}
    return sorted(items, key=lambda i: (rank[i.severity], i.due or date.max))
