"""Demo plan items and the assignments they made: this year's all-staff refresher for every
enterprise, and each recent monthly plan's course for the people of its post, so the
assignment list, the coverage and "my training" show open, overdue and completed work.

Only plans approved, running or completed in the last months are itemised; a completed plan
leaves a few people overdue (the coverage page's point), a running one a mix of states.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from core.demogen import DemoContext
from models.enums import PersonStatus
from models.training import PlanPeriod, TrainingPlanState
from models.training_learning import (
    AssignmentSource,
    AssignmentState,
    PlanTarget,
    TrainingAssignment,
    TrainingPlanItem,
)

ALL_STAFF_COURSE = "全员年度安全再培训"
RECENT_DAYS = 120  # monthly plans itemised: those planned in the last four months
DUE_DAYS = 30
ASSIGNING = (TrainingPlanState.APPROVED, TrainingPlanState.IN_PROGRESS, TrainingPlanState.COMPLETED)


def _item(plan: dict[str, Any], course_name: str, today: date) -> dict[str, Any] | None:
    """The plan's one line, or None when the demo leaves the plan without items."""
    if plan["state"] not in ASSIGNING:
        return None
    if plan["period"] == PlanPeriod.ANNUAL:
        if course_name != ALL_STAFF_COURSE or plan["planned_on"].year != today.year:
            return None
        target, post = PlanTarget.ENTERPRISE, None
    elif plan["post_id"] and (today - plan["planned_on"]).days <= RECENT_DAYS:
        target, post = PlanTarget.POST, plan["post_id"]
    else:
        return None
    return {
        "plan_id": plan["id"],
        "position": 1,
        "course_id": plan["course_id"],
        "target": target,
        "post_id": post,
        "due_on": plan["planned_on"] + timedelta(days=DUE_DAYS),
        "due_days": DUE_DAYS,
        "follow_joiners": True,
        "created_by": plan["created_by"],
    }


def _state(ctx: DemoContext, plan_state: str) -> AssignmentState:
    r = ctx.rng.random()
    if plan_state == TrainingPlanState.COMPLETED:
        return AssignmentState.COMPLETED if r < 0.9 else AssignmentState.ASSIGNED
    if plan_state == TrainingPlanState.IN_PROGRESS:
        if r < 0.4:
            return AssignmentState.COMPLETED
        return AssignmentState.IN_PROGRESS if r < 0.7 else AssignmentState.ASSIGNED
    return AssignmentState.ASSIGNED


def add_assignments(
    ctx: DemoContext, plans: list[dict[str, Any]], courses: dict[int, dict[str, Any]]
) -> None:
    """Items for the plans that assign in the demo, then one assignment per targeted person."""
    lines = [
        (plan, item)
        for plan in plans
        if (item := _item(plan, courses[plan["course_id"]]["name"], ctx.today)) is not None
    ]
    ids = ctx.bulk(TrainingPlanItem, [item for _plan, item in lines])
    active = {
        e.id: [p for p in ctx.people_of(e.id) if p.status == PersonStatus.ACTIVE]
        for e in ctx.enterprises
    }
    rows = []
    for (plan, item), item_id in zip(lines, ids, strict=True):
        people = active[plan["enterprise_id"]]
        if item["post_id"] is not None:
            people = [p for p in people if p.post_id == item["post_id"]]
        for person in people:
            state = _state(ctx, plan["state"])
            done = plan["planned_on"] + timedelta(days=ctx.rng.randint(0, DUE_DAYS))
            rows.append(
                {
                    "person_id": person.id,
                    "course_id": item["course_id"],
                    "plan_id": plan["id"],
                    "plan_item_id": item_id,
                    "source": AssignmentSource.PLAN,
                    "assigned_on": plan["planned_on"],
                    "due_on": item["due_on"],
                    "state": state,
                    "completed_on": min(done, ctx.today)
                    if state == AssignmentState.COMPLETED
                    else None,
                    "enterprise_id": person.enterprise_id,
                    "department_id": person.department_id,
                    "created_by": plan["created_by"],
                }
            )
    ctx.bulk(TrainingAssignment, rows)
