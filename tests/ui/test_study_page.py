"""The online-study page as an employee meets it: the assigned course first with its due
date, its materials, a material open while the server counts the time, completion, and the
English page without Chinese headings."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from core.db import as_utc, session_scope, utcnow
from core.training.study import beat
from models.enums import DocumentState
from models.training import TrainingCourse
from models.training_learning import (
    AssignmentState,
    CourseMaterial,
    MaterialKind,
    StudyProgress,
    TrainingAssignment,
)
from tests.ui.conftest import APP

COURSE = "Confined space entry"
MATERIALS = ("Gas testing before entry", "Rescue plan")
BODY = "Test oxygen first: between 19.5 and 23.5 percent."
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def course(ui_world) -> tuple[int, list[int]]:
    org, _users = ui_world
    with session_scope() as session:
        c = TrainingCourse(
            name=COURSE, enterprise_id=org.ent1, state=DocumentState.PUBLISHED, hours=2
        )
        session.add(c)
        session.flush()
        ids = []
        for n, title in enumerate(MATERIALS, start=1):
            m = CourseMaterial(
                course_id=c.id,
                position=n,
                title=title,
                kind=MaterialKind.TEXT,
                body=BODY,
                min_minutes=1,
            )
            session.add(m)
            session.flush()
            ids.append(m.id)
        _assign(session, org, c.id, date(2026, 11, 1), date(2026, 12, 31))
        return c.id or -1, ids


def _assign(session, org, course_id, assigned_on: date, due_on: date, **more) -> None:
    """An assignment of the course to person A (employee_a's person)."""
    session.add(
        TrainingAssignment(
            person_id=org.person_a,
            course_id=course_id,
            assigned_on=assigned_on,
            due_on=due_on,
            enterprise_id=org.ent1,
            department_id=org.dept_a,
            **more,
        )
    )


def _open(ui_world, lang: str = "zh-CN", **params: int) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state["user_id"] = ui_world[1].employee_a.user_id
    at.session_state["last_seen"] = utcnow()
    at.session_state["lang"] = lang
    at.run()
    at.switch_page("pages/training_study.py")
    for name, value in params.items():
        at.query_params[name] = str(value)
    at.run()
    assert not at.exception, at.exception
    return at


def _text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [str(b.label) for b in at.button] + [s.value for s in at.subheader]
    parts += [str(p.proto.text) for p in at.get("progress")]
    parts += [s.value for s in at.success] + [i.value for i in at.info]
    return "\n".join(parts)


def test_an_employee_opens_the_assigned_course_and_studies(ui_world, course) -> None:
    course_id, (first, _second) = course
    at = _open(ui_world)
    page = _text(at)
    assert COURSE in page and "2026年12月31日" in page, "the assigned course with its due date"
    at.button(key=f"study_course_{course_id}").click().run()
    assert not at.exception
    page = _text(at)
    assert all(title in page for title in MATERIALS)
    assert "课程进度 0%" in page
    at.button(key=f"study_material_{first}").click().run()
    assert not at.exception
    assert BODY in _text(at) and "已学 0 分钟 / 要求 1 分钟" in _text(at)

    # two heartbeats a half minute apart, by the server's clock (no sleeping)
    with session_scope() as session:
        row = session.exec(select(StudyProgress).where(StudyProgress.material_id == first)).one()
        last = as_utc(row.last_beat_at)
        for gap in (30, 60):
            beat(session, ui_world[1].employee_a, first, last + timedelta(seconds=gap))
    at.run()
    assert not at.exception
    assert "本资料已达到学习时长要求" in _text(at)
    at.button(key="study_back").click().run()
    assert "课程进度 50%" in _text(at) and "已学完" in _text(at)


def test_my_training_lists_the_assignment(ui_world, course) -> None:
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state["user_id"] = ui_world[1].employee_a.user_id
    at.session_state["last_seen"] = utcnow()
    at.run()
    at.switch_page("pages/my_training.py").run()
    assert not at.exception
    assert COURSE in _text(at) and "我的培训任务" in _text(at)


def test_the_english_page_has_no_chinese_headings(ui_world, course) -> None:
    course_id, (first, _second) = course
    for params in ({}, {"course": course_id}, {"course": course_id, "material": first}):
        at = _open(ui_world, "en", **params)
        headings = [t.value for t in at.title] + [s.value for s in at.subheader]
        labels = [str(b.label) for b in at.button] + [c.value for c in at.caption]
        labels += [str(p.proto.text) for p in at.get("progress")]
        assert not [h for h in headings + labels if CJK.search(h)], headings + labels
    assert "Online learning" in [t.value for t in at.title]


def test_a_course_done_offline_shows_done_and_an_empty_optional_one_is_left_out(
    ui_world, course
) -> None:
    """A training completed in a classroom has no study time, yet it is done (100 %, not
    0 %); a published course nobody assigned that has nothing to study is not offered."""
    org, _users = ui_world
    with session_scope() as session:
        done = TrainingCourse(name="Classroom induction", enterprise_id=org.ent1, hours=4)
        empty = TrainingCourse(
            name="Empty optional course", enterprise_id=org.ent1, state=DocumentState.PUBLISHED
        )
        session.add_all([done, empty])
        session.flush()
        _assign(
            session,
            org,
            done.id,
            date(2026, 1, 5),
            date(2026, 2, 5),
            state=AssignmentState.COMPLETED,
            completed_on=date(2026, 1, 20),
        )
    at = _open(ui_world)
    page = _text(at)
    assert "Classroom induction" in page and "课程进度 100%" in page
    assert "Empty optional course" not in page
