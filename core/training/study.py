"""Online study: the time a person spends on a course's materials, counted by the server.

The study page reports ("beats") every ``study_beat_seconds`` while a material is open. The
server adds the time since the previous beat only when that gap is at most twice the beat
interval, so a tab left closed overnight, a reload after a break or a client clock set
forward adds nothing; the time itself is the server's ``now``. Each beat is one conditional
``UPDATE`` that names the seconds and the previous beat it read: a second tab beating the
same material finds the row moved and counts only its own gap since that beat, so two tabs
never count the same minute twice. The progress row is one per person and material
(unique), so a reload reopens it instead of starting again.

A retraining starts the count again: opening a material completed before the day the
person's open assignment of the course was given resets its seconds (the earlier total and
completion stay in ``extra["earlier"]`` and the audit trail).

A material studied to its minimum time is completed once (a conditional ``UPDATE`` of
``completed_at``), which pays the study points and asks ``course_completion`` whether the
whole course is now done. The caller commits; each function writes in one savepoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from core import audit
from core.config import get_settings
from core.crud.lookup import visible_row
from core.db import as_utc, upsert_insert
from core.i18n import Translatable
from core.rbac import Actor, PermissionDenied
from core.training import course_completion, points
from core.training.assignment_flow import mark_started
from core.training.trainee import trainee
from models.enums import Action, Module
from models.org import Person
from models.training import TrainingCourse
from models.training_exam import ExamPaper, ExamRecord
from models.training_learning import (
    AssignmentState,
    CourseMaterial,
    PointsReason,
    StudyProgress,
    TrainingAssignment,
)

#: Tries of a beat's conditional update when another tab moved the row in between.
RETRIES = 3


class StudyRefused(Translatable):
    """A material that is not there (deleted, or never was)."""


@dataclass(frozen=True)
class MaterialProgress:
    """One material as the study page lists it."""

    material_id: int
    position: int
    title: str
    kind: str
    seconds: int
    required: int  # seconds
    complete: bool

    @property
    def fraction(self) -> float:
        if self.complete:
            return 1.0
        return min(1.0, self.seconds / self.required) if self.required else 0.0


@dataclass(frozen=True)
class CourseProgress:
    """A person's progress on one course: each material, and the course's exam."""

    course_id: int
    materials: tuple[MaterialProgress, ...]
    exam_paper_id: int | None
    exam_passed: bool

    @property
    def studied(self) -> bool:
        return all(m.complete for m in self.materials)

    @property
    def fraction(self) -> float:
        return course_fraction(self.materials)

    @property
    def complete(self) -> bool:
        return self.studied and (self.exam_paper_id is None or self.exam_passed)


def course_fraction(materials: tuple[MaterialProgress, ...] | list[MaterialProgress]) -> float:
    """Share of a course's required study time done (complete materials count in full)."""
    required = sum(max(m.required, 1) for m in materials)
    done = sum(m.fraction * max(m.required, 1) for m in materials)
    return done / required if required else 0.0


def cap_seconds() -> int:
    """The longest gap between two beats that still counts as study time."""
    return 2 * get_settings().study_beat_seconds


def learner(session: Session, actor: Actor) -> Person:
    """The person studying (``trainee``)."""
    return trainee(session, actor, "error.study.not_learner")


def readable_course(session: Session, actor: Actor, course_id: int) -> TrainingCourse:
    """The course, if the actor may read it: published to an audience they belong to (or in
    their editing scope, drafts included), or assigned to them."""
    actor.require(Module.TRAINING, Action.VIEW)
    course = visible_row(session, "training_course", actor, course_id)
    if course is None and actor.person_id is not None and _assigned(session, actor, course_id):
        course = session.get(TrainingCourse, course_id)
    if course is None or course.deleted_at is not None:
        raise PermissionDenied("error.study.not_open")
    return course


def _assigned(session: Session, actor: Actor, course_id: int) -> bool:
    stmt = select(TrainingAssignment.id).where(
        TrainingAssignment.person_id == actor.person_id,
        TrainingAssignment.course_id == course_id,
        TrainingAssignment.state != AssignmentState.WAIVED,
        col(TrainingAssignment.deleted_at).is_(None),
    )
    return session.exec(stmt).first() is not None


def readable_material(session: Session, actor: Actor, material_id: int) -> CourseMaterial:
    """A live material of a course the actor may read."""
    material = session.get(CourseMaterial, material_id)
    if material is None or material.deleted_at is not None:
        raise StudyRefused("error.study.no_material")
    readable_course(session, actor, material.course_id)
    return material


def open_material(session: Session, actor: Actor, material_id: int, now: datetime) -> StudyProgress:
    """Start (or resume) studying: the person's progress row, its clock restarted at ``now``
    when it stopped more than the cap ago; a clock still running (a reload, another tab) is
    left as it is. Study completed before the person's open assignment of the course was
    given (last year's, for this year's retraining) starts again from nothing."""
    person = learner(session, actor)
    material = readable_material(session, actor, material_id)
    with session.begin_nested():
        progress_id = _progress_id(session, person, material, now)
        _restart_if_before(session, actor, progress_id, now)
        session.execute(
            update(StudyProgress)
            .where(
                col(StudyProgress.id) == progress_id,
                col(StudyProgress.last_beat_at).is_(None)
                | (col(StudyProgress.last_beat_at) < now - timedelta(seconds=cap_seconds())),
            )
            .values(last_beat_at=now)
        )
        _complete_if_due(session, actor, person.id or -1, material, progress_id, now)
    return _fresh(session, progress_id)


def _restart_if_before(session: Session, actor: Actor, progress_id: int, now: datetime) -> None:
    """Reset a material completed before the open assignment's day: one conditional UPDATE
    guarded by the completion read, so two tabs opening at once reset it once."""
    row = _fresh(session, progress_id)
    since = course_completion.counted_since(session, row.person_id, {row.course_id}).get(
        row.course_id
    )
    if since is None or not _stale(row, since):
        return
    assert row.completed_at is not None  # _stale checked it
    before = {"seconds": row.seconds, "completed_at": as_utc(row.completed_at).isoformat()}
    earlier = [*row.extra.get("earlier", []), before]
    moved = session.execute(
        update(StudyProgress)
        .where(
            col(StudyProgress.id) == progress_id,
            col(StudyProgress.completed_at) == row.completed_at,
        )
        .values(
            seconds=0, completed_at=None, last_beat_at=now, extra={**row.extra, "earlier": earlier}
        )
    )
    if moved.rowcount:  # type: ignore[attr-defined]
        audit.record(
            session,
            actor,
            "update",
            table_name="study_progress",
            row_id=progress_id,
            enterprise_id=row.enterprise_id,
            before=before,
            after={"seconds": 0, "completed_at": None},
            detail={"reason": "retraining", "counted_since": since.isoformat()},
        )


def _stale(row: StudyProgress | None, since: datetime | None) -> bool:
    """Completed before the open assignment was given: it counts for nothing now."""
    done = row.completed_at if row is not None else None
    return done is not None and since is not None and as_utc(done) < since


def beat(session: Session, actor: Actor, material_id: int, now: datetime) -> StudyProgress:
    """The page says the material is still open: add the time since the previous beat when
    that gap is within the cap, else restart the clock; complete the material at its
    minimum time."""
    person = learner(session, actor)
    material = readable_material(session, actor, material_id)
    with session.begin_nested():
        progress_id = _progress_id(session, person, material, now)
        before, added = _count(session, progress_id, now)
        person_id, course_id = person.id or -1, material.course_id
        if before == 0 < added and _first_in_course(session, person_id, course_id, progress_id):
            mark_started(session, actor, person_id, course_id)
        _complete_if_due(session, actor, person.id or -1, material, progress_id, now)
    return _fresh(session, progress_id)


def _count(session: Session, progress_id: int, now: datetime) -> tuple[int, int]:
    """One conditional UPDATE per try, guarded by the seconds and the previous beat read.
    Returns the seconds before and the seconds added (0 when the gap was over the cap,
    negative or lost to another tab)."""
    cap = cap_seconds()
    for _ in range(RETRIES):
        seconds, last = session.execute(
            select(StudyProgress.seconds, StudyProgress.last_beat_at).where(
                StudyProgress.id == progress_id
            )
        ).one()
        gap = (now - as_utc(last)).total_seconds() if last is not None else cap + 1
        added = int(gap) if 0 <= gap <= cap else 0
        guard = (
            col(StudyProgress.last_beat_at).is_(None)
            if last is None
            else col(StudyProgress.last_beat_at) == last
        )
        moved = session.execute(
            update(StudyProgress)
            .where(col(StudyProgress.id) == progress_id, StudyProgress.seconds == seconds, guard)
            .values(
                seconds=seconds + added,
                last_beat_at=now if last is None or gap >= 0 else last,
            )
        )
        if moved.rowcount:  # type: ignore[attr-defined]
            return seconds, added
    return seconds, 0


def _first_in_course(session: Session, person_id: int, course_id: int, progress_id: int) -> bool:
    """No other material of the course has counted time for the person yet."""
    other = session.exec(
        select(StudyProgress.id).where(
            StudyProgress.person_id == person_id,
            StudyProgress.course_id == course_id,
            StudyProgress.id != progress_id,
            StudyProgress.seconds > 0,
        )
    ).first()
    return other is None


def _complete_if_due(
    session: Session,
    actor: Actor,
    person_id: int,
    material: CourseMaterial,
    progress_id: int,
    now: datetime,
) -> None:
    """Complete the material once it reached its minimum time: one conditional UPDATE, so
    the points and the course check follow exactly once."""
    done = session.execute(
        update(StudyProgress)
        .where(
            col(StudyProgress.id) == progress_id,
            col(StudyProgress.completed_at).is_(None),
            StudyProgress.seconds >= material.min_minutes * 60,
        )
        .values(completed_at=now)
    )
    if not done.rowcount:  # type: ignore[attr-defined]
        return
    reward = get_settings().points_study
    points.award(session, person_id, PointsReason.STUDY, "study_progress", progress_id, reward, now)
    course_completion.refresh(session, actor, person_id, material.course_id, now)


def _progress_id(session: Session, person: Person, material: CourseMaterial, now: datetime) -> int:
    """The person's row for the material, created at ``now`` if missing. ``INSERT … ON
    CONFLICT DO NOTHING`` on (person, material): two tabs opening at once make one row."""
    session.execute(
        upsert_insert(session, StudyProgress)
        .values(
            person_id=person.id,
            course_id=material.course_id,
            material_id=material.id,
            seconds=0,
            last_beat_at=now,
            enterprise_id=person.enterprise_id,
            department_id=person.department_id,
            created_at=now,
            updated_at=now,
            extra={},
        )
        .on_conflict_do_nothing(index_elements=["person_id", "material_id"])
    )
    return session.exec(
        select(StudyProgress.id).where(
            StudyProgress.person_id == person.id, StudyProgress.material_id == material.id
        )
    ).one()


def _fresh(session: Session, progress_id: int) -> StudyProgress:
    row = session.get(StudyProgress, progress_id, populate_existing=True)
    assert row is not None  # written in this transaction
    return row


def materials_of(session: Session, course_ids: set[int]) -> dict[int, list[CourseMaterial]]:
    """Live materials per course, in their order."""
    rows = session.exec(
        select(CourseMaterial)
        .where(
            col(CourseMaterial.course_id).in_(course_ids), col(CourseMaterial.deleted_at).is_(None)
        )
        .order_by(col(CourseMaterial.position), col(CourseMaterial.id))
    ).all()
    out: dict[int, list[CourseMaterial]] = {c: [] for c in course_ids}
    for row in rows:
        out[row.course_id].append(row)
    return out


def progress_of(
    session: Session, person_id: int, course_ids: set[int]
) -> dict[int, list[MaterialProgress]]:
    """Per course, each material with the person's counted time (none for study completed
    before the person's open assignment of the course was given: opening it restarts it)."""
    since = course_completion.counted_since(session, person_id, course_ids)
    rows = session.exec(
        select(StudyProgress).where(
            StudyProgress.person_id == person_id, col(StudyProgress.course_id).in_(course_ids)
        )
    ).all()
    by_material = {r.material_id: r for r in rows}
    out: dict[int, list[MaterialProgress]] = {}
    for course_id, materials in materials_of(session, course_ids).items():
        out[course_id] = []
        for m in materials:
            row = by_material.get(m.id or -1)
            fresh = row if not _stale(row, since.get(course_id)) else None
            out[course_id].append(_material_progress(m, fresh))
    return out


def _material_progress(material: CourseMaterial, row: StudyProgress | None) -> MaterialProgress:
    return MaterialProgress(
        material_id=material.id or -1,
        position=material.position,
        title=material.title,
        kind=str(material.kind),
        seconds=row.seconds if row else 0,
        required=material.min_minutes * 60,
        complete=row is not None and row.completed_at is not None,
    )


def course_progress(session: Session, person_id: int, course_id: int) -> CourseProgress:
    """The study page's view of one course for one person: per material the seconds counted,
    the seconds required and whether it is complete, and whether the course exam is passed
    (since the open assignment was given, as for completion)."""
    papers = session.exec(
        select(ExamPaper.id)
        .where(ExamPaper.course_id == course_id, col(ExamPaper.deleted_at).is_(None))
        .order_by(col(ExamPaper.id))
    ).all()
    since = course_completion.counted_since(session, person_id, {course_id}).get(course_id)
    passed = isinstance(
        course_completion.exam_passed(session, person_id, course_id, since), ExamRecord
    )
    return CourseProgress(
        course_id=course_id,
        materials=tuple(progress_of(session, person_id, {course_id})[course_id]),
        exam_paper_id=papers[0] if papers else None,
        exam_passed=passed,
    )
