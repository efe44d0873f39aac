"""Emergency rules shared by forms, imports, the workflows, the demo and the cockpit: plan
reviews and versions, response checklist steps, statutory drill intervals and the next drill a
plan owes, drill progress, supply stock status, expiry and inspections."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import FromClause, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, func, select

from models.emergency import EmergencyPlanKind, EmergencyPlanState
from models.emergency_drill import Drill, DrillState
from models.emergency_supply import EmergencySupply, EmergencySupplyStatus

PLAN_REVIEW_YEARS = 3  # 《生产安全事故应急预案管理办法》: high-risk units evaluate every 3 years
#: Plans in force: approved by the principal (公布) and published to their audience. Only they
#: owe drills; drafts, plans under review and superseded ones do not.
IN_FORCE: tuple[str, ...] = (EmergencyPlanState.APPROVED, EmergencyPlanState.PUBLISHED)


def review_due(effective_on: date | None, years: int = PLAN_REVIEW_YEARS) -> date | None:
    """When a plan must next be evaluated (29 Feb rolls to 28 Feb)."""
    if effective_on is None:
        return None
    try:
        return effective_on.replace(year=effective_on.year + years)
    except ValueError:
        return effective_on.replace(year=effective_on.year + years, day=28)


def next_version(previous: str | None) -> str:
    """The version an approval proposes: V1.0 first, then the next major number of the plan
    it revises ("V2.0" → "V3.0"); a version that is not "V<n>…" starts again at V1.0."""
    digits = (previous or "").removeprefix("V").split(".")[0]
    return f"V{int(digits) + 1}.0" if digits.isdigit() else "V1.0"


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


def next_drill_due(
    kind: EmergencyPlanKind, last_held: date | None, effective_on: date | None
) -> date | None:
    """The latest day the plan's next drill may be held: one statutory interval after the last
    drill, or after the plan took effect when it has not been drilled yet."""
    start = last_held or effective_on
    return None if start is None else start + timedelta(days=DRILL_INTERVAL_DAYS[kind])


def last_drill(session: Session, plan_id: int | None) -> date | None:
    """When the plan was last drilled (held or evaluated drills, live rows)."""
    if plan_id is None:
        return None
    stmt = select(func.max(Drill.held_on)).where(
        Drill.plan_id == plan_id,
        col(Drill.state).in_((DrillState.HELD, DrillState.EVALUATED)),
        col(Drill.deleted_at).is_(None),
    )
    return session.exec(stmt).one()


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


def stock_status(quantity: int, min_stock: int) -> EmergencySupplyStatus:
    """The stored status: it depends on the row alone, so it is right until the row changes."""
    return EmergencySupplyStatus.LOW if quantity < min_stock else EmergencySupplyStatus.NORMAL


def is_expired(expires_on: date | None, today: date) -> bool:
    """Expired is asked of the date on the day, never stored: it would go stale overnight."""
    return expires_on is not None and expires_on < today


def supplies_expired(today: date, table: FromClause | None = None) -> ColumnElement[bool]:
    """:func:`is_expired` as a query (the list's "expired" filter)."""
    c = (table if table is not None else EmergencySupply.__table__).c
    return c.expires_on < today


def supplies_attention(today: date, table: FromClause | None = None) -> ColumnElement[bool]:
    """Supplies to act on, as a query: expired, or below minimum stock (over the supply table
    or an alias of it, e.g. the cockpit's DuckDB rows)."""
    c = (table if table is not None else EmergencySupply.__table__).c
    return or_(supplies_expired(today, table), c.quantity < c.min_stock)


def next_inspection(last: date | None, cycle_days: int | None) -> date | None:
    """The category's cycle counted from the last inspection."""
    if last is None or not cycle_days:
        return None
    return last + timedelta(days=cycle_days)
