"""Inspection plans → tasks: when each round falls due, and the idempotent generator.

Plans do not store their next date. The due dates are a pure function of the plan
(``due_dates``), and the generator creates the ones missing up to a horizon, so cron
(``safeloop inspections generate``), the inspector's page and the demo all agree and any of
them may run at any time, any number of times. ``(plan_id, due_date)`` is unique in the
database; when two generators race, the loser's insert fails inside a savepoint and it skips
what the winner made.

"Today" is the site's calendar day (``core.clock.site_today``), not the server's UTC date: at
00:30 in Shanghai the round due that day must already exist.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core import audit
from core.clock import add_months, local, site_today
from core.crud.lookup import visible
from core.crud.registry import get_spec
from core.db import utcnow
from core.rbac import SYSTEM, Actor
from models.risk_inspection import (
    InspectionCheckItem,
    InspectionPlan,
    InspectionPlanType,
    InspectionTask,
    InspectionTaskItem,
)

#: Rounds appear this many days before they fall due, so a week's round can be planned.
HORIZON_DAYS = 7
WEEK = 7


def step_days(plan_type: InspectionPlanType | str, cycle_days: int) -> int | None:
    """Days between rounds of a fixed-step plan; None for one-off plans.

    Daily plans run every day; weekly plans every ``cycle_days`` (7 when left at 1);
    special and comprehensive checks run once unless given a cycle. Monthly plans follow
    the calendar (``add_months``) and have no fixed step.
    """
    kind = InspectionPlanType(plan_type)
    if kind == InspectionPlanType.DAILY:
        return 1
    if kind == InspectionPlanType.WEEKLY:
        return cycle_days if cycle_days > 1 else WEEK
    if kind == InspectionPlanType.MONTHLY:
        raise ValueError("monthly plans follow the calendar")
    return cycle_days if cycle_days > 1 else None


def due_dates(
    plan_type: InspectionPlanType | str,
    cycle_days: int,
    starts_on: date,
    ends_on: date | None,
    until: date,
    *,
    after: date | None = None,
) -> Iterator[date]:
    """The plan's due dates in ``(after, min(until, ends_on)]``, oldest first."""
    last = min(until, ends_on) if ends_on else until
    if InspectionPlanType(plan_type) == InspectionPlanType.MONTHLY:
        n = 0
        if after is not None and after >= starts_on:
            n = max(0, (after.year - starts_on.year) * 12 + after.month - starts_on.month)
        while (day := add_months(starts_on, n)) <= last:
            if after is None or day > after:
                yield day
            n += 1
        return
    step = step_days(plan_type, cycle_days)
    if step is None:
        if starts_on <= last and (after is None or starts_on > after):
            yield starts_on
        return
    n = 0 if after is None or after < starts_on else (after - starts_on).days // step + 1
    day = starts_on + timedelta(days=n * step)
    while day <= last:
        yield day
        day += timedelta(days=step)


def plan_start(plan: InspectionPlan) -> date:
    """A plan without a start date starts on the (site-local) day it was made."""
    return plan.starts_on or local(plan.created_at).date()


@dataclass
class GenerationReport:
    """What one run created: due dates per plan, and plans another run got to first."""

    created: dict[int, list[date]] = field(default_factory=dict)
    raced: int = 0

    @property
    def tasks(self) -> int:
        return sum(len(days) for days in self.created.values())


def generate_tasks(
    session: Session,
    *,
    today: date | None = None,
    horizon_days: int = HORIZON_DAYS,
    actor: Actor = SYSTEM,
    assignee_id: int | None = None,
    plan_ids: list[int] | None = None,
) -> GenerationReport:
    """Create every missing round of the active plans the actor can see, due up to
    ``today + horizon_days``; a second call creates nothing.

    Only dates after a plan's latest existing round are considered, so a round that was
    deleted or cancelled is not made again, and the call costs one grouped query when there
    is nothing to do. Each plan's rounds (tasks, their item snapshots and audit entries) are
    written in one savepoint: all of a plan's new rounds or none of them.
    """
    today = today or site_today()
    until = today + timedelta(days=horizon_days)
    stmt = visible(get_spec("inspection_plan"), actor).where(InspectionPlan.active.is_(True))
    if assignee_id is not None:
        stmt = stmt.where(InspectionPlan.assignee_id == assignee_id)
    if plan_ids is not None:
        stmt = stmt.where(InspectionPlan.id.in_(plan_ids))
    plans = list(session.exec(stmt.order_by(InspectionPlan.id)))
    latest = _latest_due(session, [p.id for p in plans])
    todo: list[tuple[InspectionPlan, list[date]]] = []
    for plan in plans:
        start = plan_start(plan)
        days = list(
            due_dates(
                plan.plan_type,
                plan.cycle_days,
                start,
                plan.ends_on,
                until,
                after=latest.get(plan.id),
            )
        )
        if days:
            todo.append((plan, days))
    report = GenerationReport()
    items = _checklist_items(session, {p.checklist_id for p, _ in todo if p.checklist_id})
    for plan, days in todo:
        made = _insert_plan(session, actor, plan, days, items.get(plan.checklist_id, []))
        if made:
            report.created[plan.id] = made
        if len(made) < len(days):
            report.raced += 1
    return report


def _latest_due(session: Session, plan_ids: list[int]) -> dict[int, date]:
    if not plan_ids:
        return {}
    stmt = (
        select(InspectionTask.plan_id, func.max(InspectionTask.due_date))
        .where(InspectionTask.plan_id.in_(plan_ids))
        .group_by(InspectionTask.plan_id)
    )
    return {plan_id: due for plan_id, due in session.exec(stmt).all()}


def _checklist_items(
    session: Session, checklist_ids: set[int]
) -> dict[int, list[InspectionCheckItem]]:
    if not checklist_ids:
        return {}
    stmt = (
        select(InspectionCheckItem)
        .where(
            InspectionCheckItem.checklist_id.in_(sorted(checklist_ids)),
            InspectionCheckItem.deleted_at.is_(None),
        )
        .order_by(InspectionCheckItem.seq, InspectionCheckItem.id)
    )
    out: dict[int, list[InspectionCheckItem]] = {}
    for item in session.exec(stmt):
        out.setdefault(item.checklist_id, []).append(item)
    return out


def _insert_plan(
    session: Session,
    actor: Actor,
    plan: InspectionPlan,
    days: list[date],
    items: list[InspectionCheckItem],
) -> list[date]:
    """All the plan's new rounds in one savepoint; after a clash with a concurrent run,
    one savepoint per round, keeping those the other run did not make."""
    try:
        with session.begin_nested():
            _write(session, actor, plan, days, items)
        return days
    except IntegrityError:
        pass
    made = []
    for day in days:
        try:
            with session.begin_nested():
                _write(session, actor, plan, [day], items)
            made.append(day)
        except IntegrityError:
            continue
    return made


def task_values(plan: InspectionPlan, due: date, actor: Actor) -> dict[str, Any]:
    """Columns of the round of ``plan`` due on ``due`` (shared with the demo generator)."""
    return {
        "name": f"{plan.name} {due.isoformat()}"[:120],
        "plan_id": plan.id,
        "due_date": due,
        "enterprise_id": plan.enterprise_id,
        "department_id": plan.department_id,
        "assignee_id": plan.assignee_id,
        "created_by": actor.user_id,
    }


def item_values(task_id: int, item: InspectionCheckItem, task: dict[str, Any]) -> dict[str, Any]:
    """A task line copied from a check item (shared with the demo generator)."""
    return {
        "task_id": task_id,
        "check_item_id": item.id,
        "measure_id": item.measure_id,
        "seq": item.seq,
        "content": item.content,
        "standard": item.standard,
        "enterprise_id": task["enterprise_id"],
        "department_id": task["department_id"],
        "created_by": task["created_by"],
    }


def _write(
    session: Session,
    actor: Actor,
    plan: InspectionPlan,
    days: list[date],
    items: list[InspectionCheckItem],
) -> None:
    tasks = [InspectionTask(**task_values(plan, day, actor)) for day in days]
    session.add_all(tasks)
    session.flush()
    now = utcnow()
    lines = [
        InspectionTaskItem(**item_values(task.id, item, task.model_dump()), created_at=now)
        for task in tasks
        for item in items
    ]
    session.add_all(lines)
    session.flush()
    audit.record_many(
        session,
        actor,
        [
            {
                "action": "create",
                "table_name": "inspection_task",
                "row_id": task.id,
                "enterprise_id": task.enterprise_id,
                "after": audit.snapshot(task),
                "detail": {"generated_from_plan": plan.id, "items": len(items)},
            }
            for task in tasks
        ],
    )
