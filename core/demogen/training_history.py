"""Workflow histories for demo training plans and assignments: the events the plan and
assignment workflows would have written, so a completed plan or assignment shows how it got
there.

A plan was drafted a month or so before its date, approved one to three weeks before, started
on the day and completed within three weeks (or cancelled, with the reason the workflow
requires). An assignment was assigned by the plan's owner on its assigned date, started by the
person (the system when they have no account) and completed by the system on its completed
date. Times never pass today and follow the steps' order. Its own random stream, so the rest
of the demo stays as it was.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import col, select

from core.demogen import DemoContext
from core.training.assignment_flow import OPENING_ACTION
from models.training import TrainingPlanState as P
from models.training_learning import AssignmentState as A
from models.training_learning import TrainingAssignment
from models.workflow import WorkflowEvent

Path = tuple[tuple[str, str], ...]

_DRAFT: Path = (("draft_training_plan", P.DRAFT),)
_APPROVE: Path = (*_DRAFT, ("approve", P.APPROVED))
_START: Path = (*_APPROVE, ("start", P.IN_PROGRESS))
#: The steps (action, state reached) that lead to each plan state, opening step first.
PLAN_PATHS: dict[str, Path] = {
    P.DRAFT: _DRAFT,
    P.APPROVED: _APPROVE,
    P.IN_PROGRESS: _START,
    P.COMPLETED: (*_START, ("complete", P.COMPLETED)),
    P.CANCELLED: (*_APPROVE, ("cancel", P.CANCELLED)),
}
_ASSIGN: Path = ((OPENING_ACTION, A.ASSIGNED),)
_BEGUN: Path = (*_ASSIGN, ("start", A.IN_PROGRESS))
ASSIGNMENT_PATHS: dict[str, Path] = {
    A.ASSIGNED: _ASSIGN,
    A.IN_PROGRESS: _BEGUN,
    A.COMPLETED: (*_BEGUN, ("complete", A.COMPLETED)),
    A.WAIVED: (*_ASSIGN, ("waive", A.WAIVED)),
}
COMMENTS = {
    "cancel": "生产任务调整，本期培训取消，并入下期计划",
    "waive": "已取得同等培训证明，免予本期培训",
}
SYSTEM = "system"


def add_training_history(ctx: DemoContext, plans: list[dict[str, Any]]) -> None:
    """Events for the demo's plans (inserted already: each carries its ``id``) and for every
    assignment they made."""
    rng = random.Random(f"training-history:{ctx.scale}:{ctx.today}")
    names = {u.id: u.username for u in ctx.users}
    accounts = {u.person_id: u.id for u in ctx.users if u.person_id is not None}
    ctx.bulk(WorkflowEvent, _plan_events(ctx, rng, plans, names))
    ids = [plan["id"] for plan in plans]
    if ids:  # this run's plans: the ids of one insert, so the assignments they made
        made = col(TrainingAssignment.plan_id).between(min(ids), max(ids))
        ctx.bulk(WorkflowEvent, _assignment_events(ctx, rng, made, names, accounts))


def _plan_events(
    ctx: DemoContext, rng: random.Random, plans: list[dict[str, Any]], names: dict[int, str]
) -> Iterator[dict[str, Any]]:
    for plan in plans:
        day = plan["planned_on"]
        days = [
            day - timedelta(days=rng.randint(28, 45)),
            day - timedelta(days=rng.randint(7, 21)),
            day,
            day + timedelta(days=rng.randint(3, 20)),
        ]
        if plan["state"] == P.CANCELLED:
            days[2] = day - timedelta(days=rng.randint(0, 6))
        owner = plan["created_by"]
        actors = [(owner, names.get(owner, SYSTEM))] * 4
        yield from _events(ctx, rng, "training_plan", plan, PLAN_PATHS, days, actors)


def _assignment_events(
    ctx: DemoContext,
    rng: random.Random,
    made: Any,
    names: dict[int, str],
    accounts: dict[int, int],
) -> Iterator[dict[str, Any]]:
    stmt = (
        select(
            TrainingAssignment.id,
            TrainingAssignment.state,
            TrainingAssignment.person_id,
            TrainingAssignment.assigned_on,
            TrainingAssignment.completed_on,
            TrainingAssignment.enterprise_id,
            TrainingAssignment.created_by,
        )
        .where(made)
        .order_by(col(TrainingAssignment.id))
    )
    for row in ctx.session.exec(stmt).mappings().all():  # read before the events go in
        assigned = row["assigned_on"]
        done = row["completed_on"] or min(ctx.today, assigned + timedelta(days=20))
        started = assigned + timedelta(days=rng.randint(0, max(0, (done - assigned).days)))
        owner, person = row["created_by"], accounts.get(row["person_id"])
        actors = [
            (owner, names.get(owner, SYSTEM)),
            (person, names[person]) if person is not None else (None, SYSTEM),
            (None, SYSTEM),
        ]
        if row["state"] == A.WAIVED:
            actors[1] = actors[0]
        days = [assigned, started, done]
        yield from _events(ctx, rng, "training_assignment", row, ASSIGNMENT_PATHS, days, actors)


def _events(
    ctx: DemoContext,
    rng: random.Random,
    table: str,
    row: Any,
    paths: dict[str, Path],
    days: list[date],
    actors: list[tuple[int | None, str]],
) -> Iterator[dict[str, Any]]:
    """One event per step of the row's path: on its day (never after today), later than the
    step before, by its actor."""
    previous: str | None = None
    last: datetime | None = None
    for (action, state), day, (actor_id, actor_name) in zip(
        paths[row["state"]], days, actors, strict=False
    ):
        when = ctx.moment(min(day, ctx.today), rng)
        if last is not None and when <= last:
            when = last + timedelta(minutes=rng.randint(10, 120))
        yield {
            "table_name": table,
            "row_id": row["id"],
            "from_state": previous,
            "to_state": state,
            "action": action,
            "actor_id": actor_id,
            "actor_name": actor_name,
            "comment": COMMENTS.get(action),
            "data": {},
            "attachment_ids": [],
            "enterprise_id": row["enterprise_id"],
            "ts": when,
        }
        previous, last = state, when
