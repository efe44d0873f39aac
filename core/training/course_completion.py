"""Course completion: a course is complete for a person when every material of it is studied
(``StudyProgress.completed_at``) and, when the course has an exam paper, an exam of it is
passed. Completion finishes the person's open assignments of the course (through their
workflow, as the system) and writes one training record for them. A course with neither
materials nor a paper is never completed here: it is trained in a room and recorded by hand.

A retraining (next year's assignment of a course studied before) asks for the work again:
while the person has an open assignment of the course, only study completed and exams
submitted on or after the day it was assigned count (``counted_since``); the study page
restarts a material completed before that day.

The study page calls ``refresh`` after a material is completed; a graded exam calls it
through the listener below; both may call it again at no cost.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import true
from sqlmodel import Session, col, func, select

from core import audit
from core.clock import local
from core.rbac import Actor
from core.training.assignment_flow import (
    ASSIGNMENT_FLOW,
    OPEN_STATES,
    open_assignments,
    system_for,
)
from core.training.outcomes import ExamOutcome, on_exam_graded
from core.training.points import midnight
from core.workflow import fire
from models.org import Person
from models.training import TrainingCourse, TrainingRecord, TrainingResult
from models.training_exam import ExamPaper, ExamRecord
from models.training_learning import CourseMaterial, StudyProgress, TrainingAssignment


def since_assigned(assignments: list[TrainingAssignment]) -> datetime | None:
    """The UTC start of the site-local day the oldest of the open assignments was given;
    None without one (study for a course nobody assigned counts whenever it was done)."""
    if not assignments:
        return None
    return midnight(min(a.assigned_on for a in assignments))


def counted_since(session: Session, person_id: int, course_ids: set[int]) -> dict[int, datetime]:
    """Per course the person has an open assignment of, from when study and exams count
    (one GROUP BY, for the study page's list of courses)."""
    rows = session.exec(
        select(TrainingAssignment.course_id, func.min(TrainingAssignment.assigned_on))
        .where(
            TrainingAssignment.person_id == person_id,
            col(TrainingAssignment.course_id).in_(course_ids),
            col(TrainingAssignment.state).in_(OPEN_STATES),
            col(TrainingAssignment.deleted_at).is_(None),
        )
        .group_by(TrainingAssignment.course_id)
    ).all()
    return {course_id: midnight(day) for course_id, day in rows}


def _materials_studied(
    session: Session, person_id: int, course_id: int, since: datetime | None
) -> bool | None:
    """All materials studied (since ``since``); None when the course has none."""
    materials = select(CourseMaterial.id).where(
        CourseMaterial.course_id == course_id, col(CourseMaterial.deleted_at).is_(None)
    )
    total = session.exec(select(func.count()).select_from(materials.subquery())).one()
    if not total:
        return None
    studied = session.exec(
        select(func.count()).where(
            StudyProgress.person_id == person_id,
            col(StudyProgress.material_id).in_(materials),
            col(StudyProgress.completed_at).is_not(None),
            col(StudyProgress.completed_at) >= since if since else true(),
        )
    ).one()
    return studied >= total


def exam_passed(
    session: Session, person_id: int, course_id: int, since: datetime | None
) -> ExamRecord | bool | None:
    """The person's best passed exam of the course (submitted since ``since``), False when it
    has a paper they have not passed, None when it has no paper."""
    papers = select(ExamPaper.id).where(
        ExamPaper.course_id == course_id, col(ExamPaper.deleted_at).is_(None)
    )
    if session.exec(papers.limit(1)).first() is None:
        return None
    best = session.exec(
        select(ExamRecord)
        .where(
            ExamRecord.person_id == person_id,
            col(ExamRecord.paper_id).in_(papers),
            ExamRecord.passed == True,  # noqa: E712
            col(ExamRecord.deleted_at).is_(None),
            func.coalesce(ExamRecord.submitted_at, ExamRecord.started_at) >= since
            if since
            else true(),
        )
        .order_by(col(ExamRecord.score).desc(), col(ExamRecord.id).desc())
    ).first()
    return best or False


def _has_record(session: Session, person_id: int, course_id: int) -> bool:
    stmt = select(TrainingRecord.id).where(
        TrainingRecord.person_id == person_id,
        TrainingRecord.course_id == course_id,
        TrainingRecord.result == TrainingResult.PASSED,
        col(TrainingRecord.deleted_at).is_(None),
    )
    return session.exec(stmt.limit(1)).first() is not None


def refresh(session: Session, actor: Actor, person_id: int, course_id: int, on: datetime) -> bool:
    """Complete the course for the person if its materials are studied and its exam passed:
    their open assignments of it complete and one training record is written (with the
    exam's score and record). True when it completed something; with nothing open and the
    course already on the person's record, it does nothing. With an open assignment only
    the study and exams since it was assigned count."""
    assignments = open_assignments(session, person_id, course_id)
    since = since_assigned(assignments)
    studied = _materials_studied(session, person_id, course_id, since)
    exam = exam_passed(session, person_id, course_id, since)
    if (studied is None and exam is None) or studied is False or exam is False:
        return False
    if not assignments and _has_record(session, person_id, course_id):
        return False
    person, course = session.get(Person, person_id), session.get(TrainingCourse, course_id)
    if person is None or course is None:
        return False
    system, day = system_for(actor), local(on).date()
    passed = exam if isinstance(exam, ExamRecord) else None
    record = TrainingRecord(
        person_id=person_id,
        course_id=course_id,
        plan_id=assignments[0].plan_id if assignments else None,
        trained_on=day,
        hours=course.hours,
        result=TrainingResult.PASSED,
        score=passed.score if passed is not None else None,
        exam_record_id=passed.id if passed is not None else None,
        assignment_id=assignments[0].id if assignments else None,
        enterprise_id=person.enterprise_id,
        department_id=person.department_id,
        created_by=actor.user_id,
    )
    session.add(record)
    session.flush()
    audit.record(
        session,
        system,
        "create",
        table_name="training_record",
        row_id=record.id,
        enterprise_id=record.enterprise_id,
        after=audit.snapshot(record),
    )
    for a in assignments:
        payload = {"completed_on": day.isoformat(), "record_id": record.id}
        fire(session, ASSIGNMENT_FLOW, a.id or -1, "complete", system, payload=payload)
    return True


@on_exam_graded
def _exam_graded(session: Session, actor: Actor, outcome: ExamOutcome) -> None:
    """A passed exam may be the last thing a course asked for."""
    if not outcome.passed:
        return
    paper = session.get(ExamPaper, outcome.paper_id)
    if paper is not None and paper.course_id is not None:
        refresh(session, actor, outcome.person_id, paper.course_id, outcome.submitted_at)
