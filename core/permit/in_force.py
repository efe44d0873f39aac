"""Which permits are in force (在用作业票) and which are overdue to close (超期未关闭), defined
once for the cockpit, the wall screen and the permit list's presets.

A permit authorises work while it is approved, under way or paused and its planned end has not
passed. One whose planned end has passed in such a state authorises nothing any more: it is
overdue to close (the work should be finished, signed off and closed), and counting it as
"in use" would tell the control room that work is allowed where it is not.

The rules are SQLAlchemy conditions over the permit table or an alias of it (the analytics
compile them for DuckDB with ``analytics.duck.condition``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import FromClause, and_
from sqlalchemy.sql.elements import ColumnElement

from core.db import utcnow
from models.permit import Permit, PermitState

#: States in which a permit still authorises work, until its planned end.
ACTIVE_STATES = (
    PermitState.APPROVED,
    PermitState.GAS_TESTED,
    PermitState.IN_PROGRESS,
    PermitState.SUSPENDED,
)


def _columns(table: FromClause | None) -> Any:
    return (table if table is not None else Permit.__table__).c


def in_force_clause(now: datetime, table: FromClause | None = None) -> ColumnElement[bool]:
    """Permits that authorise work at ``now``."""
    c = _columns(table)
    return and_(c.state.in_(ACTIVE_STATES), c.planned_end > now, c.deleted_at.is_(None))


def overdue_to_close_clause(now: datetime, table: FromClause | None = None) -> ColumnElement[bool]:
    """Permits past their planned end that were never completed and closed."""
    c = _columns(table)
    return and_(c.state.in_(ACTIVE_STATES), c.planned_end <= now, c.deleted_at.is_(None))


def in_force_where(_today: date) -> ColumnElement[bool]:
    """The permit list's ``f.in_force=1`` preset (the moment, not the day, decides)."""
    return in_force_clause(utcnow())


def overdue_to_close_where(_today: date) -> ColumnElement[bool]:
    """The permit list's ``f.overdue_close=1`` preset."""
    return overdue_to_close_clause(utcnow())
