"""Emergency drills, supplies and due dates: a drill goes from scheme to evaluation and its
findings become corrective actions; supplies are inspected and expire on their date; plans
in force, supplies and their inspections remind the managers (frozen time).

Cast (tests/factories.py plus two accounts made here): safety_head edits and approves in
enterprise 1; manager is its safety manager and dept_head_a heads 机修车间 (A), where the
drills and supplies live: both hear of what falls due there.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from sqlmodel import Session, select

from core.clock import site_today
from core.crud import service
from core.crud.registry import get_spec
from core.crud.service import ListQuery, ValidationFailed
from core.emergency.flow import DRILL_FLOW
from core.emergency.reminders import PLAN_DRILL, SUPPLY_EXPIRY, SUPPLY_INSPECTION
from core.emergency.rules import is_expired
from core.emergency.supplies import record_inspection
from core.inbox import remind_due
from core.rbac import Actor, PermissionDenied
from core.workflow import IllegalTransition, events, fire
from models.emergency_drill import DrillState as D
from models.incident_action import CorrectiveAction, CorrectiveActionSource
from tests.factories import Org, Users
from tests.modules.emergency_world import (
    held,
    history,
    new_drill,
    new_plan,
    new_supply,
    published,
    step,
)
from tests.modules.people_world import managers, notices

DRILL, SUPPLY = get_spec("drill"), get_spec("emergency_supply")


@pytest.fixture(scope="module")
def extra(engine, module_settings, world) -> dict[str, Actor]:
    return managers(engine, module_settings, world[0], "emd")


# --- drills ----------------------------------------------------------------------------------


def test_a_drill_is_evaluated_and_its_findings_become_corrective_actions(
    session: Session, org: Org, users: Users
) -> None:
    plan = published(session, org, users)
    drill = held(session, org, users, plan_id=plan.id)
    deadline = site_today() + timedelta(days=30)
    step(
        session,
        DRILL_FLOW,
        drill,
        "evaluate_drill",
        users.safety_head,
        payload={
            "evaluation": "响应及时，达到预期目的",
            "findings": "对讲机信号差，通讯不畅\n\n 疏散路线标识缺失 \n",
            "action_owner_id": org.person_b,
            "action_deadline": deadline,
        },
    )

    assert drill.state == D.EVALUATED and drill.evaluated_on == site_today()
    assert (drill.trainees, drill.participants, drill.held_on) == (20, 18, site_today())
    assert history(session, "drill", drill) == [
        (None, "planned", "plan_drill"),
        ("planned", "scheme_ready", "approve_scheme"),
        ("scheme_ready", "trained", "train_drill"),
        ("trained", "held", "hold_drill"),
        ("held", "evaluated", "evaluate_drill"),
    ]
    actions = session.exec(
        select(CorrectiveAction).where(CorrectiveAction.drill_id == drill.id)
    ).all()
    assert sorted(a.content for a in actions) == ["对讲机信号差，通讯不畅", "疏散路线标识缺失"]
    for a in actions:
        assert a.source == CorrectiveActionSource.DRILL
        assert (a.owner_id, a.deadline, a.enterprise_id) == (org.person_b, deadline, org.ent1)
    session.refresh(plan)
    assert plan.next_drill_due == site_today() + timedelta(days=182)
    with pytest.raises(PermissionDenied, match=r"error\.record_locked"):
        service.update_row(session, DRILL, users.safety_head, drill.id, {"name": "改名"})


def test_a_refused_evaluation_leaves_no_action_and_no_event(
    session: Session, org: Org, users: Users
) -> None:
    drill = held(session, org, users)
    before = len(events(session, "drill", drill.id))
    with pytest.raises(ValidationFailed) as refused:
        fire(
            session,
            DRILL_FLOW,
            drill.id,
            "evaluate_drill",
            users.safety_head,
            payload={
                "evaluation": "达到目的",
                "findings": "通讯不畅",
                "evaluated_on": site_today() - timedelta(days=3),
            },
        )
    assert refused.value.problems[0].message("en") == (
        "The evaluation cannot be dated before the drill was held"
    )
    session.refresh(drill)
    assert drill.state == D.HELD and len(events(session, "drill", drill.id)) == before
    assert not session.exec(
        select(CorrectiveAction).where(CorrectiveAction.drill_id == drill.id)
    ).all()


def test_illegal_drill_steps_are_refused(session: Session, org: Org, users: Users) -> None:
    drill = new_drill(session, org, users)
    with pytest.raises(IllegalTransition) as illegal:
        fire(session, DRILL_FLOW, drill.id, "hold_drill", users.safety_head, payload={})
    assert "Hold drill" in illegal.value.message("en")
    with pytest.raises(PermissionDenied):
        fire(session, DRILL_FLOW, drill.id, "approve_scheme", users.inspector_a)
    with pytest.raises(ValidationFailed):
        fire(session, DRILL_FLOW, drill.id, "cancel", users.safety_head)
    step(session, DRILL_FLOW, drill, "cancel", users.safety_head, comment="台风停工")
    assert drill.state == D.CANCELLED

    done = held(session, org, users)
    with pytest.raises(IllegalTransition):
        fire(session, DRILL_FLOW, done.id, "cancel", users.safety_head, comment="晚了")


# --- supplies --------------------------------------------------------------------------------


def test_recording_an_inspection_moves_the_next_one(
    session: Session, org: Org, users: Users
) -> None:
    today = site_today()
    supply = new_supply(session, org, users, last_inspected_on=today - timedelta(days=60))
    assert supply.next_inspection_on == today - timedelta(days=30), "overdue"

    record_inspection(session, users.safety_head, supply.id, today - timedelta(days=1))
    session.refresh(supply)
    assert supply.last_inspected_on == today - timedelta(days=1)
    assert supply.next_inspection_on == today + timedelta(days=29)

    with pytest.raises(ValidationFailed) as refused:
        record_inspection(session, users.safety_head, supply.id, today + timedelta(days=1))
    assert refused.value.problems[0].message("en") == "The date cannot be after today"
    with pytest.raises(PermissionDenied):
        record_inspection(session, users.inspector_a, supply.id, today)


def test_a_supply_shows_expired_once_its_date_passes_without_any_save(
    session: Session, org: Org, users: Users
) -> None:
    day = date(2031, 3, 10)
    with time_machine.travel(day, tick=False):
        supply = new_supply(session, org, users, expires_on=day + timedelta(days=1))
    expired = SUPPLY.presets["expired"].where

    def listed(today: date) -> bool:
        q = ListQuery(where=(expired(today),), page_size=500)
        rows = service.list_rows(session, SUPPLY, users.safety_head, q).rows
        return supply.id in {r.id for r in rows}

    with time_machine.travel(day + timedelta(days=1), tick=False):
        assert not listed(site_today()) and not is_expired(supply.expires_on, site_today())
    with time_machine.travel(day + timedelta(days=2), tick=False):
        assert listed(site_today()) and is_expired(supply.expires_on, site_today())
    assert supply.status == "normal", "the stored status is the stock's, unchanged"


# --- reminders (frozen time) ----------------------------------------------------------------


def test_supply_inspection_reminds_the_managers_and_stops_once_inspected(
    session: Session, org: Org, users: Users, extra: dict[str, Actor]
) -> None:
    managers = sorted([extra["manager"].user_id, extra["dept_head_a"].user_id])
    start = date(2031, 5, 1)
    with time_machine.travel(start, tick=False):
        supply = new_supply(session, org, users, last_inspected_on=start)
    due = supply.next_inspection_on
    assert due == start + timedelta(days=30)

    with time_machine.travel(due - timedelta(days=31), tick=False):
        assert remind_due(session, SUPPLY_INSPECTION, site_today()) == 0
    with time_machine.travel(due - timedelta(days=10), tick=False):
        remind_due(session, SUPPLY_INSPECTION, site_today())
        assert notices(session, "emergency_supply", supply.id) == [
            (uid, "remind.due_soon") for uid in managers
        ]
        assert remind_due(session, SUPPLY_INSPECTION, site_today()) == 0, "idempotent"
    with time_machine.travel(due, tick=False):
        record_inspection(session, users.safety_head, supply.id)
    with time_machine.travel(due + timedelta(days=10), tick=False):
        remind_due(session, SUPPLY_INSPECTION, site_today())
        sent = notices(session, "emergency_supply", supply.id)
        assert {key for _, key in sent} == {"remind.due_soon"}, "inspected: never overdue"
        assert len(sent) == 4, "the next inspection, a cycle on, is due soon in its turn"


def test_supply_expiry_reminds_the_managers_ahead(
    session: Session, org: Org, users: Users, extra: dict[str, Actor]
) -> None:
    supply = new_supply(session, org, users, expires_on=date(2031, 8, 1))
    assert remind_due(session, SUPPLY_EXPIRY, date(2031, 7, 1)) == 0
    assert remind_due(session, SUPPLY_EXPIRY, date(2031, 7, 2)) == 2
    assert {uid for uid, _ in notices(session, "emergency_supply", supply.id)} == {
        extra["manager"].user_id,
        extra["dept_head_a"].user_id,
    }


def test_plans_in_force_remind_their_statutory_drill_and_a_drill_moves_it(
    session: Session, org: Org, users: Users, extra: dict[str, Actor]
) -> None:
    start = date(2031, 1, 10)
    with time_machine.travel(start, tick=False):
        plan = published(session, org, users, kind="special")
        draft = new_plan(session, org, users, name="草稿预案", effective_on=start)
    assert plan.next_drill_due == start + timedelta(days=365), "special: yearly"
    assert draft.next_drill_due is not None

    with time_machine.travel(plan.next_drill_due - timedelta(days=20), tick=False):
        assert remind_due(session, PLAN_DRILL, site_today()) >= 2
        assert notices(session, "emergency_plan", draft.id) == [], "a draft owes no drill"
        assert {uid for uid, _ in notices(session, "emergency_plan", plan.id)} == {
            extra["manager"].user_id,
            extra["dept_head_a"].user_id,
        }
        drill = held(session, org, users, plan_id=plan.id)
    session.refresh(plan)
    assert plan.next_drill_due == drill.held_on + timedelta(days=365)
    with time_machine.travel(plan.next_drill_due - timedelta(days=40), tick=False):
        remind_due(session, PLAN_DRILL, site_today())
        assert len(notices(session, "emergency_plan", plan.id)) == 2, "drilled: not due now"
