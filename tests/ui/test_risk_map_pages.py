"""The risk map and hazard analysis pages, rendered with AppTest on a small known plant."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from streamlit.testing.v1 import AppTest

from core.db import session_scope, utcnow
from models.enums import RiskLevel
from models.hazard import Hazard, HazardState
from models.org import Area, Enterprise
from models.risk_register import RiskPoint, RiskUnit
from tests.factories import Org, Users
from tests.ui.conftest import APP

MAJOR_FILL = [214, 39, 40, 120]  # RISK_COLOURS[major] at the areas' alpha
MELT = [[10.0, 10.0], [50.0, 10.0], [50.0, 40.0], [10.0, 40.0]]
STORE = [[60.0, 10.0], [90.0, 10.0], [90.0, 40.0], [60.0, 40.0]]
OVERDUE_NUMBER = "YH-UI-000001"


@pytest.fixture(scope="module")
def plant(ui_world: tuple[Org, Users]) -> Org:
    """Enterprise 1 gets a 100 × 50 m frame, a major area (department A) and a low one (B),
    and an overdue hazard in department A."""
    org = ui_world[0]
    with session_scope() as session:
        enterprise = session.get(Enterprise, org.ent1)
        enterprise.plan_width, enterprise.plan_height = 100.0, 50.0
        melt = Area(enterprise_id=org.ent1, department_id=org.dept_a, name="熔炼区", polygon=MELT)
        store = Area(enterprise_id=org.ent1, department_id=org.dept_b, name="仓库", polygon=STORE)
        session.add_all([enterprise, melt, store])
        session.flush()
        unit = RiskUnit(enterprise_id=org.ent1, department_id=org.dept_a, name="熔炼炉")
        session.add(unit)
        session.flush()
        session.add(
            RiskPoint(
                enterprise_id=org.ent1,
                department_id=org.dept_a,
                unit_id=unit.id,
                area_id=melt.id,
                name="钢水包",
                current_level=RiskLevel.MAJOR,
                residual_level=RiskLevel.MAJOR,
            )
        )
        session.add(
            Hazard(
                enterprise_id=org.ent1,
                department_id=org.dept_a,
                area_id=melt.id,
                number=OVERDUE_NUMBER,
                title="钢水包吊具磨损",
                found_at=utcnow() - timedelta(days=40),
                deadline=date.today() - timedelta(days=20),
                state=HazardState.RECTIFYING,
            )
        )
    return org


def _deck(at: AppTest) -> dict:
    decks = at.get("deck_gl_json_chart")
    assert decks, "no map on the page"
    return json.loads(decks[0].proto.json)


def _layer(deck: dict, layer_id: str) -> dict:
    return next(layer for layer in deck["layers"] if layer["id"] == layer_id)


def test_map_draws_area_polygons_in_level_colours(open_page, plant: Org) -> None:
    at = open_page("pages/risk_map.py", as_user="safety_head")
    assert not at.exception, at.exception

    deck = _deck(at)
    areas = {a["name"]: a for a in _layer(deck, "areas")["data"]}
    assert areas["熔炼区"]["polygon"] == MELT and areas["仓库"]["polygon"] == STORE
    assert areas["熔炼区"]["fill"] == MAJOR_FILL
    assert _layer(deck, "plan")["bounds"] == [0, 0, 100.0, 50.0]
    assert _layer(deck, "plan")["image"].startswith("data:image/png;base64,")
    assert deck["views"][0]["@@type"] == "OrthographicView"
    assert "mapStyle" not in deck or deck["mapStyle"].startswith("/app/static/")
    assert len(_layer(deck, "hazards")["data"]) == 1
    assert _layer(deck, "names")["characterSet"] == "auto"


def test_admin_picks_the_enterprise(open_page, plant: Org) -> None:
    at = open_page("pages/risk_map.py")
    at.selectbox(key="risk_map_enterprise").set_value(plant.ent1).run()
    assert not at.exception, at.exception

    assert {a["name"] for a in _layer(_deck(at), "areas")["data"]} == {"熔炼区", "仓库"}


def test_department_user_sees_only_their_department(open_page, plant: Org) -> None:
    at = open_page("pages/risk_map.py", as_user="inspector_b", lang="en")
    assert not at.exception, at.exception

    assert [a["name"] for a in _layer(_deck(at), "areas")["data"]] == ["仓库"]
    assert _layer(_deck(at), "hazards")["data"] == []


def test_wall_variant_from_the_url(ui_world, plant: Org) -> None:
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state["user_id"] = ui_world[1].safety_head.user_id
    at.session_state["last_seen"] = datetime.now(UTC)
    at.session_state["lang"] = "zh-CN"
    at.query_params["wall"] = "1"
    at.run()
    at.switch_page("pages/risk_map.py")
    at.run()
    assert not at.exception, at.exception

    assert at.toggle(key="risk_map_wall").value is True
    assert any('[data-testid="stSidebar"]' in m.value for m in at.markdown), "sidebar not hidden"
    assert _layer(_deck(at), "areas")["data"], "the wall shows the map"
    assert not at.dataframe, "the wall has no area table"


def test_analysis_page_lists_the_overdue_hazard(open_page, plant: Org) -> None:
    at = open_page("pages/hazard_analysis.py", as_user="safety_head")
    assert not at.exception, at.exception

    assert OVERDUE_NUMBER in at.dataframe[0].value.to_string()
    assert len(at.get("plotly_chart")) == 3
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["当前逾期"] == "1"


def test_analysis_page_in_english_for_an_inspector(open_page, plant: Org) -> None:
    at = open_page("pages/hazard_analysis.py", as_user="inspector_b", lang="en")
    assert not at.exception, at.exception

    assert at.title[0].value == "Hazard analysis"
    assert any("No hazard is overdue" in s.value for s in at.success)
