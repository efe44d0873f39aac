"""Training as its people meet it: the employee reads their own exam results, training records
and certificates (entered by a manager) but not a colleague's; reads published course
materials but not drafts; plans move only through their workflow; certificates remind their
holder and the managers ahead of expiry and review.

Cast (tests/factories.py plus accounts made here): employee_a is 张伟 (person_a) of 机修车间;
李娜 (person_a2) is his colleague; manager is enterprise 1's safety manager, dept_head_a the
head of 机修车间; safety_head approves everything in enterprise 1.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlmodel import Session, select

from core.clock import site_today
from core.crud import excel, service
from core.crud.registry import get_spec
from core.crud.service import NotFound, ValidationFailed
from core.inbox import remind_due
from core.rbac import Actor, PermissionDenied, actor_for
from core.training.flow import COURSE_FLOW, PLAN_FLOW
from core.training.offline_scores import OfflineScore, record_scores
from core.training.reminders import CERTIFICATE_EXPIRY, CERTIFICATE_REVIEW
from core.training.rules import next_review
from core.workflow import IllegalTransition, events, fire
from models.enums import Role
from models.notification import Notification
from models.training import TrainingPlan, TrainingPlanState
from tests import factories
from tests.factories import Org, Users, make, serial
from tests.flow_props import assert_final_only_through


@pytest.fixture(scope="module")
def staff(engine, module_settings, world) -> dict[str, Actor]:
    """Enterprise 1's safety manager and the head of 机修车间 (A)."""
    org, _ = world
    with Session(engine) as session:
        common = {"park_id": org.park, "enterprise_id": org.ent1}
        made = {
            "manager": factories.user(
                session, module_settings, "manager", Role.SAFETY_MANAGER, **common
            ),
            "dept_head_a": factories.user(
                session,
                module_settings,
                "dept_head_a",
                Role.DEPT_HEAD,
                department_id=org.dept_a,
                **common,
            ),
        }
        session.commit()
        return {name: actor_for(session, u) for name, u in made.items()}


def course(session: Session, org: Org, actor: Actor, **values) -> object:
    return make(
        session,
        "training_course",
        actor,
        **{"name": f"动火作业安全{serial()}", "enterprise_id": org.ent1, **values},
    )


def plan(session: Session, org: Org, actor: Actor) -> TrainingPlan:
    c = course(session, org, actor)
    return make(
        session,
        "training_plan",
        actor,
        name="2026年11月动火作业培训",
        course_id=c.id,
        planned_on=date(2026, 11, 30),
        enterprise_id=org.ent1,
        department_id=org.dept_a,
    )


def person_row(session: Session, org: Org, table: str, person_id: int, actor: Actor) -> object:
    """One row of a person-linked training table about ``person_id``, entered by ``actor``."""
    n = serial()
    if table == "exam_record":  # written by the exam engine or the offline score import only
        paper = make(session, "exam_paper", actor, name=f"试卷{n}", enterprise_id=org.ent1)
        score = OfflineScore(person_id, paper.id, 86, date(2026, 11, 20))
        return record_scores(session, actor, [score])[0]
    if table == "training_record":
        values = {"course_id": course(session, org, actor).id, "trained_on": "2026-11-20"}
    else:
        values = {"number": f"SJ{n:08d}", "kind": "three_level", "issued_on": "2026-01-05"}
    return make(session, table, actor, person_id=person_id, **values)


def steps(session: Session, table: str, row_id: int) -> list[tuple[str | None, str, str]]:
    return [(e.from_state, e.to_state, e.action) for e in events(session, table, row_id)]


# --- about me -------------------------------------------------------------------------------


@pytest.mark.parametrize("table", ["exam_record", "training_record", "training_certificate"])
def test_employee_reads_their_own_rows_entered_by_a_manager_but_not_a_colleagues(
    session: Session, org: Org, users: Users, staff: dict[str, Actor], table: str
) -> None:
    spec = get_spec(table)
    mine = person_row(session, org, table, org.person_a, staff["manager"])
    theirs = person_row(session, org, table, org.person_a2, staff["manager"])
    employee = users.employee_a
    listed = service.list_rows(session, spec, employee, service.ListQuery(page_size=100))
    assert [r.id for r in listed.rows] == [mine.id]
    assert service.get_row(session, spec, employee, mine.id).person_id == org.person_a
    with pytest.raises(NotFound):
        service.get_row(session, spec, employee, theirs.id)
    with pytest.raises(PermissionDenied):  # reading one's record is not editing it
        service.update_row(session, spec, employee, mine.id, {"person_id": org.person_a})


# --- course materials: published for an audience -------------------------------------------


def test_employee_reads_a_published_course_and_not_a_draft_that_editors_see(
    session: Session, org: Org, users: Users, staff: dict[str, Actor]
) -> None:
    spec = get_spec("training_course")
    published = course(session, org, staff["manager"])
    draft = course(session, org, staff["manager"])
    fire(session, COURSE_FLOW, published.id, "publish", staff["manager"])
    seen = service.list_rows(session, spec, users.employee_a, service.ListQuery(page_size=50))
    assert [r.id for r in seen.rows] == [published.id]
    with pytest.raises(NotFound):
        service.get_row(session, spec, users.employee_a, draft.id)
    editor = service.list_rows(session, spec, staff["manager"], service.ListQuery(page_size=50))
    assert {published.id, draft.id} <= {r.id for r in editor.rows}
    assert steps(session, "training_course", published.id) == [
        (None, "draft", "draft_course"),
        ("draft", "published", "publish"),
    ]


# --- the plan workflow ----------------------------------------------------------------------


def test_plan_is_approved_started_and_completed_with_one_event_per_step(
    session: Session, org: Org, users: Users, staff: dict[str, Actor]
) -> None:
    p = plan(session, org, staff["dept_head_a"])
    fire(session, PLAN_FLOW, p.id, "approve", staff["manager"])
    fire(session, PLAN_FLOW, p.id, "start", staff["dept_head_a"])
    fire(session, PLAN_FLOW, p.id, "complete", users.safety_head)
    session.refresh(p)
    assert p.state == TrainingPlanState.COMPLETED
    assert steps(session, "training_plan", p.id) == [
        (None, "draft", "draft_training_plan"),
        ("draft", "approved", "approve"),
        ("approved", "in_progress", "start"),
        ("in_progress", "completed", "complete"),
    ]
    with pytest.raises(PermissionDenied) as err:  # finished plans are archived
        service.update_row(session, get_spec("training_plan"), users.safety_head, p.id, {})
    assert err.value.key == "error.record_locked"


def test_plan_steps_out_of_order_are_refused_in_the_users_language(
    session: Session, org: Org, users: Users
) -> None:
    p = plan(session, org, users.safety_head)
    for action in ("start", "complete"):
        with pytest.raises(IllegalTransition) as err:
            fire(session, PLAN_FLOW, p.id, action, users.safety_head)
        assert "草稿" in err.value.message("zh-CN")
        assert "Draft" in err.value.message("en")
    assert len(events(session, "training_plan", p.id)) == 1


def test_only_approvers_approve_or_complete_a_plan(
    session: Session, org: Org, staff: dict[str, Actor]
) -> None:
    p = plan(session, org, staff["dept_head_a"])
    with pytest.raises(PermissionDenied) as err:
        fire(session, PLAN_FLOW, p.id, "approve", staff["dept_head_a"])
    assert "批准" in err.value.message("zh-CN")
    assert [t.action for t in PLAN_FLOW.allowed(p, staff["dept_head_a"])] == []
    assert [t.action for t in PLAN_FLOW.allowed(p, staff["manager"])] == ["approve", "cancel"]


def test_cancelling_a_plan_needs_a_reason(session: Session, org: Org, users: Users) -> None:
    p = plan(session, org, users.safety_head)
    with pytest.raises(ValidationFailed) as err:
        fire(session, PLAN_FLOW, p.id, "cancel", users.safety_head)
    assert [pr.field for pr in err.value.problems] == ["comment"]
    fire(session, PLAN_FLOW, p.id, "cancel", users.safety_head, comment="讲师无法到场")
    session.refresh(p)
    assert p.state == TrainingPlanState.CANCELLED


def test_plan_state_cannot_be_set_by_a_form_or_an_import(
    session: Session, org: Org, users: Users
) -> None:
    spec = get_spec("training_plan")
    p = plan(session, org, users.safety_head)
    with pytest.raises(ValidationFailed) as err:
        service.update_row(session, spec, users.safety_head, p.id, {"state": "completed"})
    assert err.value.problems[0].key == "validation.state_by_workflow"
    raw = {"name": "x", "course_id": p.course_id, "planned_on": "2026-12-01", "state": "approved"}
    with pytest.raises(ValidationFailed):
        service.create_row(session, spec, users.safety_head, raw)
    fire(session, PLAN_FLOW, p.id, "approve", users.safety_head)
    query = service.ListQuery(filters={"id": [p.id]})
    data = excel.export(session, spec, users.safety_head, query, "xlsx", "zh-CN")
    report = excel.import_rows(session, spec, users.safety_head, data, "zh-CN")
    assert report.errors == []
    copies = session.exec(select(TrainingPlan).where(TrainingPlan.id != p.id)).all()
    assert [c.state for c in copies if c.name == p.name] == [TrainingPlanState.DRAFT]


def test_plan_final_state_only_through_completion() -> None:
    assert_final_only_through(PLAN_FLOW, {"completed"}, {"complete"})


def test_course_published_only_through_publishing() -> None:
    assert_final_only_through(COURSE_FLOW, {"published"}, {"publish"})


# --- certificates: review dates and reminders -----------------------------------------------


def test_next_review_every_three_years_moves_when_a_review_is_recorded() -> None:
    issued, expires = date(2024, 3, 1), date(2030, 3, 1)
    special = "special_operation"
    assert next_review(special, issued, None, expires) == date(2027, 3, 1)
    assert next_review(special, issued, date(2027, 1, 10), expires) is None  # next is expiry
    assert next_review(special, issued, date(2026, 6, 1), date(2033, 3, 1)) == date(2027, 3, 1)
    assert next_review(special, issued, date(2027, 2, 1), date(2033, 3, 1)) == date(2030, 3, 1)
    assert next_review("internal", issued, None, expires) is None


def _notified(session: Session, rule_table: str, row_id: int) -> dict[str, set[int]]:
    stmt = select(Notification).where(
        Notification.table_name == rule_table, Notification.row_id == row_id
    )
    out: dict[str, set[int]] = {}
    for n in session.exec(stmt).all():
        out.setdefault(n.key, set()).add(n.user_id)
    return out


def expiry_run(session: Session, day: date) -> int:
    """``safeloop remind`` for certificate expiry, run at 08:00 Shanghai time on ``day``."""
    with time_machine.travel(datetime(day.year, day.month, day.day, tzinfo=UTC), tick=False):
        return remind_due(session, CERTIFICATE_EXPIRY, site_today())


def test_certificate_expiry_reminds_holder_and_managers_then_escalates_once(
    session: Session, org: Org, users: Users, staff: dict[str, Actor]
) -> None:
    cert = make(
        session,
        "training_certificate",
        staff["manager"],
        person_id=org.person_a,
        number="SJ-EXP-1",
        kind="three_level",
        issued_on="2023-12-20",
    )
    due = cert.expires_on
    holder = users.employee_a.user_id
    managers = {staff["manager"].user_id, staff["dept_head_a"].user_id}
    assert expiry_run(session, due - timedelta(days=31)) == 0
    assert expiry_run(session, due - timedelta(days=20)) == 3
    assert expiry_run(session, due - timedelta(days=10)) == 0  # rerun
    assert _notified(session, "training_certificate", cert.id) == {
        "remind.due_soon": {holder} | managers
    }
    assert expiry_run(session, due + timedelta(days=3)) == 1
    assert expiry_run(session, due + timedelta(days=8)) == 3
    assert expiry_run(session, due + timedelta(days=9)) == 0
    notices = _notified(session, "training_certificate", cert.id)
    assert notices["remind.overdue"] == {holder}
    assert notices["remind.escalated"] == {holder} | managers


def test_a_renewed_certificate_no_longer_reminds(
    session: Session, org: Org, staff: dict[str, Actor]
) -> None:
    raw = {"person_id": org.person_a, "kind": "three_level"}
    old = make(session, "training_certificate", staff["manager"], number="SJ-R1",
               issued_on="2023-12-20", **raw)  # fmt: skip
    make(session, "training_certificate", staff["manager"], number="SJ-R2",
         issued_on="2026-11-01", **raw)  # fmt: skip
    assert remind_due(session, CERTIFICATE_EXPIRY, old.expires_on + timedelta(days=30)) == 0


def test_a_certificate_of_another_course_does_not_renew_this_one(
    session: Session, org: Org, staff: dict[str, Actor]
) -> None:
    forklift, fire = (make(session, "training_course", staff["manager"], name=name).id
                      for name in ("叉车安全", "消防安全"))  # fmt: skip
    raw = {"person_id": org.person_a, "kind": "internal"}
    old = make(session, "training_certificate", staff["manager"], number="NB-1",
               issued_on="2024-12-20", expires_on="2026-12-20", course_id=forklift,
               **raw)  # fmt: skip
    make(session, "training_certificate", staff["manager"], number="NB-2",
         issued_on="2026-11-01", expires_on="2029-11-01", course_id=fire, **raw)  # fmt: skip
    assert remind_due(session, CERTIFICATE_EXPIRY, old.expires_on - timedelta(days=10)) > 0


def test_review_reminder_stops_when_the_review_is_recorded(
    session: Session, org: Org, users: Users, staff: dict[str, Actor]
) -> None:
    spec = get_spec("training_certificate")
    cert = make(
        session,
        "training_certificate",
        staff["manager"],
        person_id=org.person_a,
        number="T-REV-1",
        kind="special_operation",
        issued_on="2023-12-01",
    )
    assert cert.review_due_on == date(2026, 12, 1)
    assert remind_due(session, CERTIFICATE_REVIEW, date(2026, 11, 20)) == 3
    notices = _notified(session, "training_certificate", cert.id)
    assert users.employee_a.user_id in notices["remind.due_soon"]
    service.update_row(session, spec, staff["manager"], cert.id, {"reviewed_on": "2026-11-18"})
    session.refresh(cert)
    assert cert.review_due_on is None  # the next three-year point is the expiry: renew then
    assert remind_due(session, CERTIFICATE_REVIEW, date(2026, 12, 20)) == 0
