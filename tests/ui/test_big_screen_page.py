"""The large screen with AppTest: every panel drawn in both languages with no untranslated key,
the panel advancing on each run, a display-only account landing on it with no control to
press, ``?screen=1`` opening it for anyone else, and a new major hazard showing up in its
panel — only in the scope that owns it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from streamlit.testing.v1 import AppTest

from core.clock import site_today
from core.db import session_scope, utcnow
from core.i18n import t
from core.ui.analytics.big_screen import PANELS, map_enterprise
from models.hazard import Hazard, HazardLevel, HazardState
from tests.factories import Org, Users, serial
from tests.ui.conftest import APP
from tests.ui.test_pages import _text

PAGE = "pages/analytics_screen.py"
PANEL = re.compile(r"bs-panel-(\w+)")
WIDGETS = ("button", "text_input", "text_area", "selectbox", "multiselect", "checkbox", "toggle",
           "radio", "number_input", "date_input", "file_uploader", "download_button")  # fmt: skip


def _clean(at: AppTest) -> str:
    assert not at.exception, at.exception
    text = _text(at)
    assert "⟦" not in text, text
    return text


def _panel(at: AppTest) -> str:
    found = {m for e in at.markdown for m in PANEL.findall(str(e.value))}
    assert len(found) == 1, found
    return found.pop()


def _as(world: tuple[Org, Users], user: str, **params: str) -> AppTest:
    """The app's first page for ``user`` (no page switch), with ``params`` in the URL."""
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state["user_id"] = getattr(world[1], user).user_id
    at.session_state["last_seen"] = utcnow()
    at.query_params.update(params)
    at.run()
    return at


def _controls(at: AppTest) -> list:
    return [w for kind in WIDGETS for w in at.get(kind)]


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_every_panel_renders_translated(open_page, lang: str) -> None:
    at = open_page(PAGE, lang=lang)
    seen = []
    for _ in PANELS:
        text = _clean(at)
        assert at.title[0].value == t("page.analytics_screen", lang)
        for key in ("closure_rate", "overdue", "active_permits", "major_hazards"):
            assert t(f"big_screen.kpi.{key}", lang) in text
        seen.append(_panel(at))
        at.run()
    assert sorted(seen) == sorted(PANELS), "four runs show the four panels"


def test_panel_advances_on_each_run(open_page) -> None:
    at = open_page(PAGE)
    first = _panel(at)
    at.run()
    second = _panel(at)
    assert PANELS.index(second) == (PANELS.index(first) + 1) % len(PANELS)


def test_display_account_lands_on_the_screen_without_controls(
    ui_world: tuple[Org, Users],
) -> None:
    at = _as(ui_world, "display")
    _clean(at)
    assert at.title[0].value == t("page.analytics_screen", "zh-CN")
    for _ in PANELS:
        assert not _controls(at), _controls(at)
        assert not at.sidebar.children, "no sidebar chrome on the wall"
        at.run()
        assert not at.exception, at.exception


def test_screen_parameter_opens_it_for_admin(ui_world: tuple[Org, Users]) -> None:
    at = _as(ui_world, "admin", screen="1")
    _clean(at)
    assert at.title[0].value == t("page.analytics_screen", "zh-CN")
    assert not [b for b in at.button if b.key == "logout"], "the sidebar is hidden"


def test_pinned_panel_shows_a_new_major_hazard_in_scope_only(
    open_page, ui_world: tuple[Org, Users]
) -> None:
    org = ui_world[0]
    title = f"大屏重大隐患{serial()}"
    with session_scope() as session:
        session.add(
            Hazard(
                enterprise_id=org.ent2,
                department_id=org.dept_e2,
                number=f"BS-{serial():06d}",
                title=title,
                level=HazardLevel.MAJOR,
                state=HazardState.RECTIFYING,
                deadline=site_today() - timedelta(days=3),
            )
        )
    for user, shown in (("admin", True), ("display", False)):  # display: enterprise 1 only
        at = _as(ui_world, user, screen="1", panel="hazards")
        text = _clean(at)
        assert _panel(at) == "hazards"
        assert (title in text) is shown, user
        at.run()
        assert _panel(at) == "hazards", "a pinned panel does not rotate"


def test_display_account_only_ever_gets_the_screen(ui_world: tuple[Org, Users]) -> None:
    """A wall's account (often on a shared TV) shows figures and nothing else: ``?screen=0``
    no longer gives it a menu, and it has no way off the wall."""
    at = _as(ui_world, "display", screen="0")
    assert not at.exception, at.exception
    assert at.title[0].value == t("page.analytics_screen", "zh-CN")
    assert not at.sidebar.children and not [b for b in at.button if b.key == "logout"]
    assert not at.get("page_link"), "no way back from the wall for its own account"


def test_the_screen_opened_from_the_menu_has_a_way_back(ui_world: tuple[Org, Users]) -> None:
    at = _as(ui_world, "admin", screen="1")
    links = [link.proto.label for link in at.get("page_link")]
    assert links == [t("big_screen.exit", "zh-CN")], links


def test_a_park_wall_tours_its_enterprises_on_the_risk_map() -> None:
    rounds = len(PANELS)
    shown = [map_enterprise([7, 9, 12], tick) for tick in range(0, 4 * rounds, rounds)]
    assert shown == [7, 9, 12, 7], "the next enterprise each time the map comes round"
    assert map_enterprise([7, 9, 12], 5, picked="9") == 9, "?enterprise= pins one"
    assert map_enterprise([7, 9, 12], 0, picked="99") == 7, "one out of reach is ignored"
    assert map_enterprise([], 3) is None
