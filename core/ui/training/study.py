"""在线学习 / Online learning: the person's courses, a course's materials with their
progress, and one material open with the server counting the time (a heartbeat fragment
calls ``core.training.study.beat``; the page never times anything itself). Cards and
progress bars only, so it reads on a 390 px phone. Layout only: ``core.training.study``
and ``study_courses`` decide who reads what."""

from __future__ import annotations

from functools import partial

import streamlit as st
from sqlmodel import Session

from core.attachments import VIDEO_MIMES
from core.config import get_settings
from core.db import session_scope, utcnow
from core.i18n import Translatable
from core.rbac import Actor
from core.training.exam_attempts import start_attempt
from core.training.study import (
    CourseProgress,
    MaterialProgress,
    beat,
    course_progress,
    open_material,
    readable_course,
    readable_material,
)
from core.training.study_courses import (
    CourseCard,
    material_file,
    material_files,
    material_videos,
    my_courses,
    video_url,
)
from core.ui.context import current_actor, flash, lang, show_error, show_flash, tr
from core.ui.my_cards import day, labelled
from core.ui.nav import page_link
from models.training_learning import AssignmentState, CourseMaterial, MaterialKind

EXAM_PAGE = "pages/training_exam.py"
STUDY_PAGE = "pages/training_study.py"
EXAM_STARTED = "study_exam_attempt"


def render_study(session: Session, actor: Actor) -> None:
    """The page: a material when the address names one, else a course, else the list."""
    show_flash()
    if (attempt := st.session_state.pop(EXAM_STARTED, None)) is not None:
        st.switch_page(EXAM_PAGE, query_params={"attempt": str(attempt)})
    course_id, material_id = _param("course"), _param("material")
    try:
        if material_id is not None and course_id is not None:
            _material(session, actor, course_id, material_id)
        elif course_id is not None:
            _course(session, actor, course_id)
        else:
            _courses(session, actor)
    except Translatable as exc:
        show_error(exc)
        _back(None)


def _param(name: str) -> int | None:
    raw = st.query_params.get(name)
    return int(raw) if raw and str(raw).isdigit() else None


def _go(**params: int) -> None:
    st.query_params.clear()
    for name, value in params.items():
        st.query_params[name] = str(value)


def _back(course_id: int | None) -> None:
    label = "study.back_to_course" if course_id is not None else "study.back_to_list"
    target = {"course": course_id} if course_id is not None else {}
    st.button(tr(label), key="study_back", on_click=_go, kwargs=target)


def _bar(fraction: float, text: str) -> None:
    st.progress(min(1.0, max(0.0, fraction)), text=text)


# -- the list of courses ----------------------------------------------------------------------


def _courses(session: Session, actor: Actor) -> None:
    # an optional course with nothing to study yet would only open an empty page
    cards = [c for c in my_courses(session, actor) if c.state or c.materials]
    if not cards:
        st.info(tr("study.no_courses"))
        return
    for card in cards:
        _course_card(card)


def assignment_cards(session: Session, actor: Actor) -> None:
    """The person's assigned courses (for "my training"), each opening the study page."""
    cards = [c for c in my_courses(session, actor) if c.state]
    if not cards:
        st.info(tr("my_training.assignments_empty"))
    for card in cards:
        with st.container(border=True):
            _course_facts(card)
            query = {"course": str(card.course_id)}
            page_link(actor, STUDY_PAGE, label=tr("study.open_course"), query_params=query)


def _course_card(card: CourseCard) -> None:
    with st.container(border=True):
        _course_facts(card)
        st.button(
            tr("study.open_course"),
            key=f"study_course_{card.course_id}",
            on_click=_go,
            kwargs={"course": card.course_id},
        )


def _course_facts(card: CourseCard) -> None:
    """Name, state, hours, level, due date and progress of one course."""
    state = tr(f"enum.AssignmentState.{card.state}") if card.state else tr("study.open_to_you")
    tone = "green" if card.state == "completed" else "orange" if card.state else "blue"
    st.markdown(f"**{card.name}**  :{tone}-badge[{state}]")
    details = [labelled(tr("field.training_hours"), f"{card.hours:g}")]
    if card.level:
        details.append(tr(f"enum.EducationLevel.{card.level}"))
    if card.due_on:
        details.append(labelled(tr("study.due_on"), day(card.due_on)))
    st.markdown("  \n".join(details))
    # a course completed offline (or before its materials were added) is done, not at 0 %
    fraction = 1.0 if card.state == AssignmentState.COMPLETED else card.fraction
    if card.materials or fraction:
        _bar(fraction, tr("study.course_progress", pct=round(fraction * 100)))
    else:
        st.caption(tr("study.no_materials"))


# -- one course -------------------------------------------------------------------------------


def _course(session: Session, actor: Actor, course_id: int) -> None:
    course = readable_course(session, actor, course_id)
    progress = course_progress(session, actor.person_id or -1, course_id)
    _back(None)
    st.subheader(course.name)
    if course.description:
        st.caption(course.description)
    _bar(progress.fraction, tr("study.course_progress", pct=round(progress.fraction * 100)))
    if not progress.materials:
        st.info(tr("study.no_materials"))
    for item in progress.materials:
        _material_card(course_id, item)
    _exam(progress)


def _minutes(item: MaterialProgress) -> str:
    return tr(
        "study.minutes",
        done=item.seconds // 60,
        required=item.required // 60,
    )


def _material_card(course_id: int, item: MaterialProgress) -> None:
    with st.container(border=True):
        badge = "  :green-badge[" + tr("study.done") + "]" if item.complete else ""
        st.markdown(f"**{item.position}. {item.title}**{badge}")
        st.caption(tr(f"enum.MaterialKind.{item.kind}"))
        _bar(item.fraction, _minutes(item))
        st.button(
            tr("study.review" if item.complete else "study.study"),
            key=f"study_material_{item.material_id}",
            on_click=_go,
            kwargs={"course": course_id, "material": item.material_id},
        )


def _exam(progress: CourseProgress) -> None:
    if progress.exam_paper_id is None:
        if progress.materials and progress.studied:
            st.success(tr("study.course_done"))
        return
    with st.container(border=True):
        st.markdown(f"**{tr('study.exam')}**")
        if progress.exam_passed:
            st.success(tr("study.exam_passed"))
        elif not progress.studied:
            st.caption(tr("study.exam_after_materials"))
        else:
            st.button(
                tr("study.take_exam"),
                key="study_take_exam",
                type="primary",
                on_click=_take_exam,
                args=(progress.exam_paper_id,),
            )


def _take_exam(paper_id: int) -> None:
    """Start (or resume) the course's exam and open it on the exam page."""
    actor = current_actor()
    if actor is None:
        return
    try:
        with session_scope() as session:
            attempt_id = start_attempt(session, actor, paper_id).id
    except Translatable as exc:
        flash("error", exc.message(lang()))
        return
    st.session_state[EXAM_STARTED] = attempt_id


# -- one material -----------------------------------------------------------------------------


def _material(session: Session, actor: Actor, course_id: int, material_id: int) -> None:
    material = readable_material(session, actor, material_id)
    if material.course_id != course_id:
        raise Translatable("error.study.no_material")
    open_material(session, actor, material_id, utcnow())
    session.commit()  # the clock runs from here, whatever the page does next
    _back(course_id)
    st.subheader(f"{material.position}. {material.title}")
    _show(session, actor, material)
    every = get_settings().study_beat_seconds
    st.fragment(run_every=every)(_clock)(material_id, material.min_minutes * 60)


def _show(session: Session, actor: Actor, material: CourseMaterial) -> None:
    """The material itself: its files (read through the scope checks) and its text."""
    material_id = material.id or -1
    url = video_url(material) if material.kind == MaterialKind.VIDEO else None
    if url:
        st.video(url)
    for video in material_videos(session, actor, material_id):
        _, data = material_file(session, actor, material_id, video.id or -1, get_settings())
        st.video(data, format=video.mime)
    for item in material_files(session, actor, material_id):
        if item.mime in VIDEO_MIMES:
            continue  # played above
        if item.mime.startswith("image/"):
            _, data = material_file(session, actor, material_id, item.id or -1, get_settings())
            st.image(data, caption=item.filename, width="stretch")
        else:
            st.download_button(
                f"{tr('study.open_file')} · {item.filename} ({item.size // 1024 + 1} KB)",
                partial(_file_bytes, actor, material_id, item.id or -1),
                file_name=item.filename,
                mime=item.mime,
                key=f"study_file_{item.id}",
                width="stretch",
            )
    body = (material.body or "").removeprefix(url or "").strip()
    if body:
        st.markdown(body)


def _file_bytes(actor: Actor, material_id: int, attachment_id: int) -> bytes:
    """Read on click, not on every render; the course and the row are checked again then."""
    with session_scope() as session:
        _, data = material_file(session, actor, material_id, attachment_id, get_settings())
    return data


def _clock(material_id: int, required: int) -> None:
    """The heartbeat: the server counts the time since the previous beat (``beat``)."""
    actor = current_actor()
    if actor is None:
        return
    try:
        with session_scope() as session:
            progress = beat(session, actor, material_id, utcnow())
            seconds, done = progress.seconds, progress.completed_at is not None
    except Translatable as exc:
        show_error(exc)
        return
    item = MaterialProgress(material_id, 0, "", "", seconds, required, done)
    _bar(item.fraction, _minutes(item))
    if done:
        st.success(tr("study.material_done"))
    else:
        st.caption(tr("study.keep_open"))
