"""The inspector's round on the task page and the risk control list page, as users click them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from core.clock import site_today
from core.config import get_settings
from core.db import session_scope, utcnow
from core.i18n import t
from core.inspection.checklists import checklist_from_measures
from core.rbac import SYSTEM
from models.enums import Role
from models.hazard import Hazard
from models.risk_inspection import InspectionPlan, InspectionTask, InspectionTaskState
from tests.factories import user
from tests.modules.test_inspection import register
from tests.ui.conftest import APP


@pytest.fixture(scope="module")
def field(ui_world):
    """An inspector account linked to 张伟 (department A), with a daily check-in round plan
    that started two days ago, so one round is overdue and one is due today."""
    org, _ = ui_world
    with session_scope() as session:
        account = user(
            session, get_settings(), "inspector_p", Role.INSPECTOR, park_id=org.park,
            enterprise_id=org.ent1, department_id=org.dept_a, person_id=org.person_a,
        )  # fmt: skip
        reg = register(session, org.ent1, org.dept_a, tag="U")
        sync = checklist_from_measures(session, SYSTEM, unit_id=reg["unit"].id)
        session.add(
            InspectionPlan(
                name="U区空压站日常巡检", checklist_id=sync.checklist.id, enterprise_id=org.ent1,
                department_id=org.dept_a, assignee_id=org.person_a, checkin_required=True,
                starts_on=site_today() - timedelta(days=2),
            )
        )  # fmt: skip
        session.flush()
        return {"user_id": account.id, "area": reg["area"].name}


def _open(user_id: int, page: str, lang: str = "zh-CN") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state["user_id"] = user_id
    at.session_state["last_seen"] = utcnow()
    at.session_state["lang"] = lang
    at.run()
    at.switch_page(page)
    at.run()
    return at


def _click(at: AppTest, label: str, index: int = 0) -> AppTest:
    buttons = [b for b in at.button if b.label == label]
    assert buttons, f"no button {label!r} among {[b.label for b in at.button]}"
    return buttons[index].click().run()


def _text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [m.value for m in at.caption]
    parts += [e.value for e in at.error] + [e.value for e in at.success]
    return "\n".join(parts)


def test_inspector_checks_in_ticks_and_submits(field) -> None:
    at = _open(field["user_id"], "pages/risk_my_tasks.py")
    assert not at.exception, at.exception
    assert at.title[0].value == t("page.risk_my_tasks")
    assert "逾期 2 天" in _text(at) and "今天到期" in _text(at)
    _click(at, "开始排查")  # the overdue round comes first
    assert "现场签到" in _text(at)
    assert "提交排查结果" not in [b.label for b in at.button], "submit offered before check-in"
    area = next(s for s in at.selectbox if s.key.startswith("insp_area_"))
    area.select(next(o for o in area.options if o == field["area"])).run()
    _click(at, "签到")
    assert not at.exception, at.exception
    assert f"已签到：{field['area']}" in _text(at)
    _click(at, "提交排查结果")
    assert "还有 4 项未检查（第 1 项起）" in _text(at)
    for _ in range(3):
        _click(at, "✔ 合格")
    assert "4 / 4" in _text(at)
    _click(at, "✘ 不合格")
    _click(at, "保存不合格项")
    assert "不合格项必须写明问题" in _text(at)
    at.text_area(key=next(a.key for a in at.text_area)).input("储气罐压力表损坏").run()
    _click(at, "保存不合格项")
    _click(at, "提交排查结果")
    assert not at.exception, at.exception
    assert "已提交，发现 1 处问题，已上报隐患" in _text(at)
    with session_scope() as session:
        done = session.exec(
            select(InspectionTask).where(InspectionTask.state == InspectionTaskState.DONE)
        ).all()
        assert len(done) == 1 and done[0].issues_found == 1
        hazard = session.exec(select(Hazard).where(Hazard.inspection_task_id == done[0].id)).one()
        assert hazard.risk_point_id is not None
    assert "开始排查" in [b.label for b in at.button], "back on the list after submitting"


def test_task_page_in_english_and_without_a_person(field, ui_world) -> None:
    at = _open(field["user_id"], "pages/risk_my_tasks.py", lang="en")
    assert not at.exception, at.exception
    assert at.title[0].value == "My inspections"
    assert "Start" in [b.label for b in at.button]
    at = _open(ui_world[1].inspector_a.user_id, "pages/risk_my_tasks.py")
    assert t("inspection.no_person") in [i.value for i in at.info]


def test_control_list_previews_and_builds_the_workbook(field, ui_world) -> None:
    at = _open(ui_world[1].admin.user_id, "pages/risk_control_list.py")
    assert not at.exception, at.exception
    assert at.title[0].value == "风险分级管控清单"
    frame = at.dataframe[0].value
    assert list(frame.columns[:5]) == ["序号", "单位", "车间/部门", "辨识单元", "风险点"]
    assert "U储气罐1" in frame["风险点"].tolist()
    _click(at, "生成 Excel")
    assert not at.exception, at.exception
    assert at.get("download_button"), "no download offered"
    at = _open(ui_world[1].admin.user_id, "pages/risk_control_list.py", lang="en")
    assert list(at.dataframe[0].value.columns[:2]) == ["No.", "Enterprise"]


def test_checklist_page_makes_items_from_a_unit(field, ui_world) -> None:
    org, users = ui_world
    with session_scope() as session:
        unit = register(session, org.ent1, org.dept_a, tag="K")["unit"]
        unit_id = unit.id
    at = _open(users.admin.user_id, "pages/risk_inspection_checklist.py")
    at.selectbox(key="insp_unit_pick").select(unit_id).run()
    _click(at, t("inspection.sync"))
    assert not at.exception, at.exception
    assert "已新增 4 个检查项" in _text(at)
