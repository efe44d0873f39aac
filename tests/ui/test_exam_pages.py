"""The online exam and marking pages as an employee and a manager meet them: the open paper,
start, countdown, autosave, a reload that shows the same paper, submission, the hidden key,
marking a short answer, and the English render."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from core.db import session_scope, utcnow
from models.training_exam import AttemptItem, AttemptState, ExamAttempt, ExamPaper, Question
from models.training_exam import QuestionKind as K
from tests.ui.conftest import APP

PAPER = "Forklift safety check"
#: (kind, stem, options, key); the keys are words no other text of the page contains.
QUESTIONS = [
    (K.SINGLE, "Which gear holds a forklift on a slope?", ["Neutral", "Parkbrakezulu"], "B"),
    (K.MULTIPLE, "Which checks come before a shift?", ["Tyres", "Horn", "Radio"], "AB"),
    (K.TRUE_FALSE, "Passengers may ride on the forks.", [], "F"),
    (K.FILL_IN, "Emergency number to call?", [], "quebec119"),
    (K.SHORT_ANSWER, "Describe the load check.", [], "Referencekilo weight and balance"),
]
SECRET_KEYS = ("quebec119", "Referencekilo")
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def paper(ui_world) -> int:
    org, _users = ui_world
    with session_scope() as session:
        ids = []
        for n, (kind, stem, options, key) in enumerate(QUESTIONS, start=1):
            q = Question(code=f"UIX{n}", kind=kind, stem=stem, options=options, answer=key)
            session.add(q)
            session.flush()
            ids.append(q.id)
        p = ExamPaper(
            name=PAPER,
            question_ids=ids,
            duration_minutes=30,
            total_score=10,
            pass_score=6,
            shuffle_questions=False,
            shuffle_options=False,
            attempts_allowed=2,
            enterprise_id=org.ent1,
        )
        session.add(p)
        session.flush()
        return p.id or -1


def _open(ui_world, page: str, user: str, lang: str = "zh-CN", attempt: int | None = None):
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state["user_id"] = getattr(ui_world[1], user).user_id
    at.session_state["last_seen"] = utcnow()
    at.session_state["lang"] = lang
    at.run()
    at.switch_page(page)
    if attempt is not None:
        at.query_params["attempt"] = str(attempt)
    at.run()
    assert not at.exception, at.exception
    return at


def _text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [str(getattr(e, "label", "")) for e in [*at.radio, *at.multiselect, *at.button]]
    for r in at.radio:
        parts += [str(o) for o in r.options]
    for m in at.multiselect:
        parts += [str(o) for o in m.options]
    parts += [e.proto.body for e in at.get("html")]
    return "\n".join(parts)


def _items(attempt_id: int) -> dict[int, str | None]:
    with session_scope() as session:
        rows = session.exec(select(AttemptItem).where(AttemptItem.attempt_id == attempt_id))
        return {i.position: i.answer_given for i in rows.all()}


def test_an_employee_sits_the_exam_and_a_manager_marks_it(ui_world, paper) -> None:
    at = _open(ui_world, "pages/training_exam.py", "employee_a")
    assert PAPER in _text(at)
    start = next(b for b in at.button if b.key == f"exam_start_{paper}")
    start.click().run()
    assert not at.exception
    with session_scope() as session:
        attempt = session.exec(select(ExamAttempt).where(ExamAttempt.paper_id == paper)).one()
    attempt_id = attempt.id or -1
    assert at.query_params["attempt"] in (str(attempt_id), [str(attempt_id)])
    page = _text(at)
    assert f"exam-clock-{attempt_id}" in page and "setInterval" in page, "the countdown shows"
    assert QUESTIONS[0][1] in page
    for secret in SECRET_KEYS:
        assert secret not in page, "the key is never on an open paper"

    # autosave: every change reaches the database without a submit
    at.radio(key=f"exam_{attempt_id}_1").set_value("B").run()
    at.multiselect(key=f"exam_{attempt_id}_2").set_value(["A", "B"]).run()
    at.radio(key=f"exam_{attempt_id}_3").set_value("F").run()
    at.text_input(key=f"exam_{attempt_id}_4").input("Quebec119 ").run()
    at.text_area(key=f"exam_{attempt_id}_5").input("Weigh it, then balance it").run()
    assert not at.exception
    assert "已保存" in _text(at)
    assert _items(attempt_id) == {
        1: "B",
        2: "AB",
        3: "F",
        4: "Quebec119",
        5: "Weigh it, then balance it",
    }

    # a reload of the address shows the same paper with the saved answers
    again = _open(ui_world, "pages/training_exam.py", "employee_a", attempt=attempt_id)
    assert again.radio(key=f"exam_{attempt_id}_1").value == "B"
    assert again.multiselect(key=f"exam_{attempt_id}_2").value == ["A", "B"]
    assert again.text_input(key=f"exam_{attempt_id}_4").value == "Quebec119"
    assert QUESTIONS[3][1] in _text(again)

    # submit with a confirmation: the auto-marked part, the short answer waits
    again.button(key="exam_submit").click().run()
    again.button(key="exam_submit_yes").click().run()
    assert not again.exception
    assert any("简答题等待阅卷" in i.value for i in again.info)
    assert any("8 / 10" in m.value for m in again.metric), "2 points each, short answer unmarked"

    # the manager marks the short answer; the attempt is graded and passed
    grading = _open(ui_world, "pages/training_grading.py", "safety_head")
    assert "Describe the load check." in _text(grading)
    grading.number_input[0].set_value(1.5)
    next(b for b in grading.button if b.label == "保存评分").click().run()
    assert not grading.exception
    with session_scope() as session:
        done = session.get(ExamAttempt, attempt_id)
        assert done is not None and done.state == AttemptState.GRADED
        assert done.score == 9.5 and done.passed

    result = _open(ui_world, "pages/training_exam.py", "employee_a", attempt=attempt_id)
    assert any("9.5 / 10" in m.value for m in result.metric)
    assert any("考试合格" in s.value for s in result.success)


def test_the_exam_pages_render_in_english(ui_world, paper) -> None:
    at = _open(ui_world, "pages/training_exam.py", "employee_a", lang="en")
    assert at.title[0].value == "Online exam"
    text = _text(at).replace(PAPER, "")
    assert not CJK.search(text), CJK.findall(text)
    grading = _open(ui_world, "pages/training_grading.py", "safety_head", lang="en")
    assert grading.title[0].value == "Marking"
    assert not CJK.search(_text(grading))
