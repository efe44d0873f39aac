"""阅卷 / Marking: short answers of submitted exams, marked by a holder of training approve or
edit in scope. Layout only: ``core.training.exam_queue`` lists and records the marks."""

from __future__ import annotations

import streamlit as st
from sqlmodel import Session

from core.clock import local
from core.i18n import Translatable
from core.rbac import Actor
from core.training.exam_papers import names
from core.training.exam_queue import PendingItem, grade_item, pending_grading
from core.ui.context import flash, show_error, show_flash, tr
from models.training_exam import AttemptState


def render_grading(session: Session, actor: Actor) -> None:
    show_flash()
    try:
        pending = pending_grading(session, actor)
    except Translatable as exc:
        show_error(exc)
        return
    if not pending:
        st.info(tr("grading.empty"))
        return
    st.caption(tr("grading.count", n=len(pending)))
    named = names(session, {p.person_id for p in pending}, {p.paper_id for p in pending})
    for item in pending:
        with st.container(border=True):
            _item(session, actor, item, named)


def _item(session: Session, actor: Actor, item: PendingItem, named: dict) -> None:
    when = local(item.submitted_at).strftime("%Y-%m-%d %H:%M") if item.submitted_at else ""
    st.markdown(
        "**"
        + tr(
            "grading.head",
            person=named["person"].get(item.person_id, "?"),
            paper=named["paper"].get(item.paper_id, "?"),
            n=item.position,
        )
        + "**"
    )
    st.caption(tr("grading.submitted_at", at=when))
    st.markdown(f"**{tr('grading.question')}** {item.stem}")
    st.markdown(f"**{tr('grading.reference')}** {item.reference}")
    st.markdown(f"**{tr('grading.given')}** {item.given or tr('exam.no_answer')}")
    with st.form(f"grade_{item.item_id}", border=False):
        marks = st.number_input(
            tr("grading.marks", points=f"{item.points:g}"),
            min_value=0.0,
            max_value=float(item.points),
            value=0.0,
            step=0.5,
        )
        if st.form_submit_button(tr("grading.save"), type="primary"):
            try:
                attempt = grade_item(session, actor, item.item_id, marks)
                session.commit()
            except Translatable as exc:
                session.rollback()
                show_error(exc)
                return
            done = attempt.state == AttemptState.GRADED
            flash("success", tr("grading.done" if done else "grading.saved"))
            st.rerun()
