"""To-dos of the platform: accounts locked after repeated failed log-ins."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from core.db import utcnow
from core.inbox import TodoItem, todo_provider
from core.rbac import Actor
from models.accounts import User
from models.enums import Action, Module


@todo_provider
def locked_accounts(session: Session, actor: Actor, today: date) -> list[TodoItem]:
    if not actor.can(Module.USERS, Action.EDIT):
        return []
    users = session.exec(select(User).where(User.locked_until > utcnow())).all()
    return [
        TodoItem("todo.locked_user", {"user": u.username}, "warning", "pages/sys_users.py")
        for u in users
    ]
