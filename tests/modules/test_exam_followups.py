"""What an exam sets off beyond its own paper: the to-do lines of the examinee and the
marker, and the course assignment that starting the course's exam puts in progress."""

# ruff: noqa: F811  (the tests take the imported fixtures by name)
from __future__ import annotations

from datetime import timedelta

from core.training.exam_attempts import start_attempt, submit
from core.training.exam_view import paper_for_examinee
from core.training.todo import answers_to_mark, exams_in_progress
from models.training import TrainingCourse
from models.training_learning import AssignmentState, TrainingAssignment
from tests.modules.test_exam_engine import (  # noqa: F401  (template and world are fixtures)
    FIRE_RULES,
    T0,
    _answer_all_right,
    _examinee,
    _grader,
    _paper,
    template,
    world,
)


def test_the_to_do_list_names_an_open_exam_and_answers_to_mark(world) -> None:
    """The examinee's home lists the paper they left open with its hand-in time (08:30 in
    Shanghai); the marker's lists the short answers waiting, and neither once it is done."""
    session, org, _ = world
    paper = _paper(session, org, FIRE_RULES)
    a = _examinee(org.person_a, org, 1)
    attempt = start_attempt(session, a, paper, T0)
    (line,) = exams_in_progress(session, a, T0.date())
    assert line.params == {"title": "消防考试", "due": "11-24 08:30"}
    assert line.page == "pages/training_exam.py"
    grader = _grader(org.ent1)
    assert answers_to_mark(session, grader, T0.date()) == []

    _answer_all_right(session, a, paper_for_examinee(session, a, attempt.id, T0), T0)
    submit(session, a, attempt.id, T0 + timedelta(minutes=20))
    assert exams_in_progress(session, a, T0.date()) == []
    (marking,) = answers_to_mark(session, grader, T0.date())
    assert marking.params == {"answers": 1, "attempts": 1}
    assert answers_to_mark(session, a, T0.date()) == []  # an examinee marks nothing


def test_starting_the_course_exam_puts_its_assignment_in_progress(world) -> None:
    session, org, _ = world
    course = TrainingCourse(name="消防培训", enterprise_id=org.ent1)
    session.add(course)
    session.flush()
    paper = _paper(session, org, FIRE_RULES, course_id=course.id)
    assignment = TrainingAssignment(person_id=org.person_a, course_id=course.id,
                                    assigned_on=T0.date(), due_on=T0.date() + timedelta(days=30),
                                    enterprise_id=org.ent1)  # fmt: skip
    session.add(assignment)
    session.flush()
    start_attempt(session, _examinee(org.person_a, org, 1), paper, T0)
    session.refresh(assignment)
    assert assignment.state == AssignmentState.IN_PROGRESS
