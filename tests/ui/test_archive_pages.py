"""The training archive and the department register as people meet them: an employee sees
their own archive and nobody else's, a manager picks anyone of their plant, the register
names who is overdue, in Chinese and in English."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from streamlit.testing.v1 import AppTest

from core.clock import site_today
from core.db import session_scope, utcnow
from models.training import EducationLevel, TrainingCourse, TrainingRecord
from models.training_learning import AssignmentState, TrainingAssignment
from tests.ui.conftest import APP

OWN_COURSE, OTHER_COURSE, LATE_COURSE = "厂级安全教育甲", "李娜专属课程", "受限空间作业安全乙"


@pytest.fixture(scope="module")
def training(ui_world) -> None:
    org, _users = ui_world
    today = site_today()
    with session_scope() as session:
        ids = {}
        for name, level in (
            (OWN_COURSE, EducationLevel.PLANT),
            (OTHER_COURSE, None),
            (LATE_COURSE, None),
        ):
            course = TrainingCourse(name=name, hours=8, level=level, enterprise_id=org.ent1)
            session.add(course)
            session.flush()
            ids[name] = course.id
        for person, course in ((org.person_a, OWN_COURSE), (org.person_a2, OTHER_COURSE)):
            session.add(
                TrainingRecord(
                    person_id=person,
                    course_id=ids[course],
                    trained_on=date(2026, 3, 2),
                    hours=8,
                    enterprise_id=org.ent1,
                    department_id=org.dept_a,
                )
            )
        session.add(
            TrainingAssignment(
                person_id=org.person_a2,
                course_id=ids[LATE_COURSE],
                assigned_on=today - timedelta(days=40),
                due_on=today - timedelta(days=10),
                state=AssignmentState.ASSIGNED,
                enterprise_id=org.ent1,
                department_id=org.dept_a,
            )
        )


def _open(ui_world, page: str, user: str, lang: str = "zh-CN") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state["user_id"] = getattr(ui_world[1], user).user_id
    at.session_state["last_seen"] = utcnow()
    at.session_state["lang"] = lang
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    return at


def _text(at: AppTest) -> str:
    parts = (
        [m.value for m in at.markdown] + [c.value for c in at.caption] + [t.value for t in at.title]
    )
    parts += [s.value for s in at.subheader]
    parts += [str(e.label) for e in at.expander] + [str(m.label) for m in at.metric]
    parts += [e.proto.label for e in at.get("download_button")]
    parts += [str(e.proto.body) for e in at.error] + [str(e.proto.body) for e in at.get("success")]
    for frame in at.dataframe:
        parts += [frame.value.to_string()]
    return "\n".join(parts)


def test_an_employee_sees_their_own_archive_only(ui_world, training) -> None:
    at = _open(ui_world, "pages/training_archive.py", "employee_a")
    picker = at.selectbox(key="archive_person")
    assert picker.options == ["张伟"] and picker.disabled
    page = _text(at)
    assert "个人培训档案" in page and "张伟" in page and OWN_COURSE in page
    assert OTHER_COURSE not in page and "李娜" not in page
    assert "三级安全教育卡 PDF" in page and "个人培训档案 Excel" in page

    english = _text(_open(ui_world, "pages/training_archive.py", "employee_a", "en"))
    assert "Training archive" in english and "Education card PDF" in english
    assert "Training attended" in english and "Plant level" in english


def test_a_manager_opens_anyone_in_scope(ui_world, training) -> None:
    at = _open(ui_world, "pages/training_archive.py", "safety_head")
    picker = at.selectbox(key="archive_person")
    assert {"张伟", "李娜"} <= set(picker.options)
    picker.set_value(ui_world[0].person_a2).run()
    assert not at.exception
    page = _text(at)
    assert OTHER_COURSE in page and OWN_COURSE not in page


def test_the_register_names_who_is_overdue(ui_world, training) -> None:
    at = _open(ui_world, "pages/training_coverage.py", "safety_head")
    at.selectbox(key="cov_dept").set_value(ui_world[0].dept_a).run()
    assert not at.exception
    page = _text(at)
    assert "部门培训台账" in page and "李娜" in page and LATE_COURSE in page
    assert "逾期未完成（1）" in page and "下载台账 Excel" in page

    english = _open(ui_world, "pages/training_coverage.py", "safety_head", "en")
    english.selectbox(key="cov_dept").set_value(ui_world[0].dept_a).run()
    text = _text(english)
    assert "Department training register" in text and "Overdue (1)" in text


def test_an_employee_is_not_offered_the_register(ui_world, training) -> None:
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state["user_id"] = ui_world[1].employee_a.user_id
    at.session_state["last_seen"] = utcnow()
    at.run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/training_coverage.py")  # no export grant: not in the menu
