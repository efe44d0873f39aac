"""The wrong-answer book, practice and the points pages as an employee meets them: the book
with the key of the questions got wrong, a practice question answered right and wrong with
the verdict at once, and the boards with names; in Chinese and in English."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, func, select
from streamlit.testing.v1 import AppTest

from core.db import session_scope, utcnow
from core.training import points
from core.training.exam_attempts import save_answer, start_attempt, submit
from models.training_exam import ExamPaper, Question
from models.training_exam import QuestionKind as K
from models.training_learning import PointsReason, WrongAnswer
from tests.ui.conftest import OpenPage

#: (kind, stem, options, key, given): both answered wrong in the exam.
QUESTIONS = [
    (K.TRUE_FALSE, "Forks may carry people.", [], "F", "T"),
    (K.SINGLE, "Which brake holds on a slope?", ["Horn", "Parkbrakezulu"], "B", "A"),
]


@pytest.fixture(scope="module")
def graded(ui_world) -> None:
    """employee_a sat a paper and got both questions wrong; two colleagues earned points."""
    org, users = ui_world
    with session_scope() as session:
        ids = []
        for n, (kind, stem, options, key, _) in enumerate(QUESTIONS, start=1):
            q = Question(code=f"PRX{n}", kind=kind, stem=stem, options=options, answer=key)
            q.analysis = f"Analysisyankee{n}"
            session.add(q)
            session.flush()
            ids.append(q.id)
        paper = ExamPaper(
            name="Practice source",
            question_ids=ids,
            total_score=10,
            pass_score=6,
            shuffle_questions=False,
            shuffle_options=False,
            enterprise_id=org.ent1,
        )
        session.add(paper)
        session.flush()
        actor = users.employee_a
        now = utcnow() - timedelta(hours=1)
        attempt = start_attempt(session, actor, paper.id, now)
        for position, (*_, given) in enumerate(QUESTIONS, start=1):
            save_answer(session, actor, attempt.id, position, given, now)
        submit(session, actor, attempt.id, now + timedelta(minutes=2))
        for person, amount in ((org.person_a, 5), (org.person_a2, 9), (org.person_e2, 50)):
            points.award(session, person, PointsReason.STUDY, "study_progress", 1, amount, now)


def _text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [str(e.value) for e in [*at.success, *at.error, *at.info, *at.title, *at.subheader]]
    return "\n".join(parts)


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("zh-CN", ("错题本与练习", "回答正确", "回答错误")),
        ("en", ("Wrong answers", "Right", "Wrong")),
    ],
)
def test_the_book_shows_the_key_and_practice_answers_at_once(
    open_page: OpenPage, graded, lang: str, words: tuple[str, str, str]
) -> None:
    at = open_page("pages/training_practice.py", as_user="employee_a", lang=lang)
    assert not at.exception, at.exception
    page = _text(at)
    assert words[0] in page
    assert QUESTIONS[0][1] in page and "Parkbrakezulu" in page
    assert "Analysisyankee1" in page and "Analysisyankee2" in page, "the key and analysis"

    at.radio(key="practice_mode").set_value(at.radio(key="practice_mode").options[0]).run()
    at.number_input(key="practice_count").set_value(2).run()
    at.button(key="practice_start").click().run()
    assert not at.exception, at.exception
    for _ in range(2):
        widget = next(r for r in at.radio if str(r.key).startswith("practice_q_"))
        if QUESTIONS[0][1] in _text(at):  # true/false: answer it right
            widget.set_value(widget.options[1]).run()  # false
            at.button(key="practice_check").click().run()
            assert at.success and at.success[0].value == words[1]
        else:  # single choice: pick the wrong option, whatever letter it is shown under
            widget.set_value(next(o for o in widget.options if "Horn" in o)[0]).run()
            at.button(key="practice_check").click().run()
            assert at.error and at.error[0].value == words[2]
        assert not at.exception, at.exception
        at.button(key="practice_next").click().run()
    at.button(key="practice_finish").click().run()
    assert not at.exception, at.exception


@pytest.mark.parametrize(
    ("lang", "title"), [("zh-CN", "学习积分"), ("en", "Points and leaderboard")]
)
def test_points_page_shows_my_points_and_boards_with_names(
    open_page: OpenPage, graded, lang: str, title: str
) -> None:
    at = open_page("pages/training_points.py", as_user="employee_a", lang=lang)
    assert not at.exception, at.exception
    assert title in _text(at)
    study = "课程学习：5" if lang == "zh-CN" else "Study: 5"
    assert study in _text(at), "my points by reason (practice on the other test adds more)"
    assert int(at.metric[0].value) >= 5
    boards = [df.value for df in at.dataframe]
    assert len(boards) == 2
    names = [list(board.iloc[:, 1]) for board in boards]
    assert names[0][0] == names[1][0] != "", "the higher scorer of the department leads"
    assert all(len(n) == 2 for n in names), "the other enterprise's 50 points never show"
    assert all(not str(n).isdigit() for board in names for n in board), "names, never ids"


@pytest.mark.parametrize(
    ("lang", "reference", "button"),
    [("zh-CN", "参考答案", "我已掌握"), ("en", "Reference answer", "I know it now")],
)
def test_a_short_answer_in_the_book_is_checked_by_its_owner(
    open_page: OpenPage, ui_world, lang: str, reference: str, button: str
) -> None:
    org, users = ui_world
    stem = f"Name the first step of electric-shock first aid ({lang})"
    with session_scope() as session:
        q = Question(code=f"PRS{lang}", kind=K.SHORT_ANSWER, stem=stem, answer="Cutpowerxray")
        session.add(q)
        session.flush()
        wrong = WrongAnswer(person_id=users.employee_a.person_id, question_id=q.id,
                            last_wrong_at=utcnow(), enterprise_id=org.ent1)  # fmt: skip
        session.add(wrong)
        session.flush()
        known = f"practice_known_{wrong.id}"
    at = open_page("pages/training_practice.py", as_user="employee_a", lang=lang)
    assert not at.exception, at.exception
    assert reference in _text(at) and "Cutpowerxray" in _text(at)
    assert at.button(key=known).label == button
    at.button(key=known).click().run()
    assert not at.exception, at.exception
    assert stem not in _text(at), "it left the book"
    assert not [b for b in at.button if b.key == known]


@pytest.mark.parametrize(
    ("lang", "count", "forward", "back"),
    [
        ("zh-CN", "第 11–20 题，共", "下一页", "上一页"),
        ("en", "Questions 11–20 of", "Next", "Previous"),
    ],
)
def test_a_long_book_comes_ten_at_a_time_newest_first(
    open_page: OpenPage, ui_world, lang: str, count: str, forward: str, back: str
) -> None:
    org, users = ui_world
    stems = [f"Pagedbook{lang} {n:02d}" for n in range(1, 26)]  # 01 is the newest
    with session_scope() as session:
        now = utcnow()
        rows = []
        for n, stem in enumerate(stems, start=1):
            q = Question(code=f"PRP{lang}{n}", kind=K.TRUE_FALSE, stem=stem, answer="T")
            session.add(q)
            session.flush()
            rows.append(WrongAnswer(person_id=users.employee_a.person_id, question_id=q.id,
                                    last_wrong_at=now - timedelta(seconds=n), last_given="F",
                                    enterprise_id=org.ent1))  # fmt: skip
        session.add_all(rows)
        session.flush()
        ids = [row.id for row in rows]
        person = users.employee_a.person_id
        open_ = select(func.count()).where(WrongAnswer.person_id == person,
                                           col(WrongAnswer.mastered_at).is_(None))  # fmt: skip
        total = session.exec(open_).one()
    try:
        at = open_page("pages/training_practice.py", as_user="employee_a", lang=lang)
        assert not at.exception, at.exception

        def on_page() -> list[str]:
            return [m.value for m in at.markdown if m.value in stems]

        assert on_page() == stems[:10]
        assert f"（{total}）" in _text(at) or f"({total})" in _text(at), "the count in the title"
        assert at.button(key="practice_book_prev").disabled
        assert at.button(key="practice_book_next").label == forward
        at.button(key="practice_book_next").click().run()
        assert on_page() == stems[10:20]
        assert count in _text(at)
        at.button(key="practice_book_next").click().run()
        assert on_page() == stems[20:]
        assert at.button(key="practice_book_next").disabled
        assert at.button(key="practice_book_prev").label == back
        at.button(key="practice_book_prev").click().run()
        assert on_page() == stems[10:20]
    finally:
        with session_scope() as session:
            for row_id in ids:
                session.get(WrongAnswer, row_id).mastered_at = utcnow()  # out of others' way
