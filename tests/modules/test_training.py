"""Training: course types and question bank from the reference files, exam pass rule,
certificate dates, demo volumes and determinism."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date

import pytest
from sqlmodel import delete, select

from core.config import REPO_ROOT
from core.crud.registry import get_spec
from core.crud.service import ListQuery, list_rows
from core.rbac import SYSTEM, actor_for
from core.training.offline_scores import OfflineScore, record_scores
from core.training.rules import answer_problems, certificate_dates, is_correct, is_passed
from models.accounts import User
from models.enums import DocumentState
from models.org import Person
from models.training import (
    TrainingCertificate,
    TrainingCertificateKind,
    TrainingCourse,
    TrainingCourseType,
    TrainingPlan,
    TrainingPlanState,
)
from models.training_exam import ExamPaper, ExamRecord, Question, QuestionKind
from models.training_learning import PointsEntry, PracticeAnswer, WrongAnswer
from tests.modules.conftest import TODAY

REFERENCE = REPO_ROOT / "data/reference/training"


def test_course_types_carry_statutory_hours(demo_session) -> None:
    types = {t.code: t for t in demo_session.exec(select(TrainingCourseType)).all()}
    assert len(types) == 12
    assert (types["PRIN"].min_hours, types["PRIN"].refresher_hours) == (32, 12)
    assert (types["MGR"].min_hours, types["MGR"].refresher_hours) == (32, 12)
    assert types["NEW"].min_hours == 24


def test_question_bank_is_loaded_and_answers_are_valid(demo_session) -> None:
    doc = json.loads((REFERENCE / "questions.json").read_text("utf-8"))
    assert doc["table"] == "question" and "安全生产法" in doc["source"]
    questions = demo_session.exec(select(Question)).all()
    assert len(questions) == len(doc["rows"]) >= 60
    kinds = Counter(q.kind for q in questions)
    assert set(kinds) == set(QuestionKind)
    for q in questions:
        assert answer_problems(q.kind, q.options, q.answer) == [], q.code
    by_code = {q.code: q for q in questions}
    assert "6" in by_code["Q006"].options[2] and by_code["Q006"].answer == "C"  # valid 6 years


@pytest.mark.parametrize(
    ("score", "pass_score", "passed"),
    [(60, 60, True), (59.5, 60, False), (100, 80, True), (79, 80, False), (0, 0, True)],
)
def test_exam_passes_at_the_pass_score(score: float, pass_score: float, passed: bool) -> None:
    assert is_passed(score, pass_score) is passed


def test_grading_and_answer_format() -> None:
    assert is_correct(QuestionKind.MULTIPLE, "ABC", "cab")
    assert not is_correct(QuestionKind.MULTIPLE, "ABC", "AB")
    assert is_correct(QuestionKind.TRUE_FALSE, "T", "t")
    assert not is_correct(QuestionKind.SHORT_ANSWER, "x", "x")  # marked by hand
    assert answer_problems(QuestionKind.SINGLE, ["a", "b"], "AB")
    assert answer_problems(QuestionKind.SINGLE, ["a", "b"], "C")
    assert answer_problems(QuestionKind.MULTIPLE, ["a", "b", "c"], "A")
    assert not answer_problems(QuestionKind.MULTIPLE, ["a", "b", "c"], "AC")


def test_special_operation_certificate_six_years_review_every_three() -> None:
    assert certificate_dates(TrainingCertificateKind.SPECIAL_OPERATION, date(2024, 2, 29)) == (
        date(2030, 2, 28),
        date(2027, 2, 28),
    )
    assert certificate_dates(TrainingCertificateKind.INTERNAL, date(2025, 5, 1)) == (
        date(2028, 5, 1),
        None,
    )


def test_demo_volumes_pass_rate_and_rules(demo_session, run_generator) -> None:
    counts = run_generator("training")
    assert counts["training_course"] == 30 + 2 * 8
    papers = demo_session.exec(select(ExamPaper)).all()
    main_papers = [p for p in papers if p.enterprise_id == papers[0].enterprise_id]
    assert 15 <= len(main_papers) <= 25
    records = demo_session.exec(select(ExamRecord)).all()
    assert 5_500 * 3 <= len(records) <= 6_500 * 3
    rate = sum(r.passed for r in records) / len(records)
    assert 0.8 <= rate <= 0.9
    pass_score = {p.id: p.pass_score for p in papers}
    assert all(r.passed == is_passed(r.score, pass_score[r.paper_id]) for r in records)
    assert any(r.attempt > 1 for r in records)  # retakes
    years = Counter(r.started_at.year for r in records)
    assert len(years) >= 3
    assert counts["training_record"] > 3_000 and counts["training_plan"] > 150
    certs = demo_session.exec(select(TrainingCertificate)).all()
    special = [c for c in certs if c.kind == TrainingCertificateKind.SPECIAL_OPERATION]
    assert special and all(
        c.expires_on == certificate_dates(c.kind, c.issued_on)[0] for c in special
    )


def test_demo_states_follow_the_flows_and_people_read_their_own_records(
    demo_session, run_generator
) -> None:
    run_generator("training")
    plans = demo_session.exec(select(TrainingPlan)).all()
    assert {p.state for p in plans} <= set(TrainingPlanState)
    assert all(p.state in ("draft", "approved") for p in plans if p.planned_on > TODAY)
    courses = demo_session.exec(select(TrainingCourse)).all()
    assert {c.state for c in courses} == {DocumentState.PUBLISHED}
    user = demo_session.exec(select(User).where(User.username == "employee")).one()
    employee = actor_for(demo_session, user)
    for table in ("exam_record", "training_record", "training_certificate", "training_course"):
        rows = list_rows(demo_session, get_spec(table), employee, ListQuery(page_size=500)).rows
        assert rows, table
        if table != "training_course":
            assert {r.person_id for r in rows} == {user.person_id}, table


def test_demo_is_deterministic(demo_session, run_generator) -> None:
    def snapshot() -> list[tuple]:
        rows = demo_session.exec(select(ExamRecord).order_by(ExamRecord.id)).all()
        return [(r.exam_no, r.person_id, r.score, r.passed, r.attempt, r.started_at) for r in rows]

    first_counts = run_generator("training")
    first = snapshot()
    # rows keyed by person (the book, points) and numbered ones would collide on a second run
    for model in (WrongAnswer, PracticeAnswer, PointsEntry, ExamRecord):
        demo_session.execute(delete(model))
    demo_session.flush()
    assert run_generator("training") == first_counts
    assert [r[1:] for r in snapshot()] == [r[1:] for r in first]


def test_exam_record_passed_comes_from_the_papers_pass_score(demo_session, run_generator) -> None:
    """Not the user but the paper decides ``passed``: an offline score is recorded as an
    online one would be (exam records are never typed in)."""
    run_generator("training")
    paper = demo_session.exec(select(ExamPaper).where(ExamPaper.pass_score == 80)).first()
    person = demo_session.exec(select(Person)).first()
    day = date(2026, 11, 20)
    low, high = record_scores(
        demo_session,
        SYSTEM,
        [OfflineScore(person.id, paper.id, 79, day), OfflineScore(person.id, paper.id, 80, day)],
    )
    assert (low.passed, high.passed) == (False, True)
    assert low.enterprise_id == person.enterprise_id
