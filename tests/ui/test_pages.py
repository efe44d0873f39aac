"""Every page renders for the admin and for a restricted role, and shows what that role may see."""

from __future__ import annotations

import pandas as pd

from core.i18n import t
from tests.factories import PASSWORD


def _text(at) -> str:
    parts = (
        [m.value for m in at.markdown] + [m.value for m in at.title] + [m.value for m in at.caption]
    )
    parts += (
        [e.value for e in at.error] + [e.value for e in at.warning] + [e.value for e in at.info]
    )
    parts += [e.value for e in at.success] + [s.value for s in at.subheader]
    return "\n".join(str(p) for p in parts)


def _grid_values(at, index: int = 0) -> str:
    return at.dataframe[index].value.to_string()


# Every page for every role (admin included) and the inspector's pages in English render in
# tests/ui/test_pages_by_role.py, one AppTest per role.


def test_inspector_list_shows_only_own_department(open_page) -> None:
    at = open_page("pages/org_person.py", as_user="inspector_a")
    grid = _grid_values(at)
    assert "张伟" in grid and "李娜" in grid
    assert "王强" not in grid, "department B's person leaked into department A's list"
    assert "赵敏" not in grid, "another enterprise's person leaked"


def test_admin_list_shows_everyone(open_page) -> None:
    grid = _grid_values(open_page("pages/org_person.py"))
    for name in ("张伟", "李娜", "王强", "赵敏"):
        assert name in grid


def test_system_pages_refuse_a_restricted_user(ui_world) -> None:
    """Even reached directly, a page guards itself (navigation merely hides it)."""
    from streamlit.testing.v1 import AppTest

    from tests.ui.conftest import REPO

    at = AppTest.from_file(str(REPO / "pages/sys_audit.py"), default_timeout=30)
    at.session_state["user_id"] = ui_world[1].inspector_a.user_id
    at.session_state["lang"] = "zh-CN"
    at.run()
    assert not at.exception
    assert at.error and "无权限" in at.error[0].value


def test_logged_out_user_sees_only_the_login(open_page) -> None:
    at = open_page(None, as_user=None)
    assert not at.exception
    assert at.title[0].value == t("login.title")
    at.text_input(key="login_user").input("inspector_a")
    at.text_input(key="login_pw").input("wrong-password-1")
    submit = next(b for b in at.button if b.label == t("login.submit"))
    submit.click().run()
    assert any(t("auth.bad_credentials") in e.value for e in at.error)


def test_login_then_home_shows_todo(open_page) -> None:
    at = open_page(None, as_user=None)
    at.text_input(key="login_user").input("safety_head")
    at.text_input(key="login_pw").input(PASSWORD)
    next(b for b in at.button if b.label == t("login.submit")).click().run()
    assert not at.exception
    assert at.session_state["user_id"] is not None
    text = _text(at)
    assert t("home.todo") in text
    assert "王强" in "\n".join(str(p.label) for p in at.get("page_link")) or "王强" in text


def test_create_shows_field_errors_and_saves_valid_input(open_page) -> None:
    at = open_page("pages/org_park.py")
    at.text_input(key="park_new_name").input("")
    at.text_input(key="park_new_code").input("P-UI-1")
    save = next(b for b in at.button if b.label == t("common.save"))
    save.click().run()
    assert not at.exception
    assert any(t("validation.required") in m.value for m in at.markdown)
    at.text_input(key="park_new_name").input("测试园区UI")
    next(b for b in at.button if b.label == t("common.save")).click().run()
    assert not at.exception
    assert "测试园区UI" in _grid_values(at)


def test_english_labels(open_page) -> None:
    at = open_page("pages/org_person.py", lang="en")
    assert at.title[0].value == "People"
    assert "Name" in list(at.dataframe[0].value.columns)


def test_empty_text_cells_are_blank_not_none(open_page) -> None:
    """A missing value used to show as "None" in the grid (English words in the Chinese UI)."""
    at = open_page("pages/org_person.py")
    grid = at.dataframe[0].value
    texts = [c for c in grid.columns if pd.api.types.is_string_dtype(grid[c])]
    assert texts and not any(grid[c].isna().any() for c in texts), grid.isna().sum()
    assert "" in {v for c in texts for v in grid[c]}, "some person leaves a text field empty"
