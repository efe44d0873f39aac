"""Flows a user walks through in the app: custom fields, idle expiry, backups.

Switching language and having it remembered is covered by the browser test, which goes through
a real log-out and log-in."""

from __future__ import annotations

from datetime import timedelta

from core.config import get_settings
from core.crud import service
from core.crud.registry import get_spec
from core.db import session_scope, utcnow
from core.i18n import t
from core.rbac import SYSTEM


def _button(at, label: str):
    return next(b for b in at.button if b.label == label)


def test_custom_field_appears_in_form_list_and_template(open_page) -> None:
    with session_scope() as session:
        service.create_row(
            session,
            get_spec("custom_field"),
            SYSTEM,
            {
                "table_name": "post",
                "code": "shift",
                "label_zh": "班次",
                "label_en": "Shift",
                "kind": "choice",
                "choices": "白班,夜班",
            },
        )
    at = open_page("pages/org_post.py")
    assert not at.exception
    assert "班次" in list(at.dataframe[0].value.columns)
    assert at.selectbox(key="post_new_extra.shift").options == ["（无）", "白班", "夜班"]
    at.text_input(key="post_new_name").input("夜班巡检岗")
    at.selectbox(key="post_new_extra.shift").set_value("夜班")
    _button(at, t("common.save")).click().run()
    assert not at.exception
    grid = at.dataframe[0].value
    assert grid[grid["名称"] == "夜班巡检岗"]["班次"].tolist() == ["夜班"]


def test_idle_session_expires_with_a_message(open_page, ui_world) -> None:
    from streamlit.testing.v1 import AppTest

    from tests.ui.conftest import APP

    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state["user_id"] = ui_world[1].admin.user_id
    at.session_state["lang"] = "zh-CN"
    minutes = get_settings().session_idle_minutes + 1
    at.session_state["last_seen"] = utcnow() - timedelta(minutes=minutes)
    at.run()
    assert not at.exception
    assert at.title[0].value == t("login.title")
    assert any(t("login.expired") in w.value for w in at.warning)


def test_admin_makes_a_backup_from_the_page(open_page) -> None:
    at = open_page("pages/sys_backup.py")
    _button(at, t("backup.create")).click().run()
    assert not at.exception
    assert any(t("backup.created", file="").split("：")[0] in s.value for s in at.success)
    assert list((get_settings().backups_dir).glob("*.zip"))
