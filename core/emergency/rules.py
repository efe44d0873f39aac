"""Emergency rules shared by forms, imports, the demo and the cockpit: plan reviews, response
checklist steps, statutory drill intervals, drill progress, supply status and inspections."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import FromClause, or_
from sqlalchemy.sql.elements import ColumnElement

from models.emergency import EmergencyPlanKind
from models.emergency_drill import DrillState
from models.emergency_supply import EmergencySupply, EmergencySupplyStatus

PLAN_REVIEW_YEARS = 3  # 《生产安全事故应急预案管理办法》: high-risk units evaluate every 3 years


def review_due(effective_on: date | None, years: int = PLAN_REVIEW_YEARS) -> date | None:
    """When a plan must next be evaluated (29 Feb rolls to 28 Feb)."""
    if effective_on is None:
        return None
    try:
        return effective_on.replace(year=effective_on.year + years)
    except ValueError:
        return effective_on.replace(year=effective_on.year + years, day=28)


def normalise_steps(steps: Any) -> list[dict[str, Any]] | None:
    """Checklist steps sorted by order and renumbered 1..n; None when a step has no action."""
    if not isinstance(steps, list):
        return None
    out = []
    for i, step in enumerate(steps):
        if isinstance(step, str):
            step = {"action": step}
        if not isinstance(step, dict) or not str(step.get("action") or "").strip():
            return None
        out.append({"order": step.get("order", i + 1), "action": step["action"], **step})
    try:
        out.sort(key=lambda s: (float(s["order"]), str(s["action"])))
    except (TypeError, ValueError):
        return None
    return [{**s, "order": i + 1} for i, s in enumerate(out)]


# 《生产安全事故应急预案管理办法》 art. 33: comprehensive/special plans yearly, on-site half-yearly.
DRILL_INTERVAL_DAYS = {
    EmergencyPlanKind.COMPREHENSIVE: 365,
    EmergencyPlanKind.SPECIAL: 365,
    EmergencyPlanKind.ON_SITE: 182,
}


HIGH_RISK_INTERVAL_DAYS = 182  # hazardous goods, mining, smelting, ...: every half year


def drill_overdue(
    kind: EmergencyPlanKind, last_held: date | None, today: date, *, high_risk: bool = False
) -> bool:
    """Whether a plan has gone longer than its statutory interval without a drill."""
    interval = DRILL_INTERVAL_DAYS[kind]
    if high_risk:
        interval = min(interval, HIGH_RISK_INTERVAL_DAYS)
    return last_held is None or (today - last_held).days > interval


def drill_state(
    *,
    scheme_done_on: date | None,
    trained_on: date | None,
    held_on: date | None,
    evaluated_on: date | None,
) -> DrillState:
    """The furthest step a drill's dates show it has reached."""
    if evaluated_on:
        return DrillState.EVALUATED
    if held_on:
        return DrillState.HELD
    if trained_on:
        return DrillState.TRAINED
    if scheme_done_on:
        return DrillState.SCHEME_READY
    return DrillState.PLANNED


def supply_status(
    quantity: int, min_stock: int, expires_on: date | None, today: date
) -> EmergencySupplyStatus:
    """Expired outranks low stock: an expired item must be replaced whatever the count."""
    if expires_on is not None and expires_on < today:
        return EmergencySupplyStatus.EXPIRED
    if quantity < min_stock:
        return EmergencySupplyStatus.LOW
    return EmergencySupplyStatus.NORMAL


def supplies_attention(today: date, table: FromClause | None = None) -> ColumnElement[bool]:
    """:func:`supply_status` other than normal, as a query: expired, or below minimum stock
    (over the supply table or an alias of it, e.g. the cockpit's DuckDB rows)."""
    c = (table if table is not None else EmergencySupply.__table__).c
    return or_(c.expires_on < today, c.quantity < c.min_stock)


def next_inspection(last: date | None, cycle_days: int | None) -> date | None:
    if last is None or not cycle_days:
        return None
    return last + timedelta(days=cycle_days)
