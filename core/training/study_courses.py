"""What the online-study page lists and shows: the person's courses (assigned ones first,
then published courses open to them) and a material's files, served only after the course
check and through the attachment scope check (``core.crud.files``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from core.attachments import VIDEO_MIMES
from core.config import Settings
from core.crud import files
from core.crud.lookup import visible
from core.crud.registry import get_spec
from core.crud.service import NotFound
from core.rbac import Actor
from core.training.study import (
    StudyRefused,
    course_fraction,
    learner,
    progress_of,
    readable_material,
)
from models.enums import DocumentState
from models.system import Attachment
from models.training import TrainingCourse
from models.training_learning import AssignmentState, CourseMaterial, TrainingAssignment

#: Published courses listed after the assigned ones (a library, not a catalogue dump).
MAX_OPEN = 50
OPEN_FIRST = (AssignmentState.ASSIGNED, AssignmentState.IN_PROGRESS)


@dataclass(frozen=True)
class CourseCard:
    """One course on the study page: an assignment's due date and state when it is one."""

    course_id: int
    name: str
    level: str | None
    hours: float
    due_on: date | None
    state: str | None
    fraction: float
    materials: int


def my_courses(session: Session, actor: Actor) -> list[CourseCard]:
    """The person's assigned courses (open ones first, by due date; then completed ones),
    then the published courses open to them that nobody assigned, by name."""
    person = learner(session, actor)
    assignments = session.exec(
        select(TrainingAssignment)
        .where(
            TrainingAssignment.person_id == person.id,
            TrainingAssignment.state != AssignmentState.WAIVED,
            col(TrainingAssignment.deleted_at).is_(None),
        )
        .order_by(col(TrainingAssignment.due_on))
    ).all()
    assignments = sorted(assignments, key=lambda a: a.state not in OPEN_FIRST)
    assigned = list(dict.fromkeys(a.course_id for a in assignments))
    courses = {
        c.id: c
        for c in session.exec(
            select(TrainingCourse).where(
                col(TrainingCourse.id).in_(assigned), col(TrainingCourse.deleted_at).is_(None)
            )
        ).all()
    }
    published = session.exec(
        visible(get_spec("training_course"), actor)
        .where(
            TrainingCourse.state == DocumentState.PUBLISHED,
            col(TrainingCourse.id).not_in(assigned),
        )
        .order_by(col(TrainingCourse.name))
        .limit(MAX_OPEN)
    ).all()
    ids = set(courses) | {c.id for c in published}
    progress = progress_of(session, person.id or -1, {i for i in ids if i is not None})
    first = {}
    for a in assignments:
        first.setdefault(a.course_id, a)
    cards = [
        _card(courses[cid], first[cid].due_on, first[cid].state, progress)
        for cid in assigned
        if cid in courses
    ]
    return cards + [_card(c, None, None, progress) for c in published]


def _card(
    course: TrainingCourse, due_on: date | None, state: str | None, progress: dict
) -> CourseCard:
    materials = progress.get(course.id, [])
    return CourseCard(
        course_id=course.id or -1,
        name=course.name,
        level=str(course.level) if course.level else None,
        hours=course.hours,
        due_on=due_on,
        state=str(state) if state else None,
        fraction=course_fraction(materials),
        materials=len(materials),
    )


def material_files(session: Session, actor: Actor, material_id: int) -> list[Attachment]:
    """A material's files, for a reader of its course."""
    readable_material(session, actor, material_id)
    return files.listed(session, get_spec("course_material"), actor, material_id)


def material_videos(session: Session, actor: Actor, material_id: int) -> list[Attachment]:
    """A material's uploaded videos (MP4, WebM), for the page's player: each one's ``mime``
    is the player's format; the bytes come from ``material_file`` (the same checks)."""
    return [a for a in material_files(session, actor, material_id) if a.mime in VIDEO_MIMES]


def material_file(
    session: Session, actor: Actor, material_id: int, attachment_id: int, settings: Settings
) -> tuple[Attachment, bytes]:
    """One file's bytes: the course check, then the attachment scope check."""
    readable_material(session, actor, material_id)
    try:
        item, data = files.fetch(
            session, get_spec("course_material"), actor, attachment_id, settings
        )
    except NotFound:
        raise StudyRefused("error.study.no_material") from None
    if item.row_id != material_id or data is None:
        raise StudyRefused("error.study.no_material")
    return item, data


def video_url(material: CourseMaterial) -> str | None:
    """A video material's address, when its text starts with one (a video hosted elsewhere;
    an uploaded MP4 or WebM is one of ``material_videos``)."""
    first = (material.body or "").strip().split("\n", 1)[0].strip()
    return first if first.startswith(("https://", "http://")) else None
