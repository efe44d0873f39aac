"""The SQL console page with AppTest: both languages, a query's grid, chart and exports, a
refused write, saving and loading a query, and no page for users without analytics."""

from __future__ import annotations

import re
import time

import pytest
from streamlit.testing.v1 import AppTest

from core.i18n import t
from core.ui.nav import visible_pages

PAGE = "pages/analytics_sql.py"
NAMES = "SELECT name, department_id FROM person ORDER BY name"


def _texts(at: AppTest) -> str:
    parts = [
        e.value
        for kind in ("title", "caption", "markdown", "error", "warning")
        for e in at.get(kind)
    ]
    parts += [e.label for e in at.expander] + [b.label for b in at.button]
    parts += [w.label for kind in ("text_area", "number_input", "selectbox") for w in at.get(kind)]
    return "\n".join(str(p) for p in parts)


def _run(at: AppTest, sql: str) -> AppTest:
    at.text_area(key="sql_console_sql").input(sql)
    at.button(key="sql_console_run").click()
    return at.run()


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_page_renders_translated(open_page, lang: str) -> None:
    start = time.perf_counter()
    at = open_page(PAGE, lang=lang)
    assert not at.exception, at.exception
    assert at.title[0].value == t("page.analytics_sql", lang)
    text = _texts(at)
    assert "⟦" not in text, [line for line in text.splitlines() if "⟦" in line]
    labels = [e.label for e in at.expander]
    assert any("· person" in label for label in labels)
    assert not any("audit_entry" in label for label in labels)
    assert time.perf_counter() - start < 30


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_a_query_shows_its_rows_chart_and_exports(open_page, lang: str) -> None:
    at = _run(open_page(PAGE, lang=lang), NAMES)
    assert not at.exception, at.exception
    grid = at.dataframe[0].value.to_string()
    assert "张伟" in grid and "赵敏" in grid
    assert len(at.get("download_button")) == 3
    at.selectbox(key="sql_console_chart_kind").select_index(1).run()  # bar
    assert not at.exception, at.exception
    assert at.get("plotly_chart")
    assert "⟦" not in _texts(at)


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_copy_and_query_times_are_shown_apart(open_page, lang: str) -> None:
    at = _run(open_page(PAGE, lang=lang), NAMES)
    template = re.escape(t("sql_console.summary", lang, rows=2, ms=3, copy_ms=5))
    shape = template.replace("2", r"(\d+)", 1).replace("3", r"(\d+)", 1).replace("5", r"(\d+)", 1)
    shown = [c.value for c in at.caption if re.fullmatch(shape, c.value)]
    assert len(shown) == 1, [c.value for c in at.caption]
    rows, _query_ms, _copy_ms = re.fullmatch(shape, shown[0]).groups()
    assert int(rows) == at.dataframe[0].value.shape[0]


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_a_query_past_its_limit_is_stopped_with_a_translated_message(open_page, lang: str) -> None:
    at = open_page(PAGE, lang=lang)
    at.number_input(key="sql_console_seconds").set_value(1)
    at = _run(at, "SELECT count(*) FROM range(1000000000000)")
    assert not at.exception, at.exception
    assert at.error[0].value == t("sql_console.refused.timeout", lang, seconds=1)
    assert not at.dataframe
    at = _run(at, "SELECT count(*) FROM person")
    assert at.dataframe, "the console answers the next query"


def test_the_row_limit_is_announced(open_page) -> None:
    at = open_page(PAGE, lang="en")
    at.number_input(key="sql_console_rows").set_value(5)
    at = _run(at, "SELECT * FROM range(20)")
    assert at.dataframe[0].value.shape[0] == 5
    assert at.warning[0].value == t("sql_console.truncated", "en", limit=5)


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_a_write_is_refused_with_a_translated_message(open_page, lang: str) -> None:
    at = _run(open_page(PAGE, lang=lang), "DROP TABLE person")
    assert not at.exception, at.exception
    assert at.error[0].value == t("sql_console.refused.not_select", lang, kind="DROP")
    assert not at.dataframe
    at = _run(at, "SELECT count(*) FROM person")
    assert at.dataframe, "the table is still there"


def test_department_scope_applies_on_the_page(open_page) -> None:
    at = _run(open_page(PAGE, as_user="park_supervisor", lang="en"), NAMES)
    assert "赵敏" in at.dataframe[0].value.to_string()  # the park reaches both enterprises


def test_save_load_and_delete_a_query(open_page) -> None:
    at = open_page(PAGE, lang="en")
    at.text_area(key="sql_console_sql").input(NAMES)
    at.text_input(key="sql_console_save_name").input("people")
    at.toggle(key="sql_console_save_shared").set_value(True)
    at.button(key="sql_console_save_button").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value == t("sql_console.save.ok", "en", name="people")
    at.text_area(key="sql_console_sql").input("SELECT 2")
    at.run()
    at.button(key="sql_console_load").click().run()
    assert at.text_area(key="sql_console_sql").value == NAMES
    at.button(key="sql_console_delete").click().run()
    assert at.success[0].value == t("sql_console.saved.deleted", "en", name="people")


def test_users_without_analytics_do_not_get_the_page(ui_world) -> None:
    users = ui_world[1]
    assert PAGE in {p.path for p in visible_pages(users.park_supervisor)}
    assert PAGE not in {p.path for p in visible_pages(users.inspector_a)}
