"""The GIS permit view, rendered with AppTest on a small known plant.

Enterprise 1 gets a 100 × 50 m frame and two areas; three permits of today's site date:
``IN_A`` (department A, recorded inside its area, in progress all day), ``OFF_A`` (department
A, declares the melting area but is recorded in the store, 08:00–12:00) and ``IN_B``
(department B, 13:00–15:00).
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from streamlit.testing.v1 import AppTest

from analytics.permit_map import day_start
from core.clock import site_today
from core.config import get_settings
from core.db import session_scope, utcnow
from models.enums import Role
from models.org import Area, Enterprise
from models.permit import Permit, PermitState
from models.permit_reference import PermitType
from tests.factories import Org, Users, user
from tests.ui.conftest import APP

MELT = [[10.0, 10.0], [50.0, 10.0], [50.0, 40.0], [10.0, 40.0]]
STORE = [[60.0, 10.0], [90.0, 10.0], [90.0, 40.0], [60.0, 40.0]]
IN_A, OFF_A, IN_B = "DHUI0001", "DHUI0002", "GCUI0001"
PAGE = "pages/permit_map.py"


@pytest.fixture(scope="module")
def plant(ui_world: tuple[Org, Users]) -> dict[str, int]:
    org = ui_world[0]
    midnight = day_start(site_today())
    with session_scope() as session:
        enterprise = session.get(Enterprise, org.ent1)
        enterprise.plan_width, enterprise.plan_height = 100.0, 50.0
        melt = Area(enterprise_id=org.ent1, department_id=org.dept_a, name="熔炼区", polygon=MELT)
        store = Area(enterprise_id=org.ent1, department_id=org.dept_b, name="仓库", polygon=STORE)
        hot = PermitType(code="UH", name="动火作业", name_en="Hot work")
        height = PermitType(code="UG", name="高处作业", name_en="Work at height")
        session.add_all([enterprise, melt, store, hot, height])
        session.flush()

        def permit(number, type_, dept, area, start, end, state, x, y) -> Permit:
            return Permit(
                enterprise_id=org.ent1,
                department_id=dept,
                area_id=area.id,
                number=number,
                permit_type_id=type_.id,
                location=f"{area.name}东侧",
                content="检修",
                planned_start=midnight + timedelta(hours=start),
                planned_end=midnight + timedelta(hours=end),
                state=state,
                x=x,
                y=y,
            )

        rows = [
            permit(IN_A, hot, org.dept_a, melt, 0.5, 23.5, PermitState.IN_PROGRESS, 20.0, 20.0),
            permit(OFF_A, hot, org.dept_a, melt, 8, 12, PermitState.APPROVED, 70.0, 20.0),
            permit(IN_B, height, org.dept_b, store, 13, 15, PermitState.APPROVING, 80.0, 30.0),
        ]
        session.add_all(rows)
        head = user(
            session,
            get_settings(),
            "dept_head_map",
            Role.DEPT_HEAD,
            park_id=org.park,
            enterprise_id=org.ent1,
            department_id=org.dept_a,
        )
        session.flush()
        return {"ent1": org.ent1, "off_a": rows[1].id, "dept_head": head.id}


def _open_as(user_id: int, lang: str = "zh-CN") -> AppTest:
    """Open the page as an account the shared fixtures do not have (the department head)."""
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state["user_id"] = user_id
    at.session_state["last_seen"] = utcnow()
    at.session_state["lang"] = lang
    at.run()
    at.switch_page(PAGE)
    at.run()
    return at


def _pick_enterprise(at: AppTest, enterprise_id: int) -> AppTest:
    at.selectbox(key="permit_map_enterprise").set_value(enterprise_id).run()
    assert not at.exception, at.exception
    return at


def _layer(at: AppTest, layer_id: str) -> list[dict]:
    decks = at.get("deck_gl_json_chart")
    assert decks, "no map on the page"
    deck = json.loads(decks[0].proto.json)
    return next(layer for layer in deck["layers"] if layer["id"] == layer_id)["data"]


def _numbers(at: AppTest) -> set[str]:
    return {r["number"] for r in _layer(at, "permits")}


def _links(at: AppTest) -> list[tuple[str, str, str]]:
    return [(x.proto.page, x.proto.label, x.proto.query_string) for x in at.get("page_link")]


def test_admin_sees_permits_areas_and_the_off_area_permit(open_page, plant) -> None:
    at = _pick_enterprise(open_page(PAGE), plant["ent1"])
    assert not at.exception, at.exception

    assert at.title[0].value == "作业票GIS视图"
    assert _numbers(at) == {IN_A, OFF_A, IN_B}
    assert {a["name"] for a in _layer(at, "areas")} == {"熔炼区", "仓库"}
    assert {r["label"] for r in _layer(at, "permit_types")} == {"动火", "高处"}
    rings = {r["number"]: r["ring"] for r in _layer(at, "permits")}
    assert rings[OFF_A] != rings[IN_A], "the off-area permit is ringed"
    assert "位置异常" in next(r for r in _layer(at, "permits") if r["number"] == OFF_A)["tip"]
    anomalies = at.dataframe[-1].value.to_string()
    assert OFF_A in anomalies and IN_A not in anomalies
    assert _links(at) == [("permit_permit", f"打开作业票 {OFF_A}", f"id={plant['off_a']}")]


def test_time_slider_narrows_to_the_hour(open_page, plant) -> None:
    at = _pick_enterprise(open_page(PAGE), plant["ent1"])
    at.select_slider(key="permit_map_hour").set_value(9).run()
    assert not at.exception, at.exception
    assert _numbers(at) == {IN_A, OFF_A}

    at.select_slider(key="permit_map_hour").set_value(14).run()
    assert _numbers(at) == {IN_A, IN_B}


def test_english_page_is_translated(open_page, plant) -> None:
    at = _pick_enterprise(open_page(PAGE, lang="en"), plant["ent1"])
    assert not at.exception, at.exception

    assert at.title[0].value == "Permit map (GIS)"
    texts = [*(c.value for c in at.caption), *(m.value for m in at.markdown)]
    texts += [m.label for m in at.metric] + [s.label for s in at.multiselect]
    assert texts and not any("⟦" in x for x in texts), texts
    assert any("Location anomalies" in s.value for s in at.subheader)
    assert "Hot work" in next(r for r in _layer(at, "permits") if r["number"] == OFF_A)["tip"]


def test_department_head_sees_only_their_department(plant) -> None:
    at = _open_as(plant["dept_head"])
    assert not at.exception, at.exception

    assert _numbers(at) == {IN_A, OFF_A}
    assert [a["name"] for a in _layer(at, "areas")] == ["熔炼区"]
    assert IN_B not in at.dataframe[-1].value.to_string()
