"""Online study as a learner meets it: time counted by the server only between close beats,
a reload that keeps it, a second tab that cannot double it (PostgreSQL too), completion at
the minimum time paying points once, and courses closed to people outside their audience."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from core.rbac import Actor, PermissionDenied
from core.training.course_completion import refresh
from core.training.study import beat, course_progress, open_material
from core.training.study_courses import material_videos, my_courses
from models.enums import DocumentState, Role, Scope
from models.system import Attachment, AuditEntry
from models.training import TrainingCourse, TrainingRecord
from models.training_exam import ExamPaper, ExamRecord
from models.training_learning import (
    AssignmentState,
    CourseMaterial,
    PointsEntry,
    PointsReason,
    StudyProgress,
    TrainingAssignment,
)
from tests.factories import Org, build_org

T0 = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
CAP = 60  # twice the default beat interval (study_beat_seconds = 30)


def _learner(org: Org, person_id: int, enterprise_id: int, department_id: int) -> Actor:
    return Actor(
        user_id=700 + person_id,
        username=f"learner{person_id}",
        roles=frozenset({Role.EMPLOYEE}),
        scope=Scope.OWN,
        enterprise_id=enterprise_id,
        department_id=department_id,
        person_id=person_id,
        grants=frozenset({("training", "view")}),
    )


def _course(
    session: Session, org: Org, minutes: tuple[int, ...] = (1,), state=DocumentState.PUBLISHED
) -> tuple[int, list[int]]:
    course = TrainingCourse(name="有限空间作业安全", enterprise_id=org.ent1, state=state, hours=2)
    session.add(course)
    session.flush()
    materials = []
    for n, m in enumerate(minutes, start=1):
        row = CourseMaterial(course_id=course.id, position=n, title=f"第{n}节", min_minutes=m)
        session.add(row)
        session.flush()
        materials.append(row.id)
    return course.id or -1, materials


@pytest.fixture
def learner(org: Org) -> Actor:
    return _learner(org, org.person_a, org.ent1, org.dept_a)


def _seconds(session: Session, actor: Actor, material: int, at: datetime) -> int:
    return beat(session, actor, material, at).seconds


def test_time_counts_only_for_gaps_within_the_cap(session, org, learner) -> None:
    _, (material,) = _course(session, org, (10,))
    assert open_material(session, learner, material, T0).seconds == 0
    assert _seconds(session, learner, material, T0 + timedelta(seconds=30)) == 30
    assert _seconds(session, learner, material, T0 + timedelta(seconds=60)) == 60
    # the tab was closed for a while: the gap counts nothing, the clock restarts
    later = T0 + timedelta(seconds=60 + CAP + 1)
    assert _seconds(session, learner, material, later) == 60
    assert _seconds(session, learner, material, later + timedelta(seconds=25)) == 85
    # a beat stamped before the previous one (a clock set back) adds nothing
    assert _seconds(session, learner, material, later) == 85
    progress = _seconds(session, learner, material, later + timedelta(seconds=30))
    assert progress == 90, "the previous beat still stands after a backward one"


def test_a_reload_keeps_the_time_and_does_not_add_any(session, org, learner) -> None:
    _, (material,) = _course(session, org, (10,))
    open_material(session, learner, material, T0)
    _seconds(session, learner, material, T0 + timedelta(seconds=30))
    # reload: the page opens the material again; nothing is reset or added
    assert open_material(session, learner, material, T0 + timedelta(seconds=40)).seconds == 30
    assert _seconds(session, learner, material, T0 + timedelta(seconds=60)) == 60
    # back the next day: opening restarts the clock, the time studied stays
    tomorrow = T0 + timedelta(days=1)
    assert open_material(session, learner, material, tomorrow).seconds == 60
    assert _seconds(session, learner, material, tomorrow + timedelta(seconds=30)) == 90
    rows = session.exec(select(StudyProgress).where(StudyProgress.material_id == material)).all()
    assert len(rows) == 1


def test_two_tabs_beating_one_material_count_the_time_once(session, org, learner) -> None:
    _, (material,) = _course(session, org, (10,))
    open_material(session, learner, material, T0)
    for second in range(15, 181, 15):  # tab A and tab B beat in turn, 15 s apart
        beat(session, learner, material, T0 + timedelta(seconds=second))
    assert _seconds(session, learner, material, T0 + timedelta(seconds=180)) == 180


def test_a_material_completes_at_its_minimum_time_and_pays_once(session, org, learner) -> None:
    course, (first, second) = _course(session, org, (1, 1))
    for material in (first, second):
        open_material(session, learner, material, T0)
        assert beat(session, learner, material, T0 + timedelta(seconds=30)).completed_at is None
        done = beat(session, learner, material, T0 + timedelta(seconds=60))
        assert done.completed_at is not None and done.seconds == 60
        beat(session, learner, material, T0 + timedelta(seconds=90))
    points = session.exec(
        select(PointsEntry).where(
            PointsEntry.person_id == org.person_a, PointsEntry.reason == PointsReason.STUDY
        )
    ).all()
    assert len(points) == 2, "one entry per material, however many beats follow"
    progress = course_progress(session, org.person_a, course)
    assert progress.studied and progress.complete and progress.fraction == 1.0
    record = session.exec(
        select(TrainingRecord).where(
            TrainingRecord.person_id == org.person_a, TrainingRecord.course_id == course
        )
    ).all()
    assert len(record) == 1, "the course is on the person's record once"


def test_course_progress_waits_for_the_exam(session, org, learner) -> None:
    course, (material, _other) = _course(session, org, (1, 2))
    paper = ExamPaper(name="有限空间考试", course_id=course, enterprise_id=org.ent1)
    session.add(paper)
    session.flush()
    open_material(session, learner, material, T0)
    beat(session, learner, material, T0 + timedelta(seconds=30))
    beat(session, learner, material, T0 + timedelta(seconds=60))
    progress = course_progress(session, org.person_a, course)
    assert [m.complete for m in progress.materials] == [True, False]
    assert [m.required for m in progress.materials] == [60, 120]
    assert progress.exam_paper_id == paper.id and not progress.exam_passed
    assert not progress.complete
    assert round(progress.fraction, 2) == 0.33


def test_people_outside_the_audience_are_refused(session, org, learner) -> None:
    _, (material,) = _course(session, org, (1,))
    outsider = _learner(org, org.person_e2, org.ent2, org.dept_e2)
    for call in (open_material, beat):
        with pytest.raises(PermissionDenied) as refused:
            call(session, outsider, material, T0)
        assert refused.value.message("en") == "This course is not open to you"
    _, (draft,) = _course(session, org, (1,), state=DocumentState.DRAFT)
    with pytest.raises(PermissionDenied):
        open_material(session, learner, draft, T0)
    no_person = Actor(1, "admin", frozenset({Role.ADMIN}), Scope.ALL)
    with pytest.raises(PermissionDenied):
        open_material(session, no_person, material, T0)
    assert (
        session.exec(
            select(StudyProgress).where(col(StudyProgress.person_id).in_([org.person_e2]))
        ).first()
        is None
    )


def test_an_assigned_course_is_listed_first_and_its_first_beat_starts_it(
    session, org, learner
) -> None:
    open_course, _ = _course(session, org, (5,))
    assigned, (material,) = _course(session, org, (5,))
    assignment = _assign(session, org, assigned, T0)
    cards = my_courses(session, learner)
    assert [c.course_id for c in cards][:1] == [assigned]
    assert cards[0].due_on == assignment.due_on and cards[0].state == AssignmentState.ASSIGNED
    assert open_course in [c.course_id for c in cards[1:]]
    open_material(session, learner, material, T0)
    beat(session, learner, material, T0 + timedelta(seconds=30))
    session.refresh(assignment)
    assert assignment.state == AssignmentState.IN_PROGRESS


def test_uploaded_videos_are_offered_to_the_player(session, org, learner) -> None:
    _, (material,) = _course(session, org, (1,))
    for n, (name, mime) in enumerate(
        [("讲解.mp4", "video/mp4"), ("讲义.pdf", "application/pdf"), ("演示.webm", "video/webm")]
    ):
        row = Attachment(sha256=f"{n}" * 64, table_name="course_material", row_id=material,
                         filename=name, mime=mime, size=1, enterprise_id=org.ent1)  # fmt: skip
        session.add(row)
    session.flush()
    videos = material_videos(session, learner, material)
    assert [(v.filename, v.mime) for v in videos] == [
        ("讲解.mp4", "video/mp4"),
        ("演示.webm", "video/webm"),
    ]
    outsider = _learner(org, org.person_e2, org.ent2, org.dept_e2)
    with pytest.raises(PermissionDenied):
        material_videos(session, outsider, material)


def _assign(session: Session, org: Org, course: int, on: datetime) -> TrainingAssignment:
    assignment = TrainingAssignment(
        person_id=org.person_a,
        course_id=course,
        assigned_on=on.date(),
        due_on=on.date() + timedelta(days=30),
        enterprise_id=org.ent1,
        department_id=org.dept_a,
    )
    session.add(assignment)
    session.flush()
    return assignment


def _study(session: Session, actor: Actor, material: int, at: datetime) -> StudyProgress:
    open_material(session, actor, material, at)
    beat(session, actor, material, at + timedelta(seconds=30))
    return beat(session, actor, material, at + timedelta(seconds=60))


def test_a_yearly_retraining_must_be_studied_again(session, org, learner) -> None:
    course, (material,) = _course(session, org, (1,))
    assert _study(session, learner, material, T0).completed_at is not None
    next_year = T0 + timedelta(days=365)
    retraining = _assign(session, org, course, next_year)
    assert not refresh(session, learner, org.person_a, course, next_year)
    session.refresh(retraining)
    assert retraining.state == AssignmentState.ASSIGNED, "last year's study does not count"
    listed = next(c for c in my_courses(session, learner) if c.course_id == course)
    assert listed.fraction == 0.0, "the study page shows it to do, not done"

    reopened = open_material(session, learner, material, next_year)
    assert (reopened.seconds, reopened.completed_at) == (0, None)
    assert [e["seconds"] for e in reopened.extra["earlier"]] == [60]
    audit = session.exec(
        select(AuditEntry).where(
            AuditEntry.table_name == "study_progress", AuditEntry.row_id == reopened.id
        )
    ).one()
    assert audit.after == {"seconds": 0, "completed_at": None}
    assert course_progress(session, org.person_a, course).fraction == 0.0

    assert _study(session, learner, material, next_year).completed_at is not None
    session.refresh(retraining)
    assert retraining.state == AssignmentState.COMPLETED
    records = session.exec(
        select(TrainingRecord).where(TrainingRecord.person_id == org.person_a)
    ).all()
    assert len(records) == 2 and records[1].assignment_id == retraining.id
    # reopening this year's completed study changes nothing
    again = open_material(session, learner, material, next_year + timedelta(hours=1))
    assert again.completed_at is not None and again.seconds == 60


def test_a_retraining_needs_an_exam_passed_after_it_was_assigned(session, org, learner) -> None:
    course, (material,) = _course(session, org, (1,))
    paper = ExamPaper(name="有限空间考试", course_id=course, enterprise_id=org.ent1)
    session.add(paper)
    session.flush()

    def passed(at: datetime) -> None:
        session.add(ExamRecord(exam_no=f"KS{at:%Y%m%d%H}", paper_id=paper.id or -1,
                               person_id=org.person_a, score=90, passed=True, started_at=at,
                               submitted_at=at, enterprise_id=org.ent1))  # fmt: skip
        session.flush()

    passed(T0)
    next_year = T0 + timedelta(days=365)
    retraining = _assign(session, org, course, next_year)
    _study(session, learner, material, next_year)
    session.refresh(retraining)
    assert retraining.state != AssignmentState.COMPLETED, "last year's exam does not count"
    progress = course_progress(session, org.person_a, course)
    assert progress.studied and not progress.exam_passed
    passed(next_year + timedelta(hours=2))
    assert refresh(session, learner, org.person_a, course, next_year + timedelta(hours=2))
    session.refresh(retraining)
    assert retraining.state == AssignmentState.COMPLETED


def test_two_tabs_racing_on_separate_connections_count_once(empty_engine: Engine) -> None:
    """Tab B's beat arrives while tab A's is not yet committed: B waits, finds the row moved
    and counts only its own 5 s, on SQLite and PostgreSQL alike."""
    with Session(empty_engine) as s:
        org = build_org(s)
        _, (material,) = _course(s, org, (10,))
        s.commit()
    actor = _learner(org, org.person_a, org.ent1, org.dept_a)
    with Session(empty_engine) as s:
        open_material(s, actor, material, T0)
        s.commit()
    tab_a, tab_b = Session(empty_engine), Session(empty_engine)
    try:
        beat(tab_a, actor, material, T0 + timedelta(seconds=20))  # not committed yet
        errors: list[BaseException] = []

        def second_tab() -> None:
            try:
                beat(tab_b, actor, material, T0 + timedelta(seconds=25))
                tab_b.commit()
            except BaseException as exc:  # reported below, in the test's thread
                errors.append(exc)

        thread = threading.Thread(target=second_tab)
        thread.start()
        time.sleep(0.5)  # tab B is now waiting on tab A's row
        tab_a.commit()
        thread.join(timeout=10)
        assert not errors, errors
    finally:
        tab_a.close()
        tab_b.close()
    with Session(empty_engine) as s:
        row = s.exec(select(StudyProgress).where(StudyProgress.material_id == material)).one()
        assert row.seconds == 25, "20 s from tab A, then 5 s from tab B"
