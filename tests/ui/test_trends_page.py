"""The trends page with AppTest: three years of hazards peaking every July–August in one area,
drawn with a forecast in both languages, every tab and split, no untranslated key."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from streamlit.testing.v1 import AppTest

from core.clock import site_today
from core.db import session_scope
from core.ui.nav import visible_pages
from models.hazard import Hazard, HazardState
from models.incident import Incident, IncidentKind
from models.org import Area
from tests.factories import Org, Users, serial
from tests.ui.test_pages import _text

PAGE = "pages/analytics_trends.py"
AREA = "装配车间趋势"


@pytest.fixture(scope="module")
def history(ui_world: tuple[Org, Users]) -> Org:
    org = ui_world[0]
    today = site_today()
    with session_scope() as session:
        area = Area(enterprise_id=org.ent1, department_id=org.dept_a, name=AREA)
        session.add(area)
        session.flush()
        for back in range(1, 37):
            months = today.year * 12 + today.month - 1 - back
            first = date(months // 12, months % 12 + 1, 1)
            n = 2 + (6 if first.month in (7, 8) else 0) + back % 2
            for k in range(n):
                found = datetime(first.year, first.month, 1 + k, 2 + k % 8, tzinfo=UTC)
                session.add(
                    Hazard(
                        enterprise_id=org.ent1,
                        department_id=org.dept_a if k % 3 else org.dept_b,
                        area_id=area.id,
                        number=f"TR-{serial():06d}",
                        title="趋势",
                        found_at=found,
                        state=HazardState.CLOSED if k % 2 else HazardState.REPORTED,
                        closed_at=found if k % 2 else None,
                    )
                )
            if back % 6 == 0:
                kind = IncidentKind.NEAR_MISS if back % 12 else IncidentKind.MINOR
                session.add(
                    Incident(
                        enterprise_id=org.ent1,
                        number=f"TI-{serial():06d}",
                        title="事件",
                        kind=kind,
                        occurred_at=datetime(first.year, first.month, 3, tzinfo=UTC),
                    )
                )
    return org


def _clean(at: AppTest) -> str:
    assert not at.exception, at.exception
    text = _text(at)
    assert "⟦" not in text, text
    assert at.get("plotly_chart"), "no chart drawn"
    return text


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_page_draws_the_forecast_and_the_peak(open_page, history: Org, lang: str) -> None:
    at = open_page(PAGE, lang=lang)
    text = _clean(at)

    assert len(at.get("plotly_chart")) >= 4, "trend, two heat maps, pyramid, Pareto"
    peak = "7月至8月" if lang == "zh-CN" else "July–August"
    assert peak in text, text
    assert "MAE" in text and "MAPE" in text


def test_every_grain_and_split(open_page, history: Org) -> None:
    # zh-CN: AppTest formats the options with format_func outside the run (default language)
    at = open_page(PAGE)
    for grain in ("quarter", "week", "day"):
        at.radio(key="trends_grain").set_value(grain).run()
        _clean(at)
    at.radio(key="trends_grain").set_value("month").run()
    for split in ("department", "area", "category", "level"):
        at.selectbox(key="trends_split").set_value(split).run()
        _clean(at)
    at.selectbox(key="trends_measure").set_value("near_misses").run()
    _clean(at)


def test_the_page_is_listed_only_for_analytics_viewers(ui_world: tuple[Org, Users]) -> None:
    users = ui_world[1]
    assert PAGE in [p.path for p in visible_pages(users.admin)]
    assert PAGE not in [p.path for p in visible_pages(users.employee_a)]
