"""From a plan item to people: who a target means today, and one assignment each.

Approving a plan assigns every item's course to the people its target names (source
``plan``). Later, whoever comes to match an item of a plan still running (a new person, one
moved to a targeted post or department, a user given a targeted role, a contractor worker
linked to their person) gets theirs too (source ``joiner``), if the item follows joiners.
Someone who moves away keeps the assignment they have. Every write is one
``INSERT … ON CONFLICT DO NOTHING`` on (person, course, plan item), so approving twice, a
retry, or a joiner saved while the plan is approved never makes a second assignment.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select
from sqlmodel import Session, col, select

from core import audit
from core.clock import site_today
from core.crud.registry import on_saved
from core.db import upsert_insert, utcnow
from core.rbac import Actor
from core.training.assignment_flow import assignment_opened
from core.training.assignment_rules import NEW_HIRE_DAYS
from models.accounts import User
from models.contractor import ContractorWorker, WorkerStatus
from models.enums import PersonStatus
from models.org import Department, Person
from models.training import TrainingPlan, TrainingPlanState
from models.training_learning import (
    AssignmentSource,
    AssignmentState,
    PlanTarget,
    TrainingAssignment,
    TrainingPlanItem,
)

RUNNING_PLANS = (TrainingPlanState.APPROVED, TrainingPlanState.IN_PROGRESS)
_CHUNK = 500  # rows per INSERT: well under SQLite's bound-parameter limit


def subtree(session: Session, department_id: int | None) -> set[int]:
    """The department and every department under it (``Department.parent_id``)."""
    if department_id is None:
        return set()
    found, frontier = {department_id}, {department_id}
    while frontier:
        stmt = select(Department.id).where(
            col(Department.parent_id).in_(frontier), col(Department.deleted_at).is_(None)
        )
        frontier = {d for d in session.exec(stmt).all() if d is not None} - found
        found |= frontier
    return found


def role_holders(session: Session, role: str | None) -> set[int]:
    """Persons whose active user account has ``role`` (roles are a JSON list, read here
    rather than by a dialect's JSON operators)."""
    stmt = select(User.person_id, User.roles).where(
        col(User.person_id).is_not(None),
        col(User.active).is_(True),
        col(User.deleted_at).is_(None),
    )
    return {pid for pid, roles in session.exec(stmt).all() if role in (roles or [])}


def target_query(
    session: Session, item: TrainingPlanItem, plan: TrainingPlan, today: date
) -> Select[Any]:
    """Active persons of the plan's enterprise that the item's target names."""
    stmt = select(Person.id).where(
        Person.status == PersonStatus.ACTIVE, col(Person.deleted_at).is_(None)
    )
    if plan.enterprise_id is not None:
        stmt = stmt.where(Person.enterprise_id == plan.enterprise_id)
    target = PlanTarget(item.target)
    if target == PlanTarget.DEPARTMENT:
        stmt = stmt.where(
            col(Person.department_id).in_(sorted(subtree(session, item.department_id)))
        )
    elif target == PlanTarget.POST:
        stmt = stmt.where(Person.post_id == item.post_id)
    elif target == PlanTarget.ROLE:
        stmt = stmt.where(col(Person.id).in_(sorted(role_holders(session, item.role))))
    elif target == PlanTarget.NEW_HIRES:
        days = item.hired_within_days or NEW_HIRE_DAYS
        stmt = stmt.where(col(Person.hired_on) >= today - timedelta(days=days))
    elif target == PlanTarget.CONTRACTOR:
        workers = select(ContractorWorker.person_id).where(
            ContractorWorker.contractor_id == item.contractor_id,
            col(ContractorWorker.person_id).is_not(None),
            ContractorWorker.status != WorkerStatus.LEFT,
            col(ContractorWorker.deleted_at).is_(None),
        )
        stmt = stmt.where(col(Person.id).in_(workers))
    return stmt


def _due(item: TrainingPlanItem, source: AssignmentSource, today: date) -> date:
    """The item's date for those assigned at approval; a joiner gets the item's number of
    days from joining (or the item's date, if that is later)."""
    by_days = today + timedelta(days=item.due_days)
    if source == AssignmentSource.PLAN:
        return item.due_on or by_days
    return max(item.due_on or by_days, by_days)


def _insert(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert the assignments not there yet; the ids of those that were new."""
    ids: list[int] = []
    for start in range(0, len(rows), _CHUNK):
        stmt = (
            upsert_insert(session, TrainingAssignment)
            .values(rows[start : start + _CHUNK])
            .on_conflict_do_nothing(index_elements=["person_id", "course_id", "plan_item_id"])
            .returning(TrainingAssignment.id)
        )
        ids += list(session.scalars(stmt))
    return ids


def assign_item(
    session: Session,
    actor: Actor,
    item: TrainingPlanItem,
    plan: TrainingPlan,
    source: AssignmentSource,
    *,
    today: date,
    only: Iterable[int] | None = None,
) -> list[int]:
    """One assignment per person the item targets (limited to ``only`` when given), each
    with its opening event; the ids of the new ones."""
    persons = target_query(session, item, plan, today)
    if only is not None:
        persons = persons.where(col(Person.id).in_(list(only)))
    people = select(Person.id, Person.enterprise_id, Person.department_id).where(
        col(Person.id).in_(persons)
    )
    now, due = utcnow(), _due(item, source, today)
    rows = [
        {
            "person_id": pid,
            "course_id": item.course_id,
            "plan_id": plan.id,
            "plan_item_id": item.id,
            "source": source,
            "assigned_on": today,
            "due_on": due,
            "state": AssignmentState.ASSIGNED,
            "enterprise_id": enterprise_id,
            "department_id": department_id,
            "created_by": actor.user_id,
            "created_at": now,
            "updated_at": now,
            "extra": {},
        }
        for pid, enterprise_id, department_id in session.exec(people).all()
    ]
    return _insert(session, rows)


def _record(session: Session, actor: Actor, ids: list[int], detail: dict[str, Any]) -> None:
    """One audit entry per new assignment and one saying why they were made (as an import
    does), then each assignment's opening event."""
    if not ids:
        return
    rows = session.exec(select(TrainingAssignment).where(col(TrainingAssignment.id).in_(ids))).all()
    items = [
        {
            "action": "create",
            "table_name": "training_assignment",
            "row_id": row.id,
            "enterprise_id": row.enterprise_id,
            "after": audit.snapshot(row),
        }
        for row in rows
    ]
    items.append({"action": "assign", "table_name": "training_assignment", "detail": detail})
    audit.record_many(session, actor, items)
    for row in rows:
        assignment_opened(session, row, actor)


def _items(session: Session, *where: Any) -> list[tuple[TrainingPlanItem, TrainingPlan]]:
    stmt = (
        select(TrainingPlanItem, TrainingPlan)
        .join(TrainingPlan, col(TrainingPlan.id) == TrainingPlanItem.plan_id)
        .where(
            col(TrainingPlanItem.deleted_at).is_(None),
            col(TrainingPlan.deleted_at).is_(None),
            *where,
        )
        .order_by(col(TrainingPlanItem.plan_id), col(TrainingPlanItem.position))
    )
    return [(item, plan) for item, plan in session.exec(stmt).all()]


def assign_plan(session: Session, actor: Actor, plan_id: int, today: date | None = None) -> int:
    """Assign every item of an approved plan to the people it targets; how many were new.
    Runs in the caller's transaction (the approval step's)."""
    day = today or site_today()
    ids: list[int] = []
    for item, plan in _items(session, TrainingPlanItem.plan_id == plan_id):
        ids += assign_item(session, actor, item, plan, AssignmentSource.PLAN, today=day)
    _record(session, actor, ids, {"plan_id": plan_id, "source": "plan", "rows": len(ids)})
    return len(ids)


def assign_joiners(
    session: Session, actor: Actor, person_ids: Sequence[int], today: date | None = None
) -> int:
    """Assign the items of running plans that follow joiners and now match these persons;
    how many were new (those who already had theirs keep them, whatever changed)."""
    wanted = sorted({p for p in person_ids if p is not None})
    if not wanted:
        return 0
    day = today or site_today()
    enterprises = select(Person.enterprise_id).where(col(Person.id).in_(wanted))
    running = _items(
        session,
        col(TrainingPlan.state).in_(RUNNING_PLANS),
        TrainingPlanItem.follow_joiners == True,  # noqa: E712
        col(TrainingPlan.enterprise_id).in_(enterprises)
        | col(TrainingPlan.enterprise_id).is_(None),
    )
    ids: list[int] = []
    for item, plan in running:
        ids += assign_item(
            session, actor, item, plan, AssignmentSource.JOINER, today=day, only=wanted
        )
    _record(session, actor, ids, {"persons": wanted, "source": "joiner", "rows": len(ids)})
    return len(ids)


def _persons_saved(session: Session, rows: Sequence[Any], actor: Actor) -> None:
    assign_joiners(session, actor, [r.id for r in rows])


def _linked_saved(session: Session, rows: Sequence[Any], actor: Actor) -> None:
    """A user account (its roles) or a contractor worker (its person) changed."""
    assign_joiners(session, actor, [r.person_id for r in rows if r.person_id is not None])


on_saved("person", _persons_saved)
on_saved("user", _linked_saved)
on_saved("contractor_worker", _linked_saved)
