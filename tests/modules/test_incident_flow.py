"""The incident and corrective action workflows: the loop report → investigate → actions →
close, the four eyes on every action, the refusals a user reads, the state no form or import
can set, and the deadline reminders of the actions.

Cast (tests/factories.py plus accounts made here): employee_a is 张伟 of 机修车间 (A) and the
usual action owner; inspector_a reports; safety_head and manager (a safety manager) run the
investigation and verify; maint is a technician of 铸造车间 (B) who owns an action of A.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from openpyxl import Workbook
from sqlmodel import Session, select

from core.clock import site_today
from core.crud import excel, service
from core.crud.registry import get_spec
from core.crud.service import ListQuery, NotFound, ValidationFailed
from core.i18n import t
from core.inbox import remind_due, todo_for
from core.incident.flow import CORRECTIVE_ACTION_FLOW, INCIDENT_FLOW, IncidentRefused, act
from core.incident.reminders import CORRECTIVE_ACTION_DEADLINE
from core.rbac import Actor, PermissionDenied, actor_for
from core.workflow import IllegalTransition, events
from models.enums import Role
from models.incident import Incident, IncidentState
from models.incident_action import CorrectiveAction, CorrectiveActionState
from models.notification import Notification
from tests import factories
from tests.factories import Org, Users
from tests.flow_props import assert_final_only_through

INCIDENT = get_spec("incident")
ACTION = get_spec("corrective_action")


@pytest.fixture(scope="module")
def extra(engine, module_settings, world) -> dict[str, Actor]:
    """A safety manager of enterprise 1 and a maintenance technician of department B."""
    org, _ = world
    with Session(engine) as session:
        made = {
            "manager": factories.user(
                session,
                module_settings,
                "manager",
                Role.SAFETY_MANAGER,
                park_id=org.park,
                enterprise_id=org.ent1,
            ),
            "maint": factories.user(
                session,
                module_settings,
                "maint_b",
                Role.INSPECTOR,
                park_id=org.park,
                enterprise_id=org.ent1,
                department_id=org.dept_b,
                person_id=org.person_b,
            ),
        }
        session.commit()
        return {name: actor_for(session, u) for name, u in made.items()}


def report(session: Session, org: Org, actor: Actor, kind: str = "minor", **values) -> Incident:
    base = {
        "title": "冲床夹伤手指",
        "kind": kind,
        "occurred_at": "2026-03-05T08:00:00+00:00",
        "enterprise_id": org.ent1,
        "department_id": org.dept_a,
        "minor_injuries": 0 if kind == "near_miss" else 1,
    }
    return service.create_row(session, INCIDENT, actor, {**base, **values})


def in_actions(session: Session, org: Org, users: Users, **values) -> Incident:
    i = report(session, org, users.inspector_a, **values)
    act(session, users.safety_head, "incident", i.id, "investigate")
    act(session, users.safety_head, "incident", i.id, "propose_actions")
    return i


def action(session: Session, users: Users, incident: Incident, owner: int, **values):
    base = {
        "content": "加装冲床双手按钮",
        "incident_id": incident.id,
        "owner_id": owner,
        "deadline": site_today() + timedelta(days=14),
    }
    return service.create_row(session, ACTION, users.safety_head, {**base, **values})


def steps(session: Session, table: str, row_id: int) -> list[tuple[str | None, str, str]]:
    return [(e.from_state, e.to_state, e.action) for e in events(session, table, row_id)]


def completed(session: Session, a: CorrectiveAction, doer: Actor) -> None:
    act(session, doer, "corrective_action", a.id, "complete", payload={"completion": "已加装"})


# --- the loop -------------------------------------------------------------------------------


def test_the_loop_closes_with_one_event_per_step(session, org, users, extra) -> None:
    i = in_actions(session, org, users, lessons=None)
    a = action(session, users, i, org.person_a)
    employee = users.employee_a
    act(session, employee, "corrective_action", a.id, "start")
    act(
        session,
        employee,
        "corrective_action",
        a.id,
        "complete",
        payload={"completion": "两台冲床已加装双手按钮"},
    )
    act(
        session,
        extra["manager"],
        "corrective_action",
        a.id,
        "verify",
        payload={"verification": "有效"},
    )
    act(session, users.safety_head, "incident", i.id, "close", payload={"lessons": "举一反三"})
    session.refresh(i)
    session.refresh(a)
    assert (i.state, i.lessons) == (IncidentState.CLOSED, "举一反三")
    assert a.state == CorrectiveActionState.CLOSED and a.closed_at is not None
    assert (a.completion, a.completed_by) == ("两台冲床已加装双手按钮", employee.user_id)
    assert steps(session, "incident", i.id) == [
        (None, "reported", "report"),
        ("reported", "investigating", "investigate"),
        ("investigating", "actions", "propose_actions"),
        ("actions", "closed", "close"),
    ]
    assert steps(session, "corrective_action", a.id) == [
        (None, "open", "assign_action"),
        ("open", "in_progress", "start"),
        ("in_progress", "verifying", "complete"),
        ("verifying", "closed", "verify"),
    ]


def test_close_is_refused_while_an_action_is_open(session, org, users) -> None:
    i = in_actions(session, org, users)
    action(session, users, i, org.person_a)
    action(session, users, i, org.person_a, content="修订冲压岗位操作规程")
    with pytest.raises(IncidentRefused) as err:
        act(session, users.safety_head, "incident", i.id, "close")
    assert err.value.message("zh-CN") == "不能结案：还有 2 项整改措施未验证关闭"
    assert "2 corrective action(s)" in err.value.message("en")
    session.refresh(i)
    assert i.state == IncidentState.ACTIONS and len(events(session, "incident", i.id)) == 3


def test_an_injury_needs_an_action_but_a_near_miss_may_close_without(session, org, users) -> None:
    injury = in_actions(session, org, users)
    with pytest.raises(IncidentRefused) as err:
        act(session, users.safety_head, "incident", injury.id, "close")
    assert err.value.message("zh-CN") == t("incident.close_needs_actions", "zh-CN")
    near = in_actions(session, org, users, kind="near_miss")
    act(session, users.safety_head, "incident", near.id, "close")
    session.refresh(near)
    assert near.state == IncidentState.CLOSED


def test_a_closed_incident_takes_no_new_action(session, org, users) -> None:
    near = in_actions(session, org, users, kind="near_miss")
    act(session, users.safety_head, "incident", near.id, "close")
    with pytest.raises(ValidationFailed) as err:
        action(session, users, near, org.person_a)
    assert err.value.problems[0].key == "validation.incident_closed"


def test_reopened_action_goes_back_to_its_owner(session, org, users, extra) -> None:
    i = in_actions(session, org, users)
    a = action(session, users, i, org.person_a)
    completed(session, a, users.employee_a)
    with pytest.raises(ValidationFailed) as err:
        act(session, extra["manager"], "corrective_action", a.id, "reopen")
    assert [p.field for p in err.value.problems] == ["comment"]
    act(session, extra["manager"], "corrective_action", a.id, "reopen", comment="未覆盖三号冲床")
    session.refresh(a)
    assert a.state == CorrectiveActionState.IN_PROGRESS
    told = session.exec(
        select(Notification.key).where(
            Notification.user_id == users.employee_a.user_id, Notification.row_id == a.id
        )
    ).all()
    assert set(told) == {"notify.corrective_action_assigned", "notify.corrective_action_returned"}


# --- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize("step", ["close", "propose_actions"])
def test_no_shortcut_from_reported(session, org, users, step) -> None:
    i = report(session, org, users.inspector_a, kind="near_miss")
    with pytest.raises(IllegalTransition) as err:
        act(session, users.safety_head, "incident", i.id, step)
    assert "已上报" in err.value.message("zh-CN")
    session.refresh(i)
    assert i.state == IncidentState.REPORTED and len(events(session, "incident", i.id)) == 1


@pytest.mark.parametrize("step", ["verify", "reopen"])
def test_an_open_action_cannot_be_verified(session, org, users, step) -> None:
    a = action(session, users, in_actions(session, org, users), org.person_a)
    with pytest.raises(IllegalTransition) as err:
        act(session, users.safety_head, "corrective_action", a.id, step, comment="x")
    assert err.value.message("zh-CN") == "当前状态“待整改”下不能执行“{}”".format(
        t(f"workflow.action.{step}", "zh-CN")
    )


def test_the_doer_cannot_verify(session, org, users, extra) -> None:
    a = action(session, users, in_actions(session, org, users), org.person_a)
    completed(session, a, users.safety_head)  # the edit grant lets a manager complete it
    with pytest.raises(PermissionDenied) as err:
        act(session, users.safety_head, "corrective_action", a.id, "verify")
    assert err.value.message("zh-CN") == "不能验证自己完成的整改措施（需由他人验证）"
    assert "verify" not in {t.action for t in CORRECTIVE_ACTION_FLOW.allowed(a, users.safety_head)}
    act(session, extra["manager"], "corrective_action", a.id, "verify")


def test_reporters_cannot_investigate_or_close(session, org, users) -> None:
    i = report(session, org, users.inspector_a)
    with pytest.raises(PermissionDenied) as err:
        act(session, users.inspector_a, "incident", i.id, "investigate")
    assert "开始调查" in err.value.message("zh-CN")
    assert INCIDENT_FLOW.allowed(i, users.inspector_a) == []


def test_completing_asks_what_was_done(session, org, users) -> None:
    a = action(session, users, in_actions(session, org, users), org.person_a)
    with pytest.raises(ValidationFailed) as err:
        act(session, users.employee_a, "corrective_action", a.id, "complete")
    assert [p.field for p in err.value.problems] == ["completion"]


# --- whose action it is -----------------------------------------------------------------------


def test_an_owner_of_another_department_sees_and_does_the_action(session, org, users, extra):
    """An action of 机修车间 (A) owned by 王强 of 铸造车间 (B): he lists, opens and completes
    it; inspector_b, his colleague, does not even see it."""
    a = action(session, users, in_actions(session, org, users), org.person_b)
    maint = extra["maint"]
    listed = service.list_rows(session, ACTION, maint, ListQuery(page_size=500))
    assert a.id in {r.id for r in listed.rows}
    assert service.get_row(session, ACTION, maint, a.id).id == a.id
    act(session, maint, "corrective_action", a.id, "start")
    completed(session, a, maint)
    session.refresh(a)
    assert a.state == CorrectiveActionState.VERIFYING
    colleague = users.inspector_b
    assert a.id not in {
        r.id for r in service.list_rows(session, ACTION, colleague, ListQuery(page_size=500)).rows
    }
    with pytest.raises(NotFound):
        service.get_row(session, ACTION, colleague, a.id)


def test_someone_elses_action_is_not_mine_to_do(session, org, users, settings) -> None:
    a = action(session, users, in_actions(session, org, users), org.person_a)
    li_na = factories.user(
        session,
        settings,
        "employee_a2",
        Role.EMPLOYEE,
        enterprise_id=org.ent1,
        department_id=org.dept_a,
        person_id=org.person_a2,
    )
    with pytest.raises(NotFound):
        act(session, actor_for(session, li_na), "corrective_action", a.id, "start")


# --- states only move by the workflow -------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "state"), [(INCIDENT, "closed"), (ACTION, "closed"), (ACTION, "verifying")]
)
def test_forms_cannot_set_a_state(session, org, users, spec, state) -> None:
    i = in_actions(session, org, users)
    row = i if spec is INCIDENT else action(session, users, i, org.person_a)
    with pytest.raises(ValidationFailed) as err:
        service.update_row(session, spec, users.safety_head, row.id, {"state": state})
    assert err.value.problems[0].key == "validation.state_by_workflow"
    if spec is INCIDENT:
        with pytest.raises(ValidationFailed) as err:
            report(session, org, users.safety_head, state=state)
        assert err.value.problems[0].key == "validation.state_by_workflow"


def test_an_import_cannot_set_a_state(session, org, users) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["title", "kind", "occurred_at", "state"])
    sheet.append(["导入的未遂事件", "near_miss", "2026-03-06 09:00", "closed"])
    data = io.BytesIO()
    book.save(data)
    result = excel.import_rows(session, INCIDENT, users.safety_head, data.getvalue(), "zh-CN")
    assert result.ok, result.errors
    row = session.exec(select(Incident).where(Incident.title == "导入的未遂事件")).one()
    assert row.state == IncidentState.REPORTED


def test_closed_records_are_archived(session, org, users, extra) -> None:
    near = in_actions(session, org, users, kind="near_miss")
    act(session, users.safety_head, "incident", near.id, "close")
    with pytest.raises(PermissionDenied) as err:
        service.update_row(session, INCIDENT, users.safety_head, near.id, {"title": "改"})
    assert err.value.key == "error.record_locked"


def test_closed_only_through_close_and_verify() -> None:
    assert_final_only_through(INCIDENT_FLOW, {IncidentState.CLOSED}, {"close"})
    assert_final_only_through(CORRECTIVE_ACTION_FLOW, {CorrectiveActionState.CLOSED}, {"verify"})


# --- deadlines --------------------------------------------------------------------------------


def _told(session: Session, a: CorrectiveAction) -> dict[str, set[int]]:
    rows = session.exec(
        select(Notification.key, Notification.user_id).where(
            Notification.table_name == "corrective_action",
            Notification.row_id == a.id,
            Notification.key.startswith("remind."),
        )
    ).all()
    told: dict[str, set[int]] = {}
    for key, uid in rows:
        told.setdefault(key, set()).add(uid)
    return told


def test_deadline_reminds_the_owner_then_escalates(session, org, users, extra) -> None:
    i = in_actions(session, org, users)
    a = action(session, users, i, org.person_a)
    deadline = a.deadline
    owner, managers = users.employee_a.user_id, {extra["manager"].user_id}

    def remind(day_offset: int) -> int:
        moment = datetime.combine(deadline, datetime.min.time(), tzinfo=UTC)
        with time_machine.travel(moment + timedelta(days=day_offset, hours=4), tick=False):
            return remind_due(session, CORRECTIVE_ACTION_DEADLINE, site_today())

    assert remind(-8) == 0  # more than a week ahead: nothing yet
    assert remind(-7) == 1 and remind(-7) == 0  # a week ahead: the owner, once
    assert _told(session, a) == {"remind.due_soon": {owner}}
    assert remind(1) == 1  # past the deadline: the owner again
    late = remind(8)  # past the grace: the managers too
    assert late >= 2 and remind(8) == 0
    escalated = _told(session, a)["remind.escalated"]
    assert {owner} | managers <= escalated
    moment = datetime.combine(deadline + timedelta(days=8), datetime.min.time(), tzinfo=UTC)
    with time_machine.travel(moment, tick=False):
        lines = [x for x in todo_for(session, users.employee_a) if x.row_id == a.id]
    assert [x.key for x in lines] == ["todo.due"]


def test_a_closed_action_is_no_longer_due(session, org, users, extra) -> None:
    a = action(session, users, in_actions(session, org, users), org.person_a)
    completed(session, a, users.employee_a)
    act(session, extra["manager"], "corrective_action", a.id, "verify")
    assert remind_due(session, CORRECTIVE_ACTION_DEADLINE, a.deadline + timedelta(days=30)) == 0


def test_verifiers_find_completed_actions_on_their_list(session, org, users, extra) -> None:
    a = action(session, users, in_actions(session, org, users), org.person_a)
    completed(session, a, users.employee_a)
    keys = {(x.key, x.row_id) for x in todo_for(session, extra["manager"], site_today())}
    assert ("todo.corrective_action_verify", a.id) in keys
