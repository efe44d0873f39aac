"""The permit template editor page: renders in both languages for the admin, refuses a user
without the configure permission, and saves an edit (or shows why not) from its widgets."""

from __future__ import annotations

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from core.db import get_engine, session_scope, utcnow
from core.i18n import t
from core.reference import load_all
from models.permit_reference import PermitGrade, PermitTemplate
from tests.ui.conftest import REPO

PAGE = "pages/permit_template_editor.py"


@pytest.fixture(scope="module", autouse=True)
def reference(ui_world) -> None:
    with session_scope(get_engine()) as session:
        load_all(session)


def _open(ui_world, user: str = "admin", lang: str = "zh-CN") -> AppTest:
    """The page file itself (the navigation lists permit pages still being written)."""
    at = AppTest.from_file(str(REPO / PAGE), default_timeout=30)
    at.session_state["user_id"] = getattr(ui_world[1], user).user_id
    at.session_state["last_seen"] = utcnow()
    at.session_state["lang"] = lang
    return at.run()


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [e.value for e in at.error] + [w.value for w in at.warning]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_renders_for_admin(ui_world, lang: str) -> None:
    at = _open(ui_world, lang=lang)
    assert not at.exception, at.exception
    assert at.title[0].value == t("page.permit_template_editor", lang)
    assert len(at.dataframe) == 5  # fields, measures, steps, limits, grades
    texts = _texts(at)
    assert "⟦" not in texts
    # the default type is DH (first by code): its 特级 chain ends with the plant leader
    assert t("enum.PermitApprovalRole.plant_leader", lang) in texts
    assert t("permit_tpl.save", lang) in [b.label for b in at.button]


def test_employee_is_refused(ui_world) -> None:
    at = _open(ui_world, "employee_a")
    assert not at.exception
    assert at.error and "无权限" in at.error[0].value
    assert not at.dataframe


def test_save_without_changes_keeps_the_template(ui_world) -> None:
    at = _open(ui_world)
    at.selectbox(key="permit_tpl_type").set_value("DZ").run()
    before = _template("DZ")
    next(b for b in at.button if b.label == t("permit_tpl.save")).click().run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == [
        t("permit_tpl.saved", name=before[1], version=before[2])
    ]
    assert _template("DZ") == before


def test_a_problem_is_shown_and_nothing_saved(ui_world) -> None:
    at = _open(ui_world)
    at.selectbox(key="permit_tpl_type").set_value("SX").run()
    key = next(w.key for w in at.text_input if w.key and w.key.endswith("_name"))
    at.text_input(key=key).input("").run()  # a template needs a name
    next(b for b in at.button if b.label == t("permit_tpl.save")).click().run()
    assert not at.exception, at.exception
    assert at.error and t("permit_tpl.not_saved", count=1) in at.error[0].value
    assert _template("SX")[1] == "受限空间作业票(默认模板)"


def _template(code: str) -> tuple:
    with session_scope(get_engine()) as session:
        tpl = session.exec(
            select(PermitTemplate).where(
                PermitTemplate.type_code == code, PermitTemplate.is_default
            )
        ).one()
        hours = session.exec(
            select(PermitGrade.validity_hours).where(PermitGrade.type_code == code)
        ).all()
        return (
            tpl.id,
            tpl.name,
            tpl.version,
            tpl.measure_codes,
            tpl.form_fields,
            tpl.approval_steps,
            tpl.gases,
            tpl.worker_certificates,
            tuple(hours),
        )
