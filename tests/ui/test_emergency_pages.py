"""Emergency and health pages as their users meet them: an employee reads the published plan
and their own health exam; the safety head takes plan and drill steps under the record; a
supply's detail says it expired and records an inspection."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import select

from core.clock import site_today
from core.crud import service
from core.crud.registry import get_spec
from core.db import session_scope
from core.i18n import t
from models.emergency import EmergencyPlan, EmergencyPlanState
from models.emergency_supply import EmergencySupply
from models.incident_action import CorrectiveAction
from tests import factories
from tests.modules.emergency_world import held, new_plan, new_supply, published
from tests.ui.test_flows import _button


def _made(build: Any, ui_world: Any, **values: Any) -> Any:
    """A record built by ``build`` in its own transaction, detached for the page tests."""
    org, users = ui_world
    with session_scope() as session:
        row = build(session, org, users, **values)
        session.expunge(row)
    return row


def _grid(at: Any) -> str:
    return at.dataframe[0].value.to_string()


def test_an_employee_reads_the_published_plan_and_not_the_draft(open_page, ui_world) -> None:
    _made(published, ui_world, name="已发布的触电处置方案")
    _made(new_plan, ui_world, name="编制中的火灾处置方案")
    at = open_page("pages/emergency_plan.py", as_user="employee_a")
    assert not at.exception
    assert "已发布的触电处置方案" in _grid(at) and "编制中的火灾处置方案" not in _grid(at)

    boss = open_page("pages/emergency_plan.py", as_user="safety_head")
    assert "编制中的火灾处置方案" in _grid(boss)


def test_the_safety_head_sends_a_draft_for_review_from_the_page(open_page, ui_world) -> None:
    plan = _made(new_plan, ui_world, name="起重伤害现场处置方案")
    at = open_page(None, as_user="safety_head")
    at.query_params["id"] = str(plan.id)
    at.switch_page("pages/emergency_plan.py").run()
    assert not at.exception
    assert t("workflow.action.send_for_review") in [tab.label for tab in at.tabs]
    _button(at, t("workflow.action.send_for_review")).click().run()
    assert not at.exception
    with session_scope() as session:
        assert session.get(EmergencyPlan, plan.id).state == EmergencyPlanState.UNDER_REVIEW


def test_a_drill_evaluated_on_the_page_opens_its_corrective_actions(open_page, ui_world) -> None:
    drill = _made(held, ui_world, name="页面评估演练")
    at = open_page(None, as_user="safety_head")
    at.query_params["id"] = str(drill.id)
    at.switch_page("pages/emergency_drill.py").run()
    assert not at.exception
    key = f"wf_drill_{drill.id}_evaluate_drill"
    at.text_area(key=f"{key}_evaluation").input("响应及时")
    at.text_area(key=f"{key}_findings").input("警戒区设置滞后\n广播系统音量不足")
    _button(at, t("workflow.action.evaluate_drill")).click().run()
    assert not at.exception
    with session_scope() as session:
        stmt = select(CorrectiveAction.content).where(CorrectiveAction.drill_id == drill.id)
        assert sorted(session.exec(stmt).all()) == ["广播系统音量不足", "警戒区设置滞后"]


def test_a_supply_says_it_expired_and_records_an_inspection(open_page, ui_world) -> None:
    today = site_today()
    supply = _made(
        new_supply,
        ui_world,
        expires_on=today - timedelta(days=1),
        last_inspected_on=today - timedelta(days=45),
    )
    at = open_page(None, as_user="safety_head", lang="en")
    at.query_params["id"] = str(supply.id)
    at.switch_page("pages/emergency_supply.py").run()
    assert not at.exception
    expired = t("emergency.supply.expired", "en", date=supply.expires_on.isoformat())
    assert any(expired in m.value for m in at.markdown)
    _button(at, t("emergency.supply.inspect", "en")).click().run()
    assert not at.exception
    with session_scope() as session:
        row = session.get(EmergencySupply, supply.id)
        assert (row.last_inspected_on, row.next_inspection_on) == (
            today,
            today + timedelta(days=30),
        )


def test_an_employee_sees_their_own_health_exam_only(open_page, ui_world) -> None:
    org, users = ui_world
    with session_scope() as session:
        factor = factories.make(
            session, "occupational_factor", code="UI-N", name="噪声(页面)", exam_interval_months=12
        )
        spec = get_spec("health_exam")
        for person, clinic in ((org.person_a, "本人体检中心"), (org.person_a2, "同事体检中心")):
            values = {
                "person_id": person,
                "factor_id": factor.id,
                "exam_date": site_today(),
                "institution": clinic,
            }
            service.create_row(session, spec, users.safety_head, values)
    at = open_page("pages/health_health_exam.py", as_user="employee_a")
    assert not at.exception
    assert "本人体检中心" in _grid(at) and "同事体检中心" not in _grid(at)
