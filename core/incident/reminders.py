"""Corrective action deadlines, declared for the inbox (``core.inbox.due_date``): the owner is
told a week ahead and when the deadline passes, the safety managers and the head of the
action's department once it is a week late. An action stops being due when it is verified
and closed; one waiting for verification is still due (its doer is done, its verifier not).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from core.inbox import DueDate, due_date
from models.incident_action import CorrectiveAction, CorrectiveActionState


def _not_closed(horizon: date) -> ColumnElement[bool]:
    return col(CorrectiveAction.state) != CorrectiveActionState.CLOSED


CORRECTIVE_ACTION_DEADLINE = due_date(
    DueDate(
        name="corrective_action_deadline",
        table="corrective_action",
        column="deadline",
        label="remind.kind.corrective_action",
        holder="owner_id",
        lead_days=7,
        grace_days=7,
        still_due=_not_closed,
    )
)
