"""Duty-task rules shared by forms, imports, the demo and the ranking: periods of a cycle,
due dates, on-time and overdue."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from models.duty import OPEN_STATES, DutyCycle

GRACE_DAYS = 0  # a task is due on the last day of its period


def period_of(cycle: DutyCycle | str, day: date) -> tuple[date, date]:
    """The period of ``cycle`` containing ``day`` (weeks start on Monday)."""
    cycle = DutyCycle(cycle)
    if cycle == DutyCycle.DAILY:
        return day, day
    if cycle == DutyCycle.WEEKLY:
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    if cycle == DutyCycle.MONTHLY:
        start = day.replace(day=1)
    elif cycle == DutyCycle.QUARTERLY:
        start = day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    else:
        start = day.replace(month=1, day=1)
    months = {DutyCycle.MONTHLY: 1, DutyCycle.QUARTERLY: 3, DutyCycle.YEARLY: 12}[cycle]
    year, month = divmod(start.month - 1 + months, 12)
    return start, date(start.year + year, month + 1, 1) - timedelta(days=1)


def due_date(period_end: date) -> date:
    return period_end + timedelta(days=GRACE_DAYS)


def is_on_time(submitted_at: datetime | None, due_on: date | None) -> bool | None:
    """Submitted no later than the due day; None while nothing was submitted."""
    if submitted_at is None or due_on is None:
        return None
    return submitted_at.date() <= due_on


def is_overdue(state: str, due_on: date | None, today: date) -> bool:
    """The query behind 逾期: still open after its due day."""
    return state in OPEN_STATES and due_on is not None and due_on < today


def task_name(item_name: str, cycle: DutyCycle | str, start: date) -> str:
    """A readable label such as ``月度安全检查 2026-03`` or ``… 2026Q2``."""
    cycle = DutyCycle(cycle)
    label = {
        DutyCycle.DAILY: start.isoformat(),
        DutyCycle.WEEKLY: f"{start.isocalendar().year}W{start.isocalendar().week:02d}",
        DutyCycle.MONTHLY: f"{start:%Y-%m}",
        DutyCycle.QUARTERLY: f"{start.year}Q{(start.month - 1) // 3 + 1}",
        DutyCycle.YEARLY: str(start.year),
    }[cycle]
    return f"{item_name} {label}"[:140]
