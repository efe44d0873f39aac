"""Duty tasks as their people meet them: the employee sees the task a manager issued to them
(not a colleague's), hands it in without any edit grant, and a reviewer who is neither the
submitter nor the task's person approves it with a score (on time or not) or returns it. The
submission rows are the record of these steps, so they can never disagree with the task.

Cast (tests/factories.py plus accounts made here): employee_a is 张伟 (person_a) of 机修车间,
李娜 (person_a2) his colleague; manager is enterprise 1's safety manager (a person too, so
reviews name them), dept_head_a heads 机修车间 and may approve duties.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from openpyxl import Workbook
from sqlmodel import Session, col, select

from core.clock import site_today
from core.crud import excel, service
from core.crud.registry import get_spec
from core.crud.service import NotFound, ValidationFailed
from core.duty.flow import DUTY_FLOW
from core.duty.reminders import TASK_DUE
from core.inbox import remind_due, todo_for
from core.rbac import Actor, PermissionDenied, actor_for
from core.workflow import IllegalTransition, events, fire
from models.duty import DutyDecision, DutySubmission, DutyTask, DutyTaskState
from models.enums import Role
from models.notification import Notification
from tests import factories
from tests.factories import Org, Users, make
from tests.flow_props import assert_final_only_through

TASKS = get_spec("duty_task")
EVIDENCE = ("检查记录.pdf", b"%PDF-1.4 evidence")


@pytest.fixture(scope="module")
def staff(engine, module_settings, world) -> dict[str, Actor]:
    """A safety manager who is also a person of enterprise 1, the head of 机修车间 (A), and an
    account for 李娜, 张伟's colleague."""
    org, _ = world
    with Session(engine) as session:
        common = {"park_id": org.park, "enterprise_id": org.ent1}
        officer = factories.person(session, org.ent1, None, name="安全经理")
        made = {
            "manager": factories.user(
                session,
                module_settings,
                "manager",
                Role.SAFETY_MANAGER,
                person_id=officer.id,
                **common,
            ),
            "dept_head_a": factories.user(
                session,
                module_settings,
                "dept_head_a",
                Role.DEPT_HEAD,
                department_id=org.dept_a,
                **common,
            ),
            "colleague": factories.user(
                session,
                module_settings,
                "employee_a2",
                Role.EMPLOYEE,
                department_id=org.dept_a,
                person_id=org.person_a2,
                **common,
            ),
        }
        session.commit()
        return {name: actor_for(session, u) for name, u in made.items()}


@pytest.fixture(autouse=True)
def november() -> Iterator[None]:
    """The tests live in the last days of the task's month (steps move the clock on)."""
    with time_machine.travel(datetime(2026, 11, 27, 2, tzinfo=UTC)):
        yield


def task(session: Session, org: Org, actor: Actor, person_id: int | None = None) -> DutyTask:
    """A monthly duty of November 2026 (due on the 30th), issued by ``actor``."""
    item = make(session, "duty_item", actor, name="月度安全检查", post_id=org.post_a,
                content="组织班组月度安全检查", cycle="monthly")  # fmt: skip
    return make(session, "duty_task", actor, item_id=item.id,
                person_id=person_id or org.person_a, period_start="2026-11-01")  # fmt: skip


def submit(session: Session, actor: Actor, t: DutyTask, on: date | None = None) -> None:
    """Hand ``t`` in now, or at 10:00 Shanghai time on ``on``."""
    moment = datetime(on.year, on.month, on.day, 2, 0, tzinfo=UTC) if on else datetime.now(UTC)
    with time_machine.travel(moment, tick=False):
        fire(
            session, DUTY_FLOW, t.id, "submit", actor, comment="已完成检查并整改", files=[EVIDENCE]
        )


def submissions(session: Session, t: DutyTask) -> list[DutySubmission]:
    stmt = select(DutySubmission).where(DutySubmission.task_id == t.id)
    return list(session.exec(stmt.order_by(col(DutySubmission.id))).all())


# --- about me / assigned to me --------------------------------------------------------------


def test_employee_sees_the_task_a_manager_issued_to_them_and_not_a_colleagues(
    session: Session, org: Org, users: Users, staff: dict[str, Actor]
) -> None:
    mine = task(session, org, staff["manager"])
    theirs = task(session, org, staff["manager"], org.person_a2)
    listed = service.list_rows(session, TASKS, users.employee_a, service.ListQuery(page_size=50))
    assert [r.id for r in listed.rows] == [mine.id]
    with pytest.raises(NotFound):
        service.get_row(session, TASKS, users.employee_a, theirs.id)
    with pytest.raises(NotFound):  # nor can the colleague hand in 张伟's task
        fire(session, DUTY_FLOW, mine.id, "submit", staff["colleague"], comment="代交")


# --- the happy paths ------------------------------------------------------------------------


def test_the_person_hands_in_and_a_reviewer_approves_on_time_with_one_event_per_step(
    session: Session, org: Org, users: Users, staff: dict[str, Actor]
) -> None:
    t = task(session, org, staff["manager"])
    employee = users.employee_a
    assert not employee.can("duty", "edit")
    assert [s.action for s in DUTY_FLOW.allowed(t, employee)] == ["submit"]
    submit(session, employee, t)
    session.refresh(t)
    assert (t.state, t.submitted_by, t.on_time) == (DutyTaskState.SUBMITTED, employee.user_id, None)
    [handed_in] = submissions(session, t)
    assert (handed_in.content, handed_in.decision) == ("已完成检查并整改", None)
    assert handed_in.created_by == employee.user_id
    fire(session, DUTY_FLOW, t.id, "approve", staff["manager"], payload={"score": 92})
    session.refresh(t)
    assert (t.state, t.score, t.on_time) == (DutyTaskState.APPROVED, 92, True)
    session.refresh(handed_in)
    assert (handed_in.decision, handed_in.score) == (DutyDecision.APPROVED, 92)
    assert handed_in.reviewer_id == staff["manager"].person_id
    history = [(e.from_state, e.to_state, e.action) for e in events(session, "duty_task", t.id)]
    assert history == [
        (None, "pending", "issue_duty"),
        ("pending", "submitted", "submit"),
        ("submitted", "approved", "approve"),
    ]
    assert len(events(session, "duty_task", t.id)[1].attachment_ids) == 1
    with pytest.raises(PermissionDenied) as err:  # approved tasks are archived
        service.update_row(session, TASKS, staff["manager"], t.id, {"due_on": "2026-12-31"})
    assert err.value.key == "error.record_locked"


def test_a_late_hand_in_is_approved_as_late(
    session: Session, org: Org, users: Users, staff: dict[str, Actor]
) -> None:
    t = task(session, org, staff["manager"])
    submit(session, users.employee_a, t, on=date(2026, 12, 3))
    fire(session, DUTY_FLOW, t.id, "approve", staff["dept_head_a"], payload={"score": 70})
    session.refresh(t)
    assert (t.state, t.on_time) == (DutyTaskState.APPROVED, False)


def test_a_returned_task_is_handed_in_again_and_each_hand_in_keeps_its_verdict(
    session: Session, org: Org, users: Users, staff: dict[str, Actor]
) -> None:
    t = task(session, org, staff["manager"])
    submit(session, users.employee_a, t)
    with pytest.raises(ValidationFailed) as err:
        fire(session, DUTY_FLOW, t.id, "return", staff["manager"])
    assert [p.field for p in err.value.problems] == ["comment"]
    fire(session, DUTY_FLOW, t.id, "return", staff["manager"], comment="缺少整改照片")
    session.refresh(t)
    assert t.state == DutyTaskState.RETURNED
    told = session.exec(
        select(Notification.user_id).where(
            Notification.key == "notify.duty_returned", Notification.row_id == t.id
        )
    ).all()
    assert told == [users.employee_a.user_id]
    submit(session, users.employee_a, t, on=date(2026, 11, 29))
    fire(session, DUTY_FLOW, t.id, "approve", staff["manager"], payload={"score": 88})
    first, second = submissions(session, t)
    assert (first.decision, first.comment) == (DutyDecision.RETURNED, "缺少整改照片")
    assert second.decision == DutyDecision.APPROVED
    session.refresh(t)
    assert t.state == DutyTaskState.APPROVED


def test_every_approved_submission_belongs_to_an_approved_task(
    session: Session, org: Org, users: Users, staff: dict[str, Actor]
) -> None:
    for n in range(3):
        t = task(session, org, staff["manager"])
        submit(session, users.employee_a, t)
        if n:
            fire(session, DUTY_FLOW, t.id, "approve", staff["manager"], payload={"score": 90})
    stmt = (
        select(DutyTask.state)
        .join(DutySubmission, DutySubmission.task_id == DutyTask.id)
        .where(DutySubmission.decision == DutyDecision.APPROVED)
    )
    assert set(session.exec(stmt).all()) == {DutyTaskState.APPROVED}


# --- refusals -------------------------------------------------------------------------------


def test_nobody_approves_their_own_hand_in(
    session: Session, org: Org, staff: dict[str, Actor]
) -> None:
    t = task(session, org, staff["manager"])
    manager = staff["manager"]
    submit(session, manager, t)  # on the employee's behalf, with the edit grant
    for action, extra in (("approve", {"payload": {"score": 95}}), ("return", {"comment": "x"})):
        with pytest.raises(PermissionDenied) as err:
            fire(session, DUTY_FLOW, t.id, action, manager, **extra)
        assert err.value.key == "workflow.duty_review_own"
        assert "本人" in err.value.message("zh-CN")
    fire(session, DUTY_FLOW, t.id, "approve", staff["dept_head_a"], payload={"score": 95})


def test_nobody_approves_a_task_of_their_own(
    session: Session, org: Org, users: Users, staff: dict[str, Actor]
) -> None:
    own = task(session, org, users.safety_head, staff["manager"].person_id)
    submit(session, users.safety_head, own)
    session.refresh(own)
    assert [t.action for t in DUTY_FLOW.allowed(own, staff["manager"])] == []
    assert [t.action for t in DUTY_FLOW.allowed(own, users.admin)] == ["approve", "return"]


@pytest.mark.parametrize("action", ["approve", "return"])
def test_a_pending_task_cannot_be_reviewed(
    session: Session, org: Org, staff: dict[str, Actor], action: str
) -> None:
    t = task(session, org, staff["manager"])
    with pytest.raises(IllegalTransition) as err:
        fire(session, DUTY_FLOW, t.id, action, staff["manager"], payload={"score": 90}, comment="x")
    assert "待履职" in err.value.message("zh-CN")
    assert "Pending" in err.value.message("en")
    assert len(events(session, "duty_task", t.id)) == 1


def test_approval_needs_a_valid_score(
    session: Session, org: Org, users: Users, staff: dict[str, Actor]
) -> None:
    t = task(session, org, staff["manager"])
    submit(session, users.employee_a, t)
    for payload in ({}, {"score": 120}):
        with pytest.raises(ValidationFailed) as err:
            fire(session, DUTY_FLOW, t.id, "approve", staff["manager"], payload=payload)
        assert [p.field for p in err.value.problems] == ["score"]
    session.refresh(t)
    assert t.state == DutyTaskState.SUBMITTED and submissions(session, t)[0].decision is None


def test_the_state_cannot_be_set_by_a_form_or_an_import(
    session: Session, org: Org, staff: dict[str, Actor]
) -> None:
    manager = staff["manager"]
    t = task(session, org, manager)
    with pytest.raises(ValidationFailed) as err:
        service.update_row(session, TASKS, manager, t.id, {"state": "approved"})
    assert err.value.problems[0].key == "validation.state_by_workflow"
    wb = Workbook()
    wb.active.append(["item_id", "person_id", "period_start", "state", "score"])
    wb.active.append([t.item_id, org.person_a, "2026-12-01", "approved", 100])
    buf = io.BytesIO()
    wb.save(buf)
    report = excel.import_rows(session, TASKS, manager, buf.getvalue(), "zh-CN")
    assert report.errors == []
    imported = session.exec(select(DutyTask).where(DutyTask.period_start == date(2026, 12, 1)))
    assert [(r.state, r.score) for r in imported] == [(DutyTaskState.PENDING, None)]


def test_submissions_are_written_by_the_workflow_only(
    session: Session, org: Org, users: Users, staff: dict[str, Actor]
) -> None:
    spec = get_spec("duty_submission")
    assert not spec.allow_create and not any(f.in_form for f in spec.fields)
    t = task(session, org, staff["manager"])
    submit(session, users.employee_a, t)
    [sub] = submissions(session, t)
    with pytest.raises(PermissionDenied) as err:
        service.update_row(session, spec, users.safety_head, sub.id, {"decision": "approved"})
    assert err.value.key == "error.record_locked"


def test_a_task_is_approved_only_through_approval() -> None:
    assert_final_only_through(DUTY_FLOW, {"approved"}, {"approve"})


# --- reminders and to-do --------------------------------------------------------------------


def _told(session: Session, t: DutyTask) -> dict[str, set[int]]:
    stmt = select(Notification).where(
        Notification.table_name == "duty_task", Notification.row_id == t.id
    )
    out: dict[str, set[int]] = {}
    for n in session.exec(stmt).all():
        out.setdefault(n.key, set()).add(n.user_id)
    return out


def test_a_task_coming_due_reminds_its_person_then_escalates_once(
    session: Session, org: Org, users: Users, staff: dict[str, Actor]
) -> None:
    t = task(session, org, staff["manager"])
    person = users.employee_a.user_id
    heads = {staff["manager"].user_id, staff["dept_head_a"].user_id}
    moments = (-5, -2, -1, 2, 8, 9)  # days from the due date, 30 November
    sent = []
    for days in moments:
        with time_machine.travel(datetime(2026, 11, 30, 4, tzinfo=UTC) + timedelta(days=days)):
            sent.append(remind_due(session, TASK_DUE, site_today()))
    assert sent == [0, 1, 0, 1, 3, 0]
    assert _told(session, t) == {
        "remind.due_soon": {person},
        "remind.overdue": {person},
        "remind.escalated": {person} | heads,
    }


def test_a_handed_in_task_reminds_nobody(
    session: Session, org: Org, users: Users, staff: dict[str, Actor]
) -> None:
    t = task(session, org, staff["manager"])
    submit(session, users.employee_a, t)
    with time_machine.travel(datetime(2026, 12, 20, 4, tzinfo=UTC)):
        assert remind_due(session, TASK_DUE, site_today()) == 0


def test_a_hand_in_waits_on_the_reviewers_list_not_the_submitters(
    session: Session, org: Org, staff: dict[str, Actor]
) -> None:
    t = task(session, org, staff["manager"])
    submit(session, staff["manager"], t)
    today = date(2026, 11, 28)
    waiting = [i for i in todo_for(session, staff["dept_head_a"], today) if i.row_id == t.id]
    assert [i.key for i in waiting] == ["todo.duty_review"]
    mine = todo_for(session, staff["manager"], today)
    assert not [i for i in mine if i.key == "todo.duty_review" and i.row_id == t.id]
