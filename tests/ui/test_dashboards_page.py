"""The dashboards page with AppTest: both languages, creating a dashboard, building a chart
without SQL and saving it, pinning a SQL console query, and a colleague's read-only view of a
shared dashboard."""

from __future__ import annotations

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from analytics.datasets import ChartSpec
from core.db import session_scope, utcnow
from core.i18n import t
from core.rbac import actor_for
from core.reporting.dashboards import add_chart, create_dashboard
from models.accounts import User
from models.analytics import Dashboard
from models.hazard import Hazard
from tests.factories import Org, Users, serial
from tests.ui.test_pages import _text

PAGE = "pages/analytics_dashboards.py"
SQL_PAGE = "pages/analytics_sql.py"


def _clean(at: AppTest) -> str:
    assert not at.exception, at.exception
    labels = [m.label for m in at.metric] + [e.label for e in at.expander]
    labels += [w.label for kind in ("selectbox", "multiselect", "text_input") for w in at.get(kind)]
    labels += [str(o) for s in at.selectbox for o in s.options]
    text = _text(at) + "\n" + "\n".join(labels)
    assert "⟦" not in text, [line for line in text.splitlines() if "⟦" in line]
    return text


def _hazard(org: Org) -> None:
    with session_scope() as session:
        session.add(
            Hazard(
                enterprise_id=org.ent1,
                department_id=org.dept_a,
                number=f"DB-{serial():06d}",
                title="配电柜门未关",
                found_at=utcnow(),
            )
        )


def _board(users: Users, who: str, name: str, shared: bool = False) -> int:
    with session_scope() as session:
        actor = actor_for(session, session.get(User, getattr(users, who).user_id))
        board = create_dashboard(session, actor, name, shared)
        add_chart(session, actor, board.id or 0, f"{name}·隐患", ChartSpec("hazards", x="level"))
        return board.id or 0


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_page_renders_translated_in_both_modes(open_page, lang: str) -> None:
    at = open_page(PAGE, lang=lang)
    text = _clean(at)
    assert at.title[0].value == t("page.analytics_dashboards", lang)
    at.segmented_control(key="dashboards_mode").set_value("build").run()
    text = _clean(at)
    assert t("chart.dataset", lang) in text
    assert at.get("plotly_chart"), "the preview is drawn"


def test_create_a_dashboard_build_a_chart_and_see_it(open_page, ui_world) -> None:
    _hazard(ui_world[0])
    name = f"月度看板{serial()}"
    at = open_page(PAGE)
    at.text_input(key="dashboards_new_name").input(name)
    at.button(key="dashboards_new_button").click().run()
    _clean(at)
    assert at.success[0].value == t("dashboard.created", name=name)
    assert at.selectbox(key="dashboards_pick").value is not None
    assert t("dashboard.empty") in _text(at)

    at.segmented_control(key="dashboards_mode").set_value("build").run()
    at.selectbox(key="chart_builder_x_hazards").set_value("department").run()
    at.selectbox(key="chart_builder_kind").set_value("pie").run()
    _clean(at)
    assert at.get("plotly_chart")
    at.text_input(key="chart_builder_save_title").input("各部门隐患")
    at.button(key="chart_builder_save_button").click().run()
    _clean(at)
    assert at.success[0].value == t("sql_console.pin.ok", title="各部门隐患", name=name)

    at.segmented_control(key="dashboards_mode").set_value("view").run()
    text = _clean(at)
    assert "各部门隐患" in text
    assert at.get("plotly_chart")
    assert t("chart.window.12m") in text


def test_a_pinned_query_is_drawn_on_the_dashboard(open_page, ui_world) -> None:
    name = f"查询看板{serial()}"
    users = ui_world[1]
    with session_scope() as session:
        create_dashboard(session, users.admin, name)
    at = open_page(SQL_PAGE, lang="zh-CN")
    at.text_area(key="sql_console_sql").input(
        "SELECT name, count(*) AS n FROM person GROUP BY name ORDER BY name"
    )
    at.button(key="sql_console_run").click().run()
    at.selectbox(key="sql_console_chart_kind").set_value("bar").run()
    with session_scope() as session:
        board = session.exec(select(Dashboard).where(Dashboard.name == name)).one().id
    at.selectbox(key="sql_console_pin_board").set_value(board)
    at.text_input(key="sql_console_pin_title").input("人员名单")
    at.button(key="sql_console_pin_button").click().run()
    _clean(at)
    assert at.success[0].value == t("sql_console.pin.ok", title="人员名单", name=name)

    at = open_page(PAGE)
    at.selectbox(key="dashboards_pick").set_value(board).run()
    text = _clean(at)
    assert "人员名单" in text and t("dashboard.from_query", name="人员名单", rows=4) in text
    assert at.get("plotly_chart")


def test_a_colleague_sees_a_shared_dashboard_but_cannot_change_it(open_page, ui_world) -> None:
    users = ui_world[1]
    board = _board(users, "safety_head", f"共享看板{serial()}", shared=True)
    at = open_page(PAGE, as_user="park_supervisor", lang="en")
    at.selectbox(key="dashboards_pick").set_value(board).run()
    _clean(at)
    keys = {b.key for b in at.button}
    assert not any(k and k.endswith("_remove") for k in keys), "no chart controls"
    assert f"dashboards_edit_{board}_button" not in keys
    assert at.get("plotly_chart")


def test_the_owner_edits_a_chart_in_the_builder(open_page, ui_world) -> None:
    users = ui_world[1]
    board = _board(users, "admin", f"编辑看板{serial()}")
    at = open_page(PAGE)
    at.selectbox(key="dashboards_pick").set_value(board).run()
    edit = next(b for b in at.button if b.key and b.key.endswith("_edit"))
    edit.click().run()
    _clean(at)
    assert at.segmented_control(key="dashboards_mode").value == "build"
    assert at.selectbox(key="chart_builder_x_hazards").value == "level", "the chart's settings"
    at.selectbox(key="chart_builder_kind").set_value("pie").run()
    at.text_input(key="chart_builder_update_title").input("等级占比")
    at.button(key="chart_builder_update").click().run()
    text = _clean(at)
    assert t("chart.updated", title="等级占比") in text
    assert at.segmented_control(key="dashboards_mode").value == "view"
    assert "等级占比" in text


def test_the_owner_renames_shares_and_deletes_a_dashboard(open_page, ui_world) -> None:
    users = ui_world[1]
    board = _board(users, "admin", f"旧名{serial()}")
    at = open_page(PAGE, lang="en")
    at.selectbox(key="dashboards_pick").set_value(board).run()
    new = f"New name {serial()}"
    at.text_input(key=f"dashboards_edit_{board}_name").input(new)
    at.toggle(key=f"dashboards_edit_{board}_shared").set_value(True)
    at.button(key=f"dashboards_edit_{board}_button").click().run()
    text = _clean(at)
    assert at.success[0].value == t("dashboard.saved", "en", name=new)
    assert t("dashboard.mine_shared", "en", name=new) in text
    assert at.button(key="dashboards_delete").disabled, "deleting needs the tick first"
    at.checkbox(key=f"dashboards_edit_{board}_sure").check().run()
    at.button(key="dashboards_delete").click().run()
    _clean(at)
    assert at.success[0].value == t("dashboard.deleted", "en", name=new)
    with session_scope() as session:
        assert session.get(Dashboard, board).deleted_at is not None


def test_the_builder_saves_to_the_dashboard_picked_above(open_page, ui_world) -> None:
    users = ui_world[1]
    first = _board(users, "admin", f"甲看板{serial()}")
    second = _board(users, "admin", f"乙看板{serial()}")
    at = open_page(PAGE)
    for board in (first, second):
        at.selectbox(key="dashboards_pick").set_value(board).run()
        at.segmented_control(key="dashboards_mode").set_value("build").run()
        _clean(at)
        assert at.selectbox(key="chart_builder_save_board").value == board
        at.segmented_control(key="dashboards_mode").set_value("view").run()


def test_charts_refresh_themselves_unless_turned_off(open_page, ui_world) -> None:
    """The charts are a fragment re-run every minute (new records show without a reload);
    the caption says so, and says so when the viewer turns it off."""
    org, users = ui_world
    with session_scope() as session:
        board = create_dashboard(session, users.admin, f"刷新看板{serial()}").id
        add_chart(session, users.admin, board, "隐患数", ChartSpec("hazards", kind="number"))
    at = open_page(PAGE)
    at.selectbox(key="dashboards_pick").set_value(board).run()
    text = _clean(at)
    assert at.toggle(key="dashboards_auto").value is True
    assert "每 60 秒自动刷新" in text
    before = int(at.metric[0].value)
    _hazard(org)
    at.run()
    assert int(at.metric[0].value) == before + 1, "the new hazard is counted on the next run"
    at.toggle(key="dashboards_auto").set_value(False).run()
    text = _clean(at)
    assert "自动刷新已关闭" in text and "每 60 秒" not in text
