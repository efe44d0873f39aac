"""The hazard workflow: every legal and illegal step per role, the evidence each step needs,
the side effects (notifications, escalation, to-do lists) and the archive after closing.

Cast (tests/factories.py plus two accounts made here): employee_a is 张伟 of 机修车间 (A) and
the usual owner; inspector_a reports in A; dept_head_a approves in A but is no safety manager;
safety_head runs enterprise 1; display and park_supervisor only read.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image
from sqlmodel import Session, col, select

from core.clock import site_today
from core.crud import service
from core.crud.registry import get_spec
from core.crud.service import NotFound, ValidationFailed
from core.hazard.flow import HAZARD_FLOW, act, report_hazard
from core.hazard.reminders import escalate_overdue, hazards_waiting
from core.rbac import Actor, PermissionDenied, actor_for
from core.workflow import IllegalTransition, events
from models.enums import Role
from models.hazard import Hazard, HazardState
from models.notification import Notification
from tests import factories
from tests.factories import Org, Users

HAZARD = get_spec("hazard")


def photo() -> tuple[str, bytes]:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(buf, "PNG")
    return ("after.png", buf.getvalue())


@pytest.fixture(scope="module")
def extra(engine, module_settings, world) -> dict[str, Actor]:
    """A department head of A and a safety manager of enterprise 1."""
    org, _ = world
    with Session(engine) as session:
        made = {
            "dept_head_a": factories.user(
                session,
                module_settings,
                "dept_head_a",
                Role.DEPT_HEAD,
                park_id=org.park,
                enterprise_id=org.ent1,
                department_id=org.dept_a,
            ),
            "manager": factories.user(
                session,
                module_settings,
                "manager",
                Role.SAFETY_MANAGER,
                park_id=org.park,
                enterprise_id=org.ent1,
            ),
        }
        session.commit()
        return {name: actor_for(session, u) for name, u in made.items()}


def report(session: Session, org: Org, actor: Actor, **values) -> Hazard:
    base = {
        "title": "配电箱门未关闭",
        "enterprise_id": org.ent1,
        "department_id": org.dept_a,
        "location": "机修车间东侧",
    }
    return report_hazard(session, actor, {**base, **values})


def confirmed(session: Session, org: Org, users: Users) -> Hazard:
    h = report(session, org, users.inspector_a)
    act(session, users.safety_head, h.id, "confirm", payload={"owner_id": org.person_a})
    return h


def rectified(session: Session, org: Org, users: Users) -> Hazard:
    h = confirmed(session, org, users)
    act(
        session,
        users.employee_a,
        h.id,
        "rectify",
        payload={"measures": "关闭箱门并上锁", "cost": 20},
        files=[photo()],
    )
    return h


def states(session: Session, h: Hazard) -> list[tuple[str | None, str, str]]:
    return [(e.from_state, e.to_state, e.action) for e in events(session, "hazard", h.id)]


# --- the happy path -------------------------------------------------------------------------


def test_report_confirm_rectify_verify_closes_with_one_event_per_step(
    session: Session, org: Org, users: Users
) -> None:
    h = rectified(session, org, users)
    act(session, users.safety_head, h.id, "verify_pass", comment="复查合格")
    session.refresh(h)
    assert h.state == HazardState.CLOSED and h.closed_at is not None
    assert h.rectifier_id == users.employee_a.user_id
    assert h.verifier_id == users.safety_head.user_id
    assert states(session, h) == [
        (None, "reported", "report"),
        ("reported", "confirmed", "confirm"),
        ("confirmed", "verifying", "rectify"),
        ("verifying", "closed", "verify_pass"),
    ]
    rectify_event = events(session, "hazard", h.id)[2]
    assert len(rectify_event.attachment_ids) == 1


def test_confirm_sets_the_sla_deadline_and_owner_department(
    session: Session, org: Org, users: Users
) -> None:
    h = confirmed(session, org, users)
    session.refresh(h)
    assert h.state == HazardState.CONFIRMED
    assert h.deadline == site_today() + timedelta(days=7)
    assert h.owner_department_id == org.dept_a


def test_failed_verification_returns_to_rectification_with_the_reason(
    session: Session, org: Org, users: Users
) -> None:
    h = rectified(session, org, users)
    act(session, users.safety_head, h.id, "verify_fail", comment="箱门锁损坏未更换")
    session.refresh(h)
    assert h.state == HazardState.RECTIFYING
    assert events(session, "hazard", h.id)[-1].comment == "箱门锁损坏未更换"
    # the owner rectifies again, then it can close
    act(
        session,
        users.employee_a,
        h.id,
        "rectify",
        payload={"measures": "更换门锁"},
        files=[photo()],
    )
    act(session, users.safety_head, h.id, "verify_pass")
    session.refresh(h)
    assert h.state == HazardState.CLOSED


def test_extension_moves_the_deadline_only_when_approved(
    session: Session, org: Org, users: Users, extra: dict[str, Actor]
) -> None:
    h = confirmed(session, org, users)
    session.refresh(h)
    old = h.deadline
    later = old + timedelta(days=10)
    act(
        session,
        users.employee_a,
        h.id,
        "request_extension",
        payload={"extension_deadline": later},
        comment="备件未到货",
    )
    session.refresh(h)
    assert h.state == HazardState.EXTENSION_REQUESTED and h.deadline == old
    act(session, extra["dept_head_a"], h.id, "approve_extension")
    session.refresh(h)
    assert h.state == HazardState.RECTIFYING
    assert h.deadline == later and h.extension_deadline is None


def test_extension_must_be_later_than_the_deadline(session: Session, org: Org, users: Users):
    h = confirmed(session, org, users)
    session.refresh(h)
    with pytest.raises(ValidationFailed) as err:
        act(
            session,
            users.employee_a,
            h.id,
            "request_extension",
            payload={"extension_deadline": h.deadline},
            comment="x",
        )
    assert err.value.problems[0].key == "workflow.extension_not_later"


# --- illegal steps and missing evidence -----------------------------------------------------


@pytest.mark.parametrize("action", ["rectify", "verify_pass", "verify_fail", "approve_extension"])
def test_steps_out_of_order_are_refused(session: Session, org: Org, users: Users, action: str):
    h = report(session, org, users.inspector_a)
    with pytest.raises(IllegalTransition) as err:
        act(session, users.safety_head, h.id, action, payload={"measures": "x"}, comment="x")
    assert "已上报" in err.value.message("zh-CN")
    session.refresh(h)
    assert h.state == HazardState.REPORTED and len(events(session, "hazard", h.id)) == 1


def test_closed_hazards_accept_no_step_and_no_edit(session: Session, org: Org, users: Users):
    h = rectified(session, org, users)
    act(session, users.safety_head, h.id, "verify_pass")
    for action in ("void", "verify_fail", "rectify"):
        with pytest.raises(IllegalTransition):
            act(session, users.safety_head, h.id, action, comment="x")
    with pytest.raises(PermissionDenied) as err:
        service.update_row(session, HAZARD, users.safety_head, h.id, {"title": "改标题"})
    assert err.value.key == "error.record_locked"
    with pytest.raises(PermissionDenied):
        service.soft_delete(session, HAZARD, users.safety_head, h.id)


def test_editing_cannot_change_the_state(session: Session, org: Org, users: Users) -> None:
    h = report(session, org, users.inspector_a)
    with pytest.raises(ValidationFailed) as err:
        service.update_row(session, HAZARD, users.safety_head, h.id, {"state": "closed"})
    assert err.value.problems[0].key == "validation.state_by_workflow"


@pytest.mark.parametrize(
    ("action", "kwargs", "field"),
    [
        ("confirm", {}, "owner_id"),
        ("reject", {}, "comment"),
    ],
)
def test_missing_input_is_named(session, org, users, action, kwargs, field) -> None:
    h = report(session, org, users.inspector_a)
    with pytest.raises(ValidationFailed) as err:
        act(session, users.safety_head, h.id, action, **kwargs)
    assert [p.field for p in err.value.problems] == [field]


def test_rectification_needs_measures_and_a_photo(session: Session, org: Org, users: Users):
    h = confirmed(session, org, users)
    with pytest.raises(ValidationFailed) as err:
        act(session, users.employee_a, h.id, "rectify")
    assert {p.field for p in err.value.problems} == {"measures", "files"}


# --- who may do what ------------------------------------------------------------------------


def test_only_approvers_confirm(session, org, users, extra) -> None:
    h = report(session, org, users.employee_a)
    for name in ("employee_a", "inspector_a"):
        with pytest.raises(PermissionDenied):
            act(session, getattr(users, name), h.id, "confirm", payload={"owner_id": org.person_a})
    act(session, extra["dept_head_a"], h.id, "confirm", payload={"owner_id": org.person_a})


def test_other_departments_cannot_even_see_the_hazard(session, org, users) -> None:
    h = report(session, org, users.inspector_a)
    with pytest.raises(NotFound):
        act(session, users.inspector_b, h.id, "rectify", payload={"measures": "x"})


def test_owner_rectifies_without_the_edit_grant_but_others_of_own_scope_cannot(
    session, org, users, settings
) -> None:
    h = confirmed(session, org, users)
    stranger = factories.user(
        session,
        settings,
        "employee_a2",
        Role.EMPLOYEE,
        enterprise_id=org.ent1,
        department_id=org.dept_a,
        person_id=org.person_a2,
    )
    with pytest.raises(NotFound):  # own scope: not theirs, not assigned to them
        act(session, actor_for(session, stranger), h.id, "rectify", payload={"measures": "x"})
    employee = users.employee_a
    assert [t.action for t in HAZARD_FLOW.allowed(session.get(Hazard, h.id), employee)] == [
        "rectify",
        "request_extension",
    ]


def test_only_safety_managers_void(session, org, users, extra) -> None:
    h = report(session, org, users.inspector_a)
    with pytest.raises(PermissionDenied):
        act(session, extra["dept_head_a"], h.id, "void", comment="重复上报")
    act(session, extra["manager"], h.id, "void", comment="重复上报")
    session.refresh(h)
    assert h.state == HazardState.VOIDED


def test_nobody_verifies_their_own_rectification(session, org, users) -> None:
    h = confirmed(session, org, users)
    act(session, users.safety_head, h.id, "rectify", payload={"measures": "x"}, files=[photo()])
    with pytest.raises(PermissionDenied) as err:
        act(session, users.safety_head, h.id, "verify_pass")
    assert err.value.key == "workflow.verify_own"


@pytest.mark.parametrize("name", ["display", "park_supervisor"])
def test_readers_cannot_report_or_act(session, org, users, name) -> None:
    with pytest.raises(PermissionDenied):
        report(session, org, getattr(users, name))
    h = report(session, org, users.inspector_a)
    reader = getattr(users, name)
    assert HAZARD_FLOW.allowed(session.get(Hazard, h.id), reader) == []


# --- side effects ---------------------------------------------------------------------------


def _notices(session: Session, key: str, hazard: Hazard) -> set[int]:
    stmt = select(Notification.user_id).where(
        Notification.key == key, Notification.row_id == hazard.id
    )
    return set(session.exec(stmt).all())


def test_major_hazard_notifies_the_safety_head_at_once(session, org, users) -> None:
    h = report(session, org, users.inspector_a, level="major")
    assert _notices(session, "notify.major_hazard", h) == {users.safety_head.user_id}


def test_confirm_tells_the_owner(session, org, users) -> None:
    h = confirmed(session, org, users)
    assert _notices(session, "notify.hazard_assigned", h) == {users.employee_a.user_id}


def test_overdue_escalates_to_department_head_and_managers_once(session, org, users, extra) -> None:
    h = confirmed(session, org, users)
    session.refresh(h)
    later = h.deadline + timedelta(days=1)
    first = escalate_overdue(session, later)
    again = escalate_overdue(session, later)
    got = _notices(session, "notify.hazard_overdue", h)
    expected = {
        extra["dept_head_a"].user_id,
        extra["manager"].user_id,
        users.safety_head.user_id,
    }
    assert expected <= got
    assert first >= len(expected) and again == 0


def test_todo_lists_follow_the_workflow(session, org, users) -> None:
    h = confirmed(session, org, users)
    today = site_today()
    rectify = [
        i for i in hazards_waiting(session, users.employee_a, today) if i.key.endswith("rectify")
    ]
    assert h.number in {i.params["number"] for i in rectify}
    act(session, users.employee_a, h.id, "rectify", payload={"measures": "x"}, files=[photo()])
    verify = hazards_waiting(session, users.safety_head, today)
    assert h.number in {i.params["number"] for i in verify if i.key == "todo.hazard_verify"}
    mine = hazards_waiting(session, users.employee_a, today)
    assert h.number not in {i.params["number"] for i in mine}


def test_every_entry_path_opens_the_history(session, org, users) -> None:
    """A hazard typed into the generic form or imported gets the same first event."""
    row = service.create_row(
        session,
        HAZARD,
        users.inspector_a,
        {"title": "叉车超速", "enterprise_id": org.ent1, "department_id": org.dept_a},
    )
    assert states(session, row) == [(None, "reported", "report")]
    stmt = select(Hazard.id).where(col(Hazard.id) == row.id)
    assert session.exec(stmt).one() == row.id
