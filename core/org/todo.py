"""To-dos of the organisation: certificates that expired or expire soon."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session

from core.crud.lookup import titles, visible
from core.crud.registry import get_spec
from core.inbox import TodoItem, todo_provider
from core.rbac import Actor
from models.enums import Action, Module
from models.org import Certificate

EXPIRY_WARNING_DAYS = 30


@todo_provider
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
    names = titles(session, "person", {c.person_id for c in certs})
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
