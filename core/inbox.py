"""The inbox: what is due for whom, asked on every visit (to-dos) and by cron (reminders).

Domains register providers here (``todo_provider``, ``reminder``) from their ``todo.py`` or
``reminders.py``; the inbox imports no domain and asks ``core.installed`` to load them. Each
to-do provider returns ``TodoItem``s already limited to the user's scope; each reminder
writes its notices idempotently and says how many were new. Never a timer in the app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session

from core import installed
from core.rbac import Actor

SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class TodoItem:
    key: str
    params: dict[str, object] = field(default_factory=dict)
    severity: str = "info"  # info | warning | error
    page: str | None = None
    due: date | None = None
    row_id: int | None = None


TodoProvider = Callable[[Session, Actor, date], list[TodoItem]]
#: Writes the notices due on a day; returns how many were new.
SendReminders = Callable[[Session, date], int]


@dataclass(frozen=True)
class Reminder:
    """One kind of reminder ``safeloop remind`` sends (``name`` is what its line says)."""

    name: str
    send: SendReminders


_TODO: list[TodoProvider] = []
_REMINDERS: list[Reminder] = []


def todo_provider(fn: TodoProvider) -> TodoProvider:
    """Register a to-do provider (a decorator)."""
    if fn not in _TODO:
        _TODO.append(fn)
    return fn


def reminder(name: str) -> Callable[[SendReminders], SendReminders]:
    """Register a reminder under ``name`` (a decorator)."""

    def register(fn: SendReminders) -> SendReminders:
        if all(r.name != name for r in _REMINDERS):
            _REMINDERS.append(Reminder(name, fn))
        return fn

    return register


def todo_for(session: Session, actor: Actor, today: date | None = None) -> list[TodoItem]:
    """Everything due for the actor, most urgent first."""
    installed.load()
    today = today or date.today()
    items = [item for provider in _TODO for item in provider(session, actor, today)]
    return sorted(items, key=lambda i: (SEVERITY_RANK[i.severity], i.due or date.max))


def send_reminders(session: Session, today: date) -> list[tuple[str, int]]:
    """Run every registered reminder for ``today``: (name, new notices) in installed order."""
    installed.load()
    return [(r.name, r.send(session, today)) for r in _REMINDERS]
