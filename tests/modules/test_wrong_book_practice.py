"""Learning from mistakes as an examinee meets it: the questions got wrong in an exam fill the
book (with their key, and only theirs), practice grades at once and masters them, practice is
never an exam, and points are paid once and ranked by department and enterprise; on SQLite
and PostgreSQL."""

from __future__ import annotations

import random
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from core.config import get_settings
from core.rbac import Actor
from core.training import outcomes, points, wrong_book
from core.training.exam_attempts import save_answer, start_attempt, submit
from core.training.exam_view import paper_for_examinee
from core.training.practice import PracticeRefused, answer, draw, self_master
from core.training.rules import LETTERS
from models.org import Person
from models.system import AuditEntry
from models.training_exam import ExamAttempt, ExamPaper, ExamRecord, Question, QuestionKind
from models.training_learning import (
    PointsEntry,
    PointsReason,
    PracticeAnswer,
    PracticeMode,
    WrongAnswer,
)
from tests.factories import Org, build_org
from tests.modules.test_exam_engine import _examinee

T0 = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
K = QuestionKind
#: (kind, options, key) of the fixed paper, in this order.
PAPER = [
    (K.SINGLE, ["甲", "乙", "丙", "丁"], "C"),
    (K.MULTIPLE, ["甲", "乙", "丙", "丁"], "AC"),
    (K.TRUE_FALSE, [], "T"),
    (K.FILL_IN, [], "119|火警"),
]


def _questions(session: Session) -> list[int]:
    ids = []
    for n, (kind, options, key) in enumerate(PAPER, start=1):
        q = Question(
            code=f"WB{n}",
            kind=kind,
            stem=f"错题{n}",
            options=options,
            answer=key,
            category="消防",
            analysis=f"解析{n}",
        )
        session.add(q)
        session.flush()
        ids.append(q.id)
    return ids


def _paper(session: Session, org: Org, ids: list[int]) -> int:
    paper = ExamPaper(
        name="消防复习",
        question_ids=ids,
        total_score=8,
        pass_score=4,
        enterprise_id=org.ent1,
        attempts_allowed=3,
    )
    session.add(paper)
    session.flush()
    return paper.id or -1


def _sit(session: Session, actor: Actor, paper_id: int, answers: dict[str, str], at: datetime):
    """Sit the paper: ``answers`` by stem, in the question's own letters (mapped to shown)."""
    attempt = start_attempt(session, actor, paper_id, at, rng=random.Random(3))
    view = paper_for_examinee(session, actor, attempt.id, at)
    for item in view.items:
        q = session.exec(select(Question).where(Question.stem == item.stem)).one()
        own = answers[item.stem]
        if q.kind in (K.SINGLE, K.MULTIPLE):
            wanted = {q.options[LETTERS.index(c)] for c in own}
            own = "".join(LETTERS[i] for i, text in enumerate(item.options) if text in wanted)
        save_answer(session, actor, attempt.id, item.position, own, at)
    submit(session, actor, attempt.id, at + timedelta(minutes=5))
    return attempt


#: single right, multiple half right, true/false wrong, fill-in right: 2 + 0 + 0 + 2 = 4, passed
MIXED = {"错题1": "C", "错题2": "A", "错题3": "F", "错题4": " 火 警 "}


def test_a_graded_exam_fills_the_book_with_the_wrong_ones_only(session: Session, org: Org) -> None:
    ids = _questions(session)
    paper = _paper(session, org, ids)
    a = _examinee(org.person_a, org, 1)
    attempt = _sit(session, a, paper, MIXED, T0)
    assert attempt.passed is True

    entries = wrong_book.book(session, a)
    assert [
        (e.stem, e.times_wrong, e.last_given) for e in sorted(entries, key=lambda e: e.stem)
    ] == [
        ("错题2", 1, "A"),  # in the question's own letters, whatever the shown order
        ("错题3", 1, "F"),
    ]
    assert {e.key for e in entries} == {"AC", "T"}, "the key of each book question, no other"
    assert {e.analysis for e in entries} == {"解析2", "解析3"}
    other = _examinee(org.person_a2, org, 2)
    assert wrong_book.book(session, other) == [], "nobody sees another person's book"

    # a retake: the multiple-choice question right now stays in the book, the other counts again
    _sit(session, a, paper, {**MIXED, "错题2": "AC"}, T0 + timedelta(days=1))
    again = {e.stem: e.times_wrong for e in wrong_book.book(session, a)}
    assert again == {"错题2": 1, "错题3": 2}


def test_grading_heard_twice_counts_once_and_pays_once(session: Session, org: Org) -> None:
    paper = _paper(session, org, _questions(session))
    a = _examinee(org.person_a, org, 1)
    attempt = _sit(session, a, paper, MIXED, T0)
    record = session.get(ExamRecord, attempt.exam_record_id)
    outcome = outcomes.ExamOutcome(
        person_id=org.person_a,
        paper_id=paper,
        exam_record_id=record.id,
        score=4,
        passed=True,
        submitted_at=T0,
        attempt_id=attempt.id,
    )
    outcomes.exam_graded(session, a, outcome)  # every listener a second time
    points.exam_points(session, a, outcome)
    paid = session.exec(
        select(PointsEntry).where(
            PointsEntry.person_id == org.person_a, PointsEntry.reason == PointsReason.EXAM_PASSED
        )
    ).all()
    assert [(p.points, p.ref_table, p.ref_id) for p in paid] == [(10, "exam_record", record.id)]
    assert sorted(e.times_wrong for e in wrong_book.book(session, a)) == [1, 1]


def test_practice_right_twice_masters_and_is_never_an_exam(session: Session, org: Org) -> None:
    paper = _paper(session, org, _questions(session))
    a = _examinee(org.person_a, org, 1)
    _sit(session, a, paper, MIXED, T0)
    exams = [
        session.exec(select(func.count()).select_from(m)).one() for m in (ExamAttempt, ExamRecord)
    ]
    tf = session.exec(select(Question.id).where(Question.stem == "错题3")).one()

    drawn = draw(session, a, PracticeMode.WRONG_BOOK, 10)
    assert {q.stem for q in drawn} == {"错题2", "错题3"}
    now = T0 + timedelta(days=2)
    first = answer(session, a, tf, "t", PracticeMode.WRONG_BOOK, now)
    assert (first.correct, first.key, first.analysis, first.mastered) == (True, "T", "解析3", False)
    wrong = answer(session, a, tf, "F", PracticeMode.WRONG_BOOK, now)  # the streak starts over
    assert not wrong.correct and not wrong.mastered
    answer(session, a, tf, "T", PracticeMode.WRONG_BOOK, now)
    done = answer(session, a, tf, "T", PracticeMode.WRONG_BOOK, now)
    assert done.mastered
    assert [e.stem for e in wrong_book.book(session, a)] == ["错题2"]

    multiple = session.exec(select(Question.id).where(Question.stem == "错题2")).one()
    assert answer(session, a, multiple, "ca", PracticeMode.RANDOM, now).correct
    assert not answer(session, a, multiple, "A", PracticeMode.RANDOM, now).correct, "no half marks"
    assert [
        session.exec(select(func.count()).select_from(m)).one() for m in (ExamAttempt, ExamRecord)
    ] == exams
    recorded = session.exec(select(PracticeAnswer).where(PracticeAnswer.person_id == org.person_a))
    assert len(recorded.all()) == 6


def _in_book(session: Session, org: Org, kind: QuestionKind, stem: str) -> int:
    """A question of ``kind`` in person_a's book (a short answer gets there once marked)."""
    q = Question(code=f"SA{stem}", kind=kind, stem=stem, answer="切断电源，再救人", options=[])
    session.add(q)
    session.flush()
    wrong = WrongAnswer(person_id=org.person_a, question_id=q.id or -1, last_wrong_at=T0,
                        last_given="先救人", enterprise_id=org.ent1)  # fmt: skip
    session.add(wrong)
    session.flush()
    return wrong.id or -1


def test_a_short_answer_leaves_the_book_when_its_owner_knows_it(session: Session, org: Org) -> None:
    short = _in_book(session, org, K.SHORT_ANSWER, "触电急救第一步？")
    single = _in_book(session, org, K.TRUE_FALSE, "可以带电作业？")
    a = _examinee(org.person_a, org, 1)
    entry = next(e for e in wrong_book.book(session, a) if e.wrong_id == short)
    assert (entry.key, entry.last_given) == ("切断电源，再救人", "先救人"), "the reference answer"
    assert entry.question_id not in {q.question_id for q in draw(session, a, "wrong_book", 50)}

    colleague = _examinee(org.person_a2, org, 2)
    with pytest.raises(PracticeRefused) as refused:
        self_master(session, colleague, short, T0)
    assert refused.value.key == "error.practice.not_in_book"
    with pytest.raises(PracticeRefused) as refused:
        self_master(session, a, single, T0)  # practice decides that one
    assert refused.value.key == "error.practice.practise_it"

    self_master(session, a, short, T0 + timedelta(days=1))
    assert short not in {e.wrong_id for e in wrong_book.book(session, a)}
    assert single in {e.wrong_id for e in wrong_book.book(session, a)}
    with pytest.raises(PracticeRefused):  # a second click masters nothing twice
        self_master(session, a, short, T0 + timedelta(days=1))
    trail = session.exec(
        select(AuditEntry).where(
            AuditEntry.table_name == "wrong_answer", AuditEntry.row_id == short
        )
    ).all()
    assert [(e.action, e.actor_name) for e in trail] == [("wrong_answer_self_mastered", a.username)]


def test_practice_points_stop_at_the_daily_cap(
    session: Session, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAFELOOP_POINTS_PRACTICE_DAILY_CAP", "2")
    get_settings.cache_clear()
    try:
        ids = _questions(session)
        a = _examinee(org.person_a, org, 1)
        day = T0 + timedelta(days=3)
        paid = [answer(session, a, ids[2], "T", PracticeMode.RANDOM, day).points for _ in range(3)]
        paid.append(answer(session, a, ids[2], "F", PracticeMode.RANDOM, day).points)
        paid.append(
            answer(session, a, ids[2], "T", PracticeMode.RANDOM, day + timedelta(days=1)).points
        )
    finally:
        get_settings.cache_clear()
    assert paid == [1, 1, 0, 0, 1]


def test_two_answers_landing_together_never_pass_the_cap(
    empty_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Answer B arrives while answer A (the last point of the day) is not yet committed: B
    waits for A and pays nothing, on SQLite and PostgreSQL alike."""
    monkeypatch.setenv("SAFELOOP_POINTS_PRACTICE_DAILY_CAP", "1")
    get_settings.cache_clear()
    with Session(empty_engine) as s:
        org = build_org(s)
        tf = _questions(s)[2]
        s.commit()
    a = _examinee(org.person_a, org, 1)
    day = T0 + timedelta(days=5)
    tab_a, tab_b = Session(empty_engine), Session(empty_engine)
    paid: list[int] = []
    errors: list[BaseException] = []

    def second_answer() -> None:
        try:
            paid.append(answer(tab_b, a, tf, "T", PracticeMode.RANDOM, day).points)
            tab_b.commit()
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    try:
        paid.append(answer(tab_a, a, tf, "T", PracticeMode.RANDOM, day).points)
        thread = threading.Thread(target=second_answer)
        thread.start()
        time.sleep(0.5)  # answer B is now waiting on answer A
        tab_a.commit()
        thread.join(timeout=30)
        assert not errors, errors
    finally:
        tab_a.close()
        tab_b.close()
        get_settings.cache_clear()
    assert paid == [1, 0]
    with Session(empty_engine) as s:
        total = s.exec(select(func.sum(PointsEntry.points))).one()
        answers = s.exec(select(func.count()).select_from(PracticeAnswer)).one()
    assert (total, answers) == (1, 2), "both answers recorded, the cap paid once"


def _person(session: Session, name: str, enterprise_id: int, department_id: int) -> int:
    person = Person(name=name, enterprise_id=enterprise_id, department_id=department_id)
    session.add(person)
    session.flush()
    return person.id or -1


def test_boards_rank_by_department_and_enterprise_and_stay_home(session: Session, org: Org) -> None:
    people = {
        "甲": _person(session, "甲", org.ent1, org.dept_a),
        "乙": _person(session, "乙", org.ent1, org.dept_a),
        "丙": _person(session, "丙", org.ent1, org.dept_b),
        "丁": _person(session, "丁", org.ent2, org.dept_e2),
    }
    earned = {"甲": [5, 5], "乙": [3], "丙": [20], "丁": [99]}
    for name, amounts in earned.items():
        for n, amount in enumerate(amounts, start=1):
            points.award(session, people[name], PointsReason.STUDY, "study_progress", n, amount, T0)
    a = _examinee(people["甲"], org, 1)

    department = points.leaderboard(session, a, "department", "all")
    assert [(r.rank, r.name, r.points) for r in department] == [(1, "甲", 10), (2, "乙", 3)]
    enterprise = points.leaderboard(session, a, "enterprise", "all", now=T0)
    assert [(r.rank, r.name, r.department, r.points) for r in enterprise] == [
        (1, "丙", "铸造车间", 20),
        (2, "甲", "机修车间", 10),
        (3, "乙", "机修车间", 3),
    ]
    assert "丁" not in {r.name for r in enterprise}, "another enterprise's people never show"
    assert points.leaderboard(session, a, "enterprise", "week", now=T0 + timedelta(days=30)) == []
    assert points.my_points(session, a) == {PointsReason.STUDY: 10}


def test_award_is_paid_once_and_never_raises(session: Session, org: Org) -> None:
    args = (org.person_a, PointsReason.STUDY, "study_progress", 7, 2, T0)
    assert points.award(session, *args) is True
    assert points.award(session, *args) is False  # a reload, a retry, a second tab
    rows = session.exec(select(PointsEntry).where(PointsEntry.person_id == org.person_a)).all()
    assert [(r.points, r.enterprise_id, r.department_id) for r in rows] == [
        (2, org.ent1, org.dept_a)
    ]


def test_the_demo_books_show_the_wrong_answer_each_person_gave(
    demo_session: Session, run_generator
) -> None:
    """Not "（未作答）" everywhere: each demo entry of a choice or true/false question holds an
    answer in the question's letters that is not its key."""
    run_generator("training")
    rows = demo_session.exec(
        select(WrongAnswer.last_given, Question.kind, Question.answer, Question.options).join(
            Question, Question.id == WrongAnswer.question_id
        )
    ).all()
    choices = [r for r in rows if r.kind != K.FILL_IN]
    assert len(choices) > 20
    for given, kind, key, options in choices:
        assert given and given != key, (kind, key, given)
        letters = {"T", "F"} if kind == K.TRUE_FALSE else set(LETTERS[: len(options)])
        assert set(given) <= letters, (kind, options, given)
