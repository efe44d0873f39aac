"""A failing console query tells the reader what is wrong in their language, naming the
column; the database's own message waits in an expander."""

from __future__ import annotations

import pytest

from core.i18n import t

PAGE = "pages/analytics_sql.py"


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_an_unknown_column_is_named_in_the_readers_language(open_page, lang: str) -> None:
    at = open_page(PAGE, lang=lang)
    at.text_area(key="sql_console_sql").input("SELECT nosuch FROM person")
    at.button(key="sql_console_run").click()
    at.run()
    assert not at.exception, at.exception
    assert at.error[0].value == t("sql_console.error.kind.unknown_column", lang, name="nosuch")
    raw = [e for e in at.expander if e.label == t("sql_console.error.raw", lang)]
    assert raw, "the database's own message is not offered"
    assert "Binder Error" in raw[0].code[0].value
