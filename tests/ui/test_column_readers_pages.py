"""The question bank's pages as an employee and its editor meet them: the employee opens a
question and its history and never reads the answer key; the park supervisor's audit log
masks it; the safety head sees it everywhere."""

from __future__ import annotations

import json

from core.config import get_settings
from core.crud import service
from core.crud.registry import get_spec
from core.db import session_scope, utcnow
from core.i18n import t
from models.accounts import RolePermission
from models.enums import Role, Scope
from tests.factories import user

ANSWER = "吊钩开口度增加百分之十报废KEYA"
NEW_ANSWER = "吊钩危险断面磨损达原尺寸百分之十报废KEYB"
STEM = "吊钩何时报废？"


def _question(ui_world, code: str) -> int:
    _, users = ui_world
    spec = get_spec("question")
    with session_scope() as session:
        row = service.create_row(
            session, spec, users.safety_head,
            {"code": code, "kind": "fill_in", "stem": STEM, "answer": ANSWER},
        )  # fmt: skip
        session.flush()
        service.update_row(session, spec, users.safety_head, row.id, {"answer": NEW_ANSWER})
        return row.id


def _everything_shown(at) -> str:
    """Every grid cell and text the page drew, as one string."""
    grids = [df.value.to_dict("records") for df in at.dataframe]
    texts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    return json.dumps([grids, texts], ensure_ascii=False, default=str)


def _detail(open_page, user: str, row_id: int):
    at = open_page(None, as_user=user, lang="en")
    at.query_params["id"] = str(row_id)
    at = at.switch_page("pages/training_question.py").run()
    assert not at.exception, at.exception
    return _everything_shown(at)


def test_the_employee_never_reads_the_key_on_the_question_page(open_page, ui_world) -> None:
    row_id = _question(ui_world, "QUI-1")
    shown = _detail(open_page, "employee_a", row_id)
    assert STEM in shown and ANSWER not in shown and NEW_ANSWER not in shown
    assert t("audit.hidden_value", "en") in shown  # the history says a change was made
    shown = _detail(open_page, "safety_head", row_id)
    assert ANSWER in shown and NEW_ANSWER in shown  # the history's before and after


def _auditor() -> int:
    """An inspector who may read the whole audit log (scope ALL, ``audit.view`` granted to
    the inspector role in this module's database) but not edit the question bank."""
    with session_scope() as session:
        session.add(RolePermission(role=Role.INSPECTOR, module="audit", action="view"))
        account = user(session, get_settings(), "auditor", Role.INSPECTOR, scope=Scope.ALL)
        return account.id


def test_the_audit_log_masks_the_key_for_a_reader_without_edit(open_page, ui_world) -> None:
    _question(ui_world, "QUI-2")
    at = open_page(None, as_user=None, lang="en")
    at.session_state["user_id"] = _auditor()
    at.session_state["last_seen"] = utcnow()
    at = at.run().switch_page("pages/sys_audit.py").run()
    assert not at.exception, at.exception
    shown = _everything_shown(at)
    assert NEW_ANSWER not in shown  # the correction is listed, its value masked
    assert f"{t('field.question_answer', 'en')}: {t('audit.hidden_value', 'en')}" in shown
    at = open_page("pages/sys_audit.py", as_user="admin", lang="en")
    assert NEW_ANSWER in _everything_shown(at)
