"""The inbox: what is due for whom, asked on every visit (to-dos) and by cron (reminders).

Domains register providers here (``todo_provider``, ``reminder``) from their ``todo.py`` or
``reminders.py``; the inbox imports no domain and asks ``core.installed`` to load them. Each
to-do provider returns ``TodoItem``s already limited to the user's scope; each reminder
writes its notices idempotently and says how many were new. Never a timer in the app.

Most reminders are one declaration: a ``DueDate`` names a table's date column, whose the
record is and when it stops being due. The inbox then reminds the holder ahead of the date,
again when it passes, escalates to the managers after a grace period, and lists it on the
to-do page of both; every notice carries the date as its occasion, so a rerun sends nothing
new while a renewed certificate, due again next year, is reminded again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from core import installed
from core.crud.fields import FK
from core.crud.lookup import titles, visible
from core.crud.registry import get_spec
from core.notify import Responsible, notify_many
from core.rbac import Actor
from models.accounts import User
from models.enums import Action, Role
from models.notification import Notification
from models.org import Person

SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}
LIMIT = 50  # to-do lines per kind: the list pages hold the rest


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


@dataclass(frozen=True)
class DueDate:
    """A date column that must remind people: declared once by the domain that owns it.

    ``holder`` is the person column of whose the record is (told ``lead_days`` ahead and when
    it passes); without one, or with ``managers_ahead``, the managers are told ahead too.
    ``managers`` are roles in the record's enterprise (plus the head of its department when
    ``department_head``) told once the date is ``grace_days`` past. ``still_due`` is the
    condition for records that still owe the date (not finished, not renewed); deleted rows
    never remind. ``label`` is the catalogue key of what is due ("特种作业证到期").
    """

    name: str
    table: str
    column: str
    label: str
    holder: str | None = None
    managers: tuple[str, ...] = (Role.SAFETY_MANAGER,)
    department_head: bool = True
    managers_ahead: bool = False
    lead_days: int = 30
    grace_days: int = 7
    still_due: Callable[[date], ColumnElement[bool]] | None = None

    @property
    def spec(self) -> Any:
        return get_spec(self.table)

    def due_clause(self, horizon: date) -> ColumnElement[bool]:
        model = self.spec.model
        when = getattr(model, self.column)
        clause = (when.is_not(None)) & (when <= horizon) & col(model.deleted_at).is_(None)
        return clause if self.still_due is None else clause & self.still_due(horizon)


_TODO: list[TodoProvider] = []
_REMINDERS: list[Reminder] = []
_DUE: list[DueDate] = []


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


def due_date(rule: DueDate) -> DueDate:
    """Register a due date: its reminder (named ``rule.name``) and its to-do lines."""
    if all(r.name != rule.name for r in _DUE):
        _DUE.append(rule)
        reminder(rule.name)(lambda session, today: remind_due(session, rule, today))
    return rule


def due_dates() -> list[DueDate]:
    installed.load()
    return list(_DUE)


def _holders(session: Session, person_ids: Iterable[int]) -> dict[int, list[int]]:
    """Active accounts per person id."""
    wanted = sorted({p for p in person_ids if p is not None})
    found: dict[int, list[int]] = {}
    for i in range(0, len(wanted), 500):
        stmt = select(User.person_id, User.id).where(
            col(User.person_id).in_(wanted[i : i + 500]),
            col(User.deleted_at).is_(None),
            User.active,
        )
        for person_id, user_id in session.execute(stmt).all():
            found.setdefault(person_id, []).append(user_id)
    return found


def _describe(session: Session, rule: DueDate, rows: list[Any]) -> dict[int, str]:
    """One line naming each row: whose it is and its own title ("王强 · T2023-0042"), so a
    reminder reads without opening it; ids are never shown."""
    spec = rule.spec
    people: dict[int, str] = {}
    if rule.holder:
        ids = sorted({getattr(r, rule.holder) for r in rows} - {None})
        for i in range(0, len(ids), 500):
            stmt = select(Person.id, Person.name).where(col(Person.id).in_(ids[i : i + 500]))
            people.update(dict(session.execute(stmt).all()))
    named: dict[int, str] = {}
    title_field = next((f for f in spec.fields if f.name == spec.title_field), None)
    if title_field is not None and title_field.kind == FK:
        named = titles(session, title_field.fk or "", {getattr(r, title_field.name) for r in rows})
    out = {}
    for r in rows:
        parts = [people.get(getattr(r, rule.holder)) if rule.holder else None]
        if title_field is not None:
            value = getattr(r, title_field.name)
            parts.append(named.get(value) if title_field.kind == FK else value)
        out[r.id] = " · ".join(str(p) for p in parts if p not in (None, ""))
    return out


def remind_due(session: Session, rule: DueDate, today: date) -> int:
    """Write the notices ``rule`` owes on ``today``; returns how many were new.

    Ahead of the date: the holder (and managers where there is no holder or they are asked
    to hear ahead); past it: the holder; past the grace period: the managers."""
    spec = rule.spec
    model = spec.model
    when = getattr(model, rule.column)
    stmt = select(model).where(rule.due_clause(today + timedelta(days=rule.lead_days)))
    rows = list(session.exec(stmt.order_by(when, model.id)).all())
    holders = _holders(session, (getattr(r, rule.holder) for r in rows)) if rule.holder else {}
    managers = Responsible(session, rule.managers, department_head=rule.department_head)
    described = _describe(session, rule, rows)
    notices: list[dict[str, Any]] = []
    for row in rows:
        due = getattr(row, rule.column)
        days = (due - today).days
        own = holders.get(getattr(row, rule.holder), []) if rule.holder else []
        heads = managers(getattr(row, "enterprise_id", None), getattr(row, "department_id", None))
        if days >= 0:
            stage, people, severity = "remind.due_soon", list(own), "warning"
            if not rule.holder or rule.managers_ahead or not own:
                people += heads
        elif -days <= rule.grace_days:
            stage, people, severity = "remind.overdue", own or heads, "error"
        else:
            stage, people, severity = "remind.escalated", sorted({*own, *heads}), "error"
        params = {
            "what": rule.label,
            "title": described[row.id],
            "due": due.isoformat(),
            "days": abs(days),
        }
        notices += [
            {
                "user_id": uid,
                "key": stage,
                "table_name": rule.table,
                "row_id": row.id,
                "occasion": due.isoformat(),
                "params": params,
                "severity": severity,
                "enterprise_id": getattr(row, "enterprise_id", None),
            }
            for uid in sorted(set(people))
        ]
    return notify_many(session, notices)


@todo_provider
def due_dates_todo(session: Session, actor: Actor, today: date) -> list[TodoItem]:
    """Each declared due date on the actor's to-do list: what they hold, due within the lead
    time or past; and, for those who may approve or edit the module, what is past due in
    their scope."""
    items: list[TodoItem] = []
    for rule in _DUE:
        spec = rule.spec
        if not actor.can(spec.module, Action.VIEW):
            continue
        model = spec.model
        when = getattr(model, rule.column)
        base = visible(spec, actor)
        mine = None
        if rule.holder and actor.person_id is not None:
            mine = base.where(
                rule.due_clause(today + timedelta(days=rule.lead_days)),
                getattr(model, rule.holder) == actor.person_id,
            )
        manager = actor.can(spec.module, Action.APPROVE) or actor.can(spec.module, Action.EDIT)
        late = base.where(rule.due_clause(today - timedelta(days=1))) if manager else None
        seen: set[int] = set()
        for stmt in (mine, late):
            if stmt is None:
                continue
            rows = [r for r in session.exec(stmt.order_by(when).limit(LIMIT)).all()]
            rows = [r for r in rows if r.id not in seen]
            seen |= {r.id for r in rows}
            described = _describe(session, rule, rows)
            for row in rows:
                due = getattr(row, rule.column)
                items.append(
                    TodoItem(
                        "todo.due",
                        {"what": rule.label, "title": described[row.id], "due": due.isoformat()},
                        "error" if due < today else "warning",
                        spec.page,
                        due,
                        row.id,
                    )
                )
    return items


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


def messages(session: Session, actor: Actor, limit: int = LIMIT) -> list[Notification]:
    """The actor's own messages, read or not, newest first (the workbench's message list;
    the home page shows the unread ones only)."""
    if actor.user_id is None:
        return []
    stmt = (
        select(Notification)
        .where(Notification.user_id == actor.user_id)
        .order_by(col(Notification.created_at).desc(), col(Notification.id).desc())
        .limit(limit)
    )
    return list(session.exec(stmt).all())
