"""Inspection rounds due and overdue, for ``safeloop remind``: the assignee is told on the
round's day and when it passes, the safety managers and the department head once it is three
days late. What counts as still open is the to-do list's rule (``core.inspection.todo``), so
the reminder and the list never disagree. The rule is not registered with ``due_date``: the
to-do list already shows the assignee one summary line per kind instead of a line per round.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from core.inbox import DueDate, remind_due, reminder
from core.inspection.todo import open_clause


def _still_open(horizon: date) -> ColumnElement[bool]:
    return open_clause()


ROUND_DUE = DueDate(
    name="inspection_round_due",
    table="inspection_task",
    column="due_date",
    label="remind.kind.inspection_round",
    holder="assignee_id",
    lead_days=0,
    grace_days=3,
    still_due=_still_open,
)


@reminder(ROUND_DUE.name)
def remind_rounds(session: Session, today: date) -> int:
    """Notices for rounds due today or late; returns how many were new."""
    return remind_due(session, ROUND_DUE, today)
