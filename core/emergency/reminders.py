"""Emergency due dates: supplies expiring and due for inspection, plans due for a drill by the
statutory frequency. Supplies and plans have no holder: the managers hear ahead."""

from __future__ import annotations

from datetime import date

from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from core.emergency.rules import IN_FORCE
from core.inbox import DueDate, due_date
from models.emergency import EmergencyPlan


def _in_force(horizon: date) -> ColumnElement[bool]:
    """Only plans in force owe drills (not drafts, not superseded plans)."""
    return col(EmergencyPlan.state).in_(IN_FORCE)


SUPPLY_EXPIRY = due_date(
    DueDate(
        name="emergency_supply_expiry",
        table="emergency_supply",
        column="expires_on",
        label="remind.kind.supply_expiry",
    )
)

SUPPLY_INSPECTION = due_date(
    DueDate(
        name="emergency_supply_inspection",
        table="emergency_supply",
        column="next_inspection_on",
        label="remind.kind.supply_inspection",
    )
)

PLAN_DRILL = due_date(
    DueDate(
        name="emergency_plan_drill",
        table="emergency_plan",
        column="next_drill_due",
        label="remind.kind.plan_drill",
        still_due=_in_force,
    )
)
