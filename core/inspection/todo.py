"""Which inspection rounds are open, due and overdue, for whom: the inspector's list and the
home to-do line.

Overdue is never stored by a timer: it is ``due_date`` before the site's today while the round
is still open, asked whenever the list is drawn. (The demo also stores ``overdue`` on old open
rounds; that state counts as open here.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, func
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, select

from core.inbox import TodoItem, todo_provider
from core.inspection.schedule import HORIZON_DAYS
from core.rbac import Actor
from models.enums import Action, Module
from models.risk_inspection import InspectionPlan, InspectionTask, InspectionTaskItem
from models.risk_inspection import InspectionTaskState as S

#: States in which a round still waits for its inspector (``overdue`` as the demo stores it).
OPEN_STATES: tuple[S, ...] = (S.PENDING, S.IN_PROGRESS, S.OVERDUE)
MY_TASKS_LIMIT = 100
PAGE = "pages/risk_my_tasks.py"


def open_clause() -> ColumnElement[bool]:
    return and_(InspectionTask.state.in_(OPEN_STATES), InspectionTask.deleted_at.is_(None))


def overdue_clause(today: date) -> ColumnElement[bool]:
    """Rounds past their day and not done: a query, so it is right whenever it is asked."""
    return and_(InspectionTask.due_date < today, open_clause())


@dataclass(frozen=True)
class TaskCard:
    """One line of the inspector's list."""

    id: int
    name: str
    due_date: date
    state: str
    total: int
    ticked: int
    checkin_required: bool
    checked_in: bool

    def days_late(self, today: date) -> int:
        return (today - self.due_date).days


def my_tasks(
    session: Session, actor: Actor, *, today: date, horizon_days: int = HORIZON_DAYS
) -> list[TaskCard]:
    """The actor's open rounds due up to ``today + horizon_days``, oldest first."""
    actor.require(Module.RISK, Action.VIEW)
    if actor.person_id is None:
        return []
    stmt = (
        select(InspectionTask)
        .where(InspectionTask.assignee_id == actor.person_id, open_clause())
        .where(InspectionTask.due_date <= today + timedelta(days=horizon_days))
        .order_by(InspectionTask.due_date, InspectionTask.id)
        .limit(MY_TASKS_LIMIT)
    )
    tasks = list(session.exec(stmt))
    ids = [task.id for task in tasks]
    counts = {
        task_id: (total, ticked)
        for task_id, total, ticked in session.exec(
            select(
                InspectionTaskItem.task_id,
                func.count(),
                func.count(InspectionTaskItem.result),
            )
            .where(InspectionTaskItem.task_id.in_(ids))
            .group_by(InspectionTaskItem.task_id)
        ).all()
    }
    plan_ids = {task.plan_id for task in tasks if task.plan_id}
    checkin = dict(
        session.exec(
            select(InspectionPlan.id, InspectionPlan.checkin_required).where(
                InspectionPlan.id.in_(plan_ids)
            )
        ).all()
    )
    return [
        TaskCard(
            id=task.id,
            name=task.name,
            due_date=task.due_date,
            state=str(task.state),
            total=counts.get(task.id, (0, 0))[0],
            ticked=counts.get(task.id, (0, 0))[1],
            checkin_required=bool(checkin.get(task.plan_id, False)),
            checked_in=task.checkin_location is not None,
        )
        for task in tasks
    ]


@todo_provider
def inspection_todo(session: Session, actor: Actor, today: date) -> list[TodoItem]:
    """Home to-do: my overdue rounds and those due today, one line each kind."""
    if actor.person_id is None or not actor.can(Module.RISK, Action.VIEW):
        return []
    mine = and_(InspectionTask.assignee_id == actor.person_id, open_clause())
    overdue, oldest = session.exec(
        select(func.count(), func.min(InspectionTask.due_date)).where(
            mine, InspectionTask.due_date < today
        )
    ).one()
    due_today = session.exec(
        select(func.count()).where(mine, InspectionTask.due_date == today)
    ).one()
    items = []
    if overdue:
        items.append(TodoItem("todo.inspection_overdue", {"count": overdue}, "error", PAGE, oldest))
    if due_today:
        items.append(
            TodoItem("todo.inspection_due_today", {"count": due_today}, "warning", PAGE, today)
        )
    return items
