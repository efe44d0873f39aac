"""The exam engine as examinees and graders meet it: drawn papers, the server's clock,
autosave, grading (partial credit, the short-answer queue), retakes and the hidden key."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session, SQLModel, select

from core.audit import verify_records
from core.db import make_engine
from core.inbox import send_reminders
from core.rbac import Actor, PermissionDenied
from core.training.exam_attempts import (
    ExamRefused,
    close_expired,
    save_answer,
    start_attempt,
    submit,
)
from core.training.exam_draw import PaperUnfit
from core.training.exam_grading import multiple_marks
from core.training.exam_queue import grade_item, pending_grading
from core.training.exam_view import paper_for_examinee
from core.training.rules import LETTERS, is_correct
from models.enums import Role, Scope
from models.training_exam import (
    AttemptItem,
    AttemptState,
    ExamAttempt,
    ExamPaper,
    ExamPaperRule,
    ExamRecord,
    PartialCredit,
    Question,
    QuestionKind,
)
from tests.factories import Org, build_org
from tests.org_template import build_template, copied_session
from tests.pg import pg_available, temp_pg_database

T0 = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai: the workshop starts
K = QuestionKind
#: (category, kind, how many, options, key): the bank the papers draw from.
BANK = [
    ("消防", K.SINGLE, 6, ["甲", "乙", "丙", "丁"], "C"),
    ("消防", K.MULTIPLE, 4, ["甲", "乙", "丙", "丁"], "AC"),
    ("消防", K.TRUE_FALSE, 3, [], "T"),
    ("消防", K.FILL_IN, 2, [], "119|火警"),
    ("消防", K.SHORT_ANSWER, 2, [], "先报警，再疏散"),
    ("用电", K.SINGLE, 4, ["甲", "乙", "丙"], "B"),
]
#: The fire paper: (kind, count, points each) — 3×2 + 2×4 + 2×1 + 1×3 + 1×5 = 24.
FIRE_RULES = [
    (K.SINGLE, 3, 2),
    (K.MULTIPLE, 2, 4),
    (K.TRUE_FALSE, 2, 1),
    (K.FILL_IN, 1, 3),
    (K.SHORT_ANSWER, 1, 5),
]


def _bank(session: Session) -> None:
    n = 0
    for category, kind, count, options, key in BANK:
        for _ in range(count):
            n += 1
            tags = ["消防安全"] if category == "消防" else []
            session.add(
                Question(
                    code=f"T{n:03d}",
                    kind=kind,
                    stem=f"{category}题{n}",
                    options=options,
                    answer=key,
                    category=category,
                    tags=tags,
                    analysis=f"解析{n}",
                )
            )


def _paper(session: Session, org: Org, rules: list, category: str = "消防", **values) -> int:
    paper = ExamPaper(
        name="消防考试",
        enterprise_id=org.ent1,
        duration_minutes=30,
        total_score=24,
        pass_score=14,
        **values,
    )
    session.add(paper)
    session.flush()
    for pos, (kind, count, points) in enumerate(rules, start=1):
        session.add(
            ExamPaperRule(
                paper_id=paper.id,
                position=pos,
                category=category,
                kind=kind,
                count=count,
                points_each=points,
            )
        )
    session.flush()
    return paper.id


def _examinee(person_id: int, org: Org, user_id: int) -> Actor:
    return Actor(
        user_id=user_id,
        username=f"u{user_id}",
        roles=frozenset({Role.EMPLOYEE}),
        scope=Scope.OWN,
        enterprise_id=org.ent1,
        department_id=org.dept_a,
        person_id=person_id,
        grants=frozenset({("training", "view")}),
    )


def _grader(enterprise_id: int) -> Actor:
    return Actor(
        user_id=900 + enterprise_id,
        username="grader",
        roles=frozenset({"safety_head"}),
        scope=Scope.ENTERPRISE,
        enterprise_id=enterprise_id,
        grants=frozenset({("training", "view"), ("training", "approve")}),
    )


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Org]:
    return build_template(tmp_path_factory.mktemp("exam"), _bank)


@pytest.fixture
def world(template, tmp_path: Path):
    path = tmp_path / "exam.db"
    with copied_session(template[0], path) as session:
        yield session, template[1], path


def _key_position(session: Session, view, item) -> str:
    """The shown letter(s) a person who knows the answer picks: by option text."""
    stored = select(AttemptItem.question_id).where(
        AttemptItem.attempt_id == view.attempt_id, AttemptItem.position == item.position
    )
    question = session.get(Question, session.exec(stored).one())
    wanted = {question.options[LETTERS.index(c)] for c in question.answer}
    return "".join(LETTERS[i] for i, text_ in enumerate(item.options) if text_ in wanted)


def _answer_all_right(session: Session, actor: Actor, view, now: datetime) -> None:
    for item in view.items:
        answer = {K.TRUE_FALSE: "t", K.FILL_IN: " 火 警 ", K.SHORT_ANSWER: "报警"}.get(item.kind)
        save_answer(
            session,
            actor,
            view.attempt_id,
            item.position,
            answer or _key_position(session, view, item),
            now,
        )


def test_each_person_gets_their_own_paper_and_a_reload_the_same(world) -> None:
    session, org, _ = world
    paper = _paper(session, org, FIRE_RULES)
    a, b = _examinee(org.person_a, org, 1), _examinee(org.person_a2, org, 2)
    first = start_attempt(session, a, paper, T0, rng=random.Random(1))
    other = start_attempt(session, b, paper, T0, rng=random.Random(2))
    view_a = paper_for_examinee(session, a, first.id, T0)
    view_b = paper_for_examinee(session, b, other.id, T0)
    shown = [[(i.stem, i.options) for i in v.items] for v in (view_a, view_b)]
    assert shown[0] != shown[1]

    again = start_attempt(session, a, paper, T0 + timedelta(minutes=5))  # a reload
    assert again.id == first.id and again.deadline_at == first.deadline_at
    assert paper_for_examinee(session, a, again.id, T0).items == view_a.items


def test_rules_set_counts_points_and_categories(world) -> None:
    session, org, _ = world
    paper = _paper(session, org, FIRE_RULES)
    view = paper_for_examinee(
        session, a := _examinee(org.person_a, org, 1), start_attempt(session, a, paper, T0).id, T0
    )
    assert Counter(i.kind for i in view.items) == {
        K.SINGLE: 3,
        K.MULTIPLE: 2,
        K.TRUE_FALSE: 2,
        K.FILL_IN: 1,
        K.SHORT_ANSWER: 1,
    }
    assert sum(i.points for i in view.items) == 24
    assert all(i.stem.startswith("消防") for i in view.items)
    assert view.seconds_left == 30 * 60 and len({i.stem for i in view.items}) == 9


def test_a_retake_prefers_questions_not_seen(world) -> None:
    session, org, _ = world
    paper = _paper(session, org, [(K.SINGLE, 3, 8)], category="用电", attempts_allowed=2)
    a = _examinee(org.person_a, org, 1)
    first = start_attempt(session, a, paper, T0)
    seen = {i.stem for i in paper_for_examinee(session, a, first.id, T0).items}
    submit(session, a, first.id, T0 + timedelta(minutes=10))
    second = start_attempt(session, a, paper, T0 + timedelta(days=1))
    retake = paper_for_examinee(session, a, second.id, T0 + timedelta(days=1))
    stems = [i.stem for i in retake.items]
    assert second.attempt_no == 2 and len(stems) == 3
    assert len(set(stems) - seen) == 1  # the only unseen one of four, then two seen again


def test_a_bank_that_cannot_fill_the_rules_is_refused(world) -> None:
    session, org, _ = world
    paper = _paper(session, org, [(K.SINGLE, 5, 4)], category="用电")
    with pytest.raises(PaperUnfit) as refused:
        start_attempt(session, _examinee(org.person_a, org, 1), paper, T0)
    assert "4" in refused.value.message("en") and "Single choice" in refused.value.message("en")


def test_shuffled_options_grade_against_the_remapped_key(world) -> None:
    session, org, _ = world
    paper = _paper(session, org, [(K.SINGLE, 6, 2), (K.MULTIPLE, 4, 3)])
    a = _examinee(org.person_a, org, 1)
    attempt = start_attempt(session, a, paper, T0, rng=random.Random(7))
    view = paper_for_examinee(session, a, attempt.id, T0)
    shown = [_key_position(session, view, i) for i in view.items]
    assert any(s not in ("C", "AC") for s in shown)  # the options really moved
    _answer_all_right(session, a, view, T0 + timedelta(minutes=1))
    submit(session, a, attempt.id, T0 + timedelta(minutes=2))
    assert (attempt.state, attempt.score, attempt.passed) == (AttemptState.GRADED, 24, True)


def test_the_clock_is_the_servers_with_grace_then_auto_submit(world) -> None:
    session, org, _ = world
    paper = _paper(session, org, [(K.TRUE_FALSE, 2, 12)], grace_seconds=60)
    a = _examinee(org.person_a, org, 1)
    attempt = start_attempt(session, a, paper, T0)
    deadline = T0 + timedelta(minutes=30)
    save_answer(session, a, attempt.id, 1, "T", deadline + timedelta(seconds=30))  # in grace
    late = deadline + timedelta(seconds=61)
    with pytest.raises(ExamRefused, match="time_up"):
        save_answer(session, a, attempt.id, 2, "T", late)
    with pytest.raises(ExamRefused, match="time_up"):
        submit(session, a, attempt.id, late)
    assert paper_for_examinee(session, a, attempt.id, deadline).seconds_left == 0

    assert close_expired(session, late) == 1
    assert close_expired(session, late) == 0
    assert (attempt.state, attempt.auto_submitted, attempt.score) == (AttemptState.GRADED, True, 12)
    assert attempt.submitted_at == deadline + timedelta(seconds=60)
    with pytest.raises(ExamRefused, match="already_submitted"):
        save_answer(session, a, attempt.id, 2, "T", late)


def test_autosaved_answers_survive_a_restart(world) -> None:
    session, org, path = world
    paper = _paper(session, org, FIRE_RULES)
    a = _examinee(org.person_a, org, 1)
    attempt = start_attempt(session, a, paper, T0)
    save_answer(session, a, attempt.id, 1, "A", T0)
    session.commit()
    fresh_engine = make_engine(f"sqlite:///{path}")  # a new server process
    with Session(fresh_engine) as fresh:
        view = paper_for_examinee(fresh, a, attempt.id, T0 + timedelta(minutes=3))
        assert view.items[0].answer == "A" and view.seconds_left == 27 * 60
        assert start_attempt(fresh, a, paper, T0 + timedelta(minutes=3)).id == attempt.id
    fresh_engine.dispose()


@pytest.mark.parametrize(
    ("rule", "given", "marks"),
    [
        (PartialCredit.NONE, "AC", 4),
        (PartialCredit.NONE, "A", 0),
        (PartialCredit.PROPORTIONAL, "A", 2),
        (PartialCredit.PROPORTIONAL, "AB", 0),
        (PartialCredit.PROPORTIONAL, "ABC", 2),
        (PartialCredit.HALF_IF_SUBSET, "C", 2),
        (PartialCredit.HALF_IF_SUBSET, "CD", 0),
        (PartialCredit.HALF_IF_SUBSET, "", 0),
    ],
)
def test_multiple_choice_partial_credit(rule: PartialCredit, given: str, marks: float) -> None:
    assert multiple_marks("AC", given, 4, rule) == marks


def test_fill_in_accepts_any_listed_answer_whatever_case_and_spaces() -> None:
    assert is_correct(K.FILL_IN, "119|火警", " 1 19 ")
    assert is_correct(K.FILL_IN, "CO2|二氧化碳", "co2")
    assert not is_correct(K.FILL_IN, "119|火警", "110")


def test_short_answers_wait_for_a_grader_then_the_record_is_written(world) -> None:
    session, org, _ = world
    paper = _paper(session, org, FIRE_RULES, partial_credit=PartialCredit.PROPORTIONAL)
    a = _examinee(org.person_a, org, 1)
    attempt = start_attempt(session, a, paper, T0)
    _answer_all_right(session, a, paper_for_examinee(session, a, attempt.id, T0), T0)
    submit(session, a, attempt.id, T0 + timedelta(minutes=20))
    assert attempt.state == AttemptState.SUBMITTED and attempt.score is None

    assert pending_grading(session, _grader(org.ent2)) == []
    with pytest.raises(PermissionDenied):
        pending_grading(session, a)
    (pending,) = pending_grading(session, grader := _grader(org.ent1))
    assert pending.given == "报警" and pending.points == 5
    with pytest.raises(PermissionDenied):
        grade_item(session, _grader(org.ent2), pending.item_id, 3)
    with pytest.raises(Exception, match="bad_marks"):
        grade_item(session, grader, pending.item_id, 6)
    grade_item(session, grader, pending.item_id, 3)

    assert (attempt.state, attempt.score, attempt.passed) == (AttemptState.GRADED, 22, True)
    record = session.get(ExamRecord, attempt.exam_record_id)
    assert (record.person_id, record.paper_id, record.attempt, record.score, record.passed) == (
        org.person_a,
        paper,
        1,
        22,
        True,
    )
    assert record.exam_no.startswith("KS20261124") and record.submitted_at == attempt.submitted_at
    assert len(record.answers["wrong"]) == 1 and pending_grading(session, grader) == []
    assert verify_records(session) == []  # every app write left its seal


def test_retakes_follow_the_paper(world) -> None:
    session, org, _ = world
    paper = _paper(session, org, [(K.TRUE_FALSE, 2, 12)])
    a = _examinee(org.person_a, org, 1)
    submit(session, a, start_attempt(session, a, paper, T0).id, T0 + timedelta(minutes=1))
    with pytest.raises(ExamRefused) as refused:
        start_attempt(session, a, paper, T0 + timedelta(days=1))
    assert refused.value.message("en") == "All 1 attempts allowed for this paper are used"


@pytest.mark.parametrize("show", [False, True])
def test_the_key_stays_hidden_until_submission_and_then_as_the_paper_says(world, show) -> None:
    session, org, _ = world
    paper = _paper(session, org, FIRE_RULES, show_answers_after_submit=show)
    a = _examinee(org.person_a, org, 1)
    attempt = start_attempt(session, a, paper, T0)
    before = paper_for_examinee(session, a, attempt.id, T0)
    assert {(i.key, i.analysis, i.awarded) for i in before.items} == {(None, None, None)}
    assert "先报警" not in repr(before) and "119" not in repr(before)
    _answer_all_right(session, a, before, T0)
    submit(session, a, attempt.id, T0 + timedelta(minutes=5))
    after = paper_for_examinee(session, a, attempt.id, T0 + timedelta(minutes=5))
    if not show:
        assert {i.key for i in after.items} == {None}
        return
    choices = [i for i in after.items if i.kind in (K.SINGLE, K.MULTIPLE)]
    assert all(i.key == i.answer for i in choices)  # the key in the letters shown
    assert all(i.analysis for i in after.items)


def test_nobody_answers_in_someone_elses_paper(world) -> None:
    session, org, _ = world
    paper = _paper(session, org, FIRE_RULES)
    a, b = _examinee(org.person_a, org, 1), _examinee(org.person_a2, org, 2)
    attempt = start_attempt(session, a, paper, T0)
    for step in (
        lambda: save_answer(session, b, attempt.id, 1, "A", T0),
        lambda: submit(session, b, attempt.id, T0),
        lambda: paper_for_examinee(session, b, attempt.id, T0),
        lambda: save_answer(session, _grader(org.ent1), attempt.id, 1, "A", T0),
    ):
        with pytest.raises(PermissionDenied):
            step()
    assert paper_for_examinee(session, a, attempt.id, T0).answered == 0


def test_another_enterprises_paper_cannot_be_started(world) -> None:
    session, org, _ = world
    paper = _paper(session, org, FIRE_RULES)
    session.get(ExamPaper, paper).enterprise_id = org.ent2
    with pytest.raises(PermissionDenied, match="not_your_paper"):
        start_attempt(session, _examinee(org.person_a, org, 1), paper, T0)


def test_a_submitted_answer_changed_in_sql_is_named(world) -> None:
    session, org, _ = world
    paper = _paper(session, org, [(K.TRUE_FALSE, 2, 12)])
    a = _examinee(org.person_a, org, 1)
    attempt = start_attempt(session, a, paper, T0)
    save_answer(session, a, attempt.id, 1, "F", T0)
    submit(session, a, attempt.id, T0 + timedelta(minutes=1))
    session.execute(text("UPDATE attempt_item SET answer_given = 'T', awarded = 12"))
    assert {f.table for f in verify_records(session)} == {"attempt_item"}


@pytest.mark.postgres
def test_an_exam_on_postgres() -> None:
    ok, reason = pg_available()
    if not ok:
        pytest.skip(reason)
    with temp_pg_database() as url:
        engine = make_engine(url)
        SQLModel.metadata.create_all(engine)
        with Session(engine, expire_on_commit=False) as session:
            org = build_org(session)
            _bank(session)
            paper = _paper(session, org, FIRE_RULES)
            session.commit()
            a = _examinee(org.person_a, org, 1)
            attempt = start_attempt(session, a, paper, T0)
            _answer_all_right(session, a, paper_for_examinee(session, a, attempt.id, T0), T0)
            session.commit()
            submit(session, a, attempt.id, T0 + timedelta(minutes=3))
            grader = _grader(org.ent1)
            grade_item(session, grader, pending_grading(session, grader)[0].item_id, 5)
            session.commit()
            assert session.get(ExamAttempt, attempt.id).score == 24
        engine.dispose()


def test_safeloop_remind_hands_in_attempts_left_open(world) -> None:
    session, org, _ = world
    paper = _paper(session, org, [(K.TRUE_FALSE, 2, 12)])
    a = _examinee(org.person_a, org, 1)
    attempt = start_attempt(session, a, paper, T0)  # weeks before the real clock's today
    save_answer(session, a, attempt.id, 1, "T", T0)

    assert ("exam attempts past their time", 1) in send_reminders(session, date.today())
    assert (attempt.state, attempt.auto_submitted, attempt.score) == (AttemptState.GRADED, True, 12)


def test_an_answer_outside_the_shown_choices_is_refused(world) -> None:
    session, org, _ = world
    paper = _paper(
        session, org, [(K.SINGLE, 1, 12), (K.TRUE_FALSE, 1, 12)], shuffle_questions=False
    )
    a = _examinee(org.person_a, org, 1)
    attempt = start_attempt(session, a, paper, T0)
    for position, answer in ((1, "E"), (2, "X")):
        with pytest.raises(ExamRefused) as refused:
            save_answer(session, a, attempt.id, position, answer, T0)
        assert refused.value.message("en") == "Choose among the options shown"
    with pytest.raises(ExamRefused, match="no_question"):
        save_answer(session, a, attempt.id, 3, "T", T0)
