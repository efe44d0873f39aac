"""Opening an account from the users page: the account, then whatever other domains do when
a user with those roles appears (a training plan that targets the role assigns its course)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from core import auth
from core.config import Settings
from core.crud import registry
from core.rbac import Actor
from models.accounts import User


def open_account(session: Session, actor: Actor, settings: Settings, **values: Any) -> User:
    """``auth.create_user`` plus the ``user`` table's save listeners, as a form edit has."""
    user = auth.create_user(session, actor, settings, **values)
    registry.saved(session, "user", [user], actor)
    return user
