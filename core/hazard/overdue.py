"""Overdue (逾期隐患), defined once for every list, count, report, trend, marker and reminder.

A hazard is **overdue on a day** when its deadline lies before that day and it still waits for
rectification or verification then (``OPEN_STATES``). Today that is its current state. For an
earlier day it is the state it had then: reported before the day began, and still open now or
closed only after the day began. A hazard **missed its deadline** when it was overdue on the
day after the deadline: still open, or closed on a later day.

The rules are SQLAlchemy expressions over the hazard table (or an alias of it, e.g. ``r`` in
the analytical queries, which compile them for DuckDB with ``analytics.duck.condition``); the
list preset and the Python check say the same with the same constants.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import FromClause, and_, or_
from sqlalchemy.sql.elements import ColumnElement

from models.hazard import OPEN_STATES, Hazard, HazardState


def _columns(table: FromClause | None) -> Any:
    return (table if table is not None else Hazard.__table__).c


def overdue_clause(today: date, table: FromClause | None = None) -> ColumnElement[bool]:
    """Hazards overdue now: past their deadline and still waiting for rectification or
    verification (deleted rows are never overdue)."""
    c = _columns(table)
    return and_(c.deadline < today, c.state.in_(OPEN_STATES), c.deleted_at.is_(None))


def overdue_on_clause(
    day: date, day_starts: datetime, table: FromClause | None = None
) -> ColumnElement[bool]:
    """Hazards that were overdue on an earlier ``day``, which began at the UTC instant
    ``day_starts``: past their deadline then, reported before, not yet closed."""
    c = _columns(table)
    still_open = or_(
        c.state.in_(OPEN_STATES),
        and_(c.state == HazardState.CLOSED, c.closed_at >= day_starts),
    )
    return and_(c.deadline < day, c.found_at < day_starts, still_open, c.deleted_at.is_(None))


def overdue_as_of(
    day: date, today: date, day_starts: datetime, table: FromClause | None = None
) -> ColumnElement[bool]:
    """Overdue on ``day``: the current rule for today (or later), the historical one before."""
    if day >= today:
        return overdue_clause(day, table)
    return overdue_on_clause(day, day_starts, table)


def missed_deadline_clause(
    today: date, closed_late: ColumnElement[bool], table: FromClause | None = None
) -> ColumnElement[bool]:
    """Hazards whose deadline has passed and that were overdue the day after it: still open,
    or closed on a later day. ``closed_late`` compares the local day of ``closed_at`` with the
    deadline, which only the caller's dialect can say."""
    c = _columns(table)
    late = or_(c.state.in_(OPEN_STATES), and_(c.state == HazardState.CLOSED, closed_late))
    return and_(c.deadline < today, late, c.deleted_at.is_(None))


def overdue_filters(today: date) -> dict[str, Any]:
    """:func:`overdue_clause` as the hazard list's field filters (the ``f.overdue=1`` preset):
    deadline up to yesterday, state one of the open ones (the list leaves deleted rows out)."""
    return {
        "deadline": (None, today - timedelta(days=1)),
        "state": [s.value for s in OPEN_STATES],
    }


def is_overdue(deadline: date | None, state: str, today: date) -> bool:
    """:func:`overdue_clause` for one loaded hazard."""
    return deadline is not None and deadline < today and HazardState(state) in OPEN_STATES
