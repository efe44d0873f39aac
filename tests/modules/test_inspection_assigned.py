"""Inspection rounds are their assignee's: 王强 of 铸造车间 (B), walking a round of 机修车间 (A),
finds the round and its plan although his scope is B, and is reminded of it on its day, again
when it is late, before the safety manager and A's head hear of it; his colleague of B does
not see A's round at all."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlmodel import Session, select

from core.clock import site_today
from core.crud import service
from core.crud.registry import get_spec
from core.crud.service import ListQuery, NotFound
from core.inbox import send_reminders
from core.inspection.reminders import ROUND_DUE, remind_rounds
from core.inspection.rounds import check_in
from core.rbac import Actor, actor_for
from models.enums import Role
from models.notification import Notification
from models.risk_inspection import InspectionPlan, InspectionTask, InspectionTaskState
from tests import factories
from tests.factories import Org

DUE = date(2026, 4, 10)


@pytest.fixture(scope="module")
def cast(engine, module_settings, world) -> dict[str, Actor]:
    """王强 (an inspector of B), the head of A and a safety manager."""
    org, _ = world

    def make(name: str, role: Role, **values) -> Actor:
        values = {"park_id": org.park, "enterprise_id": org.ent1, **values}
        return actor_for(session, factories.user(session, module_settings, name, role, **values))

    with Session(engine) as session:
        made = {
            "wang": make(
                "wang_b", Role.INSPECTOR, department_id=org.dept_b, person_id=org.person_b
            ),
            "head_a": make("head_a", Role.DEPT_HEAD, department_id=org.dept_a),
            "manager": make("manager_1", Role.SAFETY_MANAGER),
        }
        session.commit()
        return made


def round_for(session: Session, org: Org, person_id: int, due: date = DUE) -> InspectionTask:
    """A plan of A and its round on ``due``, assigned to ``person_id``."""
    plan = InspectionPlan(
        name="空压站日检", enterprise_id=org.ent1, department_id=org.dept_a, assignee_id=person_id
    )
    session.add(plan)
    session.flush()
    task = InspectionTask(
        name="空压站日检 04-10",
        plan_id=plan.id,
        due_date=due,
        assignee_id=person_id,
        enterprise_id=org.ent1,
        department_id=org.dept_a,
    )
    session.add(task)
    session.flush()
    return task


@pytest.mark.parametrize("table", ["inspection_task", "inspection_plan"])
def test_the_assignee_sees_a_round_of_another_department(session, org, users, cast, table):
    task = round_for(session, org, org.person_b)
    row_id = task.id if table == "inspection_task" else task.plan_id
    spec = get_spec(table)
    wang, colleague = cast["wang"], users.inspector_b
    assert row_id in {r.id for r in service.list_rows(session, spec, wang, ListQuery()).rows}
    assert service.get_row(session, spec, wang, row_id).id == row_id
    assert row_id not in {
        r.id for r in service.list_rows(session, spec, colleague, ListQuery(page_size=500)).rows
    }
    with pytest.raises(NotFound):
        service.get_row(session, spec, colleague, row_id)


def test_the_assignee_works_the_round(session, org, cast) -> None:
    task = round_for(session, org, org.person_b)
    check_in(session, cast["wang"], task.id, code="任意")
    session.refresh(task)
    assert task.state == InspectionTaskState.IN_PROGRESS


def _told(session: Session, task: InspectionTask) -> dict[str, set[int]]:
    rows = session.exec(
        select(Notification.key, Notification.user_id).where(
            Notification.table_name == "inspection_task", Notification.row_id == task.id
        )
    ).all()
    told: dict[str, set[int]] = {}
    for key, uid in rows:
        told.setdefault(key, set()).add(uid)
    return told


def _on(day: date):
    return time_machine.travel(datetime(day.year, day.month, day.day, 1, tzinfo=UTC), tick=False)


def test_rounds_remind_the_assignee_then_escalate(session, org, cast) -> None:
    task = round_for(session, org, org.person_b)
    wang = cast["wang"].user_id
    managers = {cast["head_a"].user_id, cast["manager"].user_id}
    with _on(DUE - timedelta(days=1)):
        assert remind_rounds(session, site_today()) == 0  # not before its day
    with _on(DUE):
        assert remind_rounds(session, site_today()) == 1
        assert remind_rounds(session, site_today()) == 0  # a rerun sends nothing new
    assert _told(session, task) == {"remind.due_soon": {wang}}
    with _on(DUE + timedelta(days=1)):
        assert dict(send_reminders(session, site_today()))[ROUND_DUE.name] == 1
    assert _told(session, task)["remind.overdue"] == {wang}
    with _on(DUE + timedelta(days=ROUND_DUE.grace_days + 1)):
        remind_rounds(session, site_today())
    assert managers | {wang} <= _told(session, task)["remind.escalated"]


def test_a_round_done_is_not_reminded(session, org, cast) -> None:
    task = round_for(session, org, org.person_b)
    task.state = InspectionTaskState.DONE
    session.add(task)
    session.flush()
    assert remind_rounds(session, DUE + timedelta(days=30)) == 0
    assert _told(session, task) == {}
