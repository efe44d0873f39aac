"""The cockpit page with AppTest: every tile drawn in both languages with no untranslated key, a
hazard committed after the first render counted on the next run, the park supervisor's
enterprise picker and the custom period, the tiles' links carrying their list's filters, the
enterprise ranking for the park supervisor only, and a refusal for a user without analytics."""

from __future__ import annotations

from datetime import timedelta

import pytest
from streamlit.testing.v1 import AppTest

from analytics.kpi import KPIS
from core.clock import site_today
from core.config import get_settings
from core.db import session_scope, utcnow
from core.i18n import t
from core.ui.analytics.cockpit import delta_colour
from models.enums import Role
from models.hazard import Hazard, HazardState
from tests.factories import Org, Users, serial, user
from tests.ui.conftest import REPO
from tests.ui.test_pages import _text

PAGE = "pages/analytics_cockpit.py"


def _clean(at: AppTest) -> str:
    assert not at.exception, at.exception
    text = _text(at) + "\n".join(m.label + str(m.value) for m in at.metric)
    assert "⟦" not in text, text
    return text


def _metric(at: AppTest, key: str, lang: str = "zh-CN") -> str:
    label = t(f"cockpit.kpi.{key}", lang)
    return next(m.value for m in at.metric if m.label == label)


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_every_tile_is_drawn_and_translated(
    open_page, ui_world: tuple[Org, Users], lang: str
) -> None:
    at = open_page(PAGE, lang=lang)
    text = _clean(at)

    assert t("page.analytics_cockpit", lang) in text
    assert {m.label for m in at.metric} == {t(k.label, lang) for k in KPIS}
    links = at.get("page_link")
    assert len(links) == len(KPIS), "the admin may open the page behind every tile"


def test_a_new_hazard_shows_on_the_next_run(open_page, ui_world: tuple[Org, Users]) -> None:
    org = ui_world[0]
    at = open_page(PAGE)
    before = int(_metric(at, "overdue"))

    with session_scope() as session:
        session.add(
            Hazard(
                enterprise_id=org.ent1,
                department_id=org.dept_a,
                number=f"CK-{serial():06d}",
                title="驾驶舱",
                found_at=utcnow() - timedelta(days=3),
                deadline=site_today() - timedelta(days=1),
                state=HazardState.RECTIFYING,
            )
        )
    at.run()

    _clean(at)
    assert int(_metric(at, "overdue")) == before + 1


def test_park_supervisor_picks_an_enterprise_and_a_custom_period(
    open_page, ui_world: tuple[Org, Users]
) -> None:
    org = ui_world[0]
    at = open_page(PAGE, as_user="park_supervisor")
    _clean(at)

    at.selectbox(key="cockpit_enterprise").set_value(org.ent2).run()
    _clean(at)
    assert _metric(at, "overdue") == "0"
    hazard = next(v for k, v in _links(at).items() if "hazard_hazard" in k)
    assert f"f.overdue=1&f.enterprise_id={org.ent2}" in hazard, "the list opens for it too"
    for preset in ("quarter", "year", "custom"):
        at.radio(key="cockpit_preset").set_value(preset).run()
        _clean(at)
    assert at.date_input(key="cockpit_range")


def test_a_user_without_analytics_is_refused(open_page, ui_world: tuple[Org, Users]) -> None:
    """Not in the inspector's navigation, and refused when the page is opened all the same."""
    home = open_page(as_user="inspector_a")
    assert not home.exception
    with pytest.raises(ValueError, match="navigation page"):
        home.switch_page(PAGE)

    at = AppTest.from_file(str(REPO / PAGE), default_timeout=30)
    at.session_state["user_id"] = ui_world[1].inspector_a.user_id
    at.session_state["last_seen"] = utcnow()
    at.session_state["lang"] = "zh-CN"
    at.run()

    assert not at.exception, at.exception
    assert at.error and t("module.analytics") in at.error[0].value, "refused with a message"
    assert not at.metric


def _links(at: AppTest) -> dict[str, list[str]]:
    """Page → the query strings of the tiles linking to it."""
    found: dict[str, list[str]] = {}
    for link in at.get("page_link"):
        found.setdefault(link.proto.page, []).append(link.proto.query_string)
    return found


def test_tiles_link_to_their_filtered_lists(open_page, ui_world: tuple[Org, Users]) -> None:
    at = open_page(PAGE)
    _clean(at)
    links = _links(at)
    month = f"{site_today().replace(day=1)}..{site_today()}"

    hazard = next(v for k, v in links.items() if "hazard_hazard" in k)
    assert "f.overdue=1" in hazard
    assert f"f.found_at={month}" in hazard, hazard
    permits = next(v for k, v in links.items() if "permit_permit" in k)
    assert permits == ["f.in_force=1", "f.overdue_close=1"]
    incidents = next(v for k, v in links.items() if "incident_incident" in k)
    assert any(q.startswith("f.kind=NEAR_MISS&f.occurred_at=") for q in incidents)
    assert any(q.startswith("f.kind=ACCIDENT%2CMINOR&") for q in incidents)
    certificates = next(v for k, v in links.items() if "org_certificate" in k)
    assert certificates[0].startswith(f"f.expires_on={site_today()}..")


def test_park_supervisor_sees_the_ranking_a_department_head_does_not(
    open_page, ui_world: tuple[Org, Users]
) -> None:
    org = ui_world[0]
    at = open_page(PAGE, as_user="park_supervisor")
    text = _clean(at)
    assert t("cockpit.ranking.title") in text and t("cockpit.ranking.formula") in text
    ranking = at.dataframe[0].value
    assert len(ranking) == 2 and t("cockpit.ranking.score") in ranking.columns

    with session_scope() as session:
        head = user(
            session,
            get_settings(),
            f"dept_head_{serial()}",
            Role.DEPT_HEAD,
            park_id=org.park,
            enterprise_id=org.ent1,
            department_id=org.dept_a,
        )
        head_id = head.id
    at = AppTest.from_file(str(REPO / "streamlit_app.py"), default_timeout=30)
    at.session_state["user_id"] = head_id
    at.session_state["last_seen"] = utcnow()
    at.session_state["lang"] = "zh-CN"
    at.run()
    at.switch_page(PAGE).run()
    text = _clean(at)
    assert t("page.analytics_cockpit") in text
    assert t("cockpit.ranking.title") not in text and not at.dataframe


def test_an_unchanged_tile_is_grey_and_a_change_is_coloured_by_its_direction() -> None:
    assert delta_colour({"value": 3, "previous": 3, "direction": "down"}) == "off"
    assert delta_colour({"value": 5, "previous": 3, "direction": "down"}) == "inverse"
    assert delta_colour({"value": 0.9, "previous": 0.8, "direction": "up"}) == "normal"
