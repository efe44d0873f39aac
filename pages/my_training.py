"""我的培训考试: my exam results and training records, as phone-sized cards."""

import streamlit as st

from core.db import session_scope
from core.ui.context import tr
from core.ui.my_cards import Cards, need_person, show_cards
from core.ui.nav import guard, page_link
from core.ui.training.study import assignment_cards
from models.enums import Module
from models.training import TrainingResult


def _exam(record: object) -> str:
    if getattr(record, "submitted_at", None) is None:
        return tr("my_training.pending")
    return tr("my_training.passed" if getattr(record, "passed", False) else "my_training.failed")


EXAMS = Cards(
    "exam_record",
    title=("paper_id",),
    badge_text=_exam,
    tone=lambda r, _t: "gray" if r.submitted_at is None else "green" if r.passed else "red",
    dates=("started_at",),
    lines=("score", "attempt"),
)
RECORDS = Cards(
    "training_record",
    title=("course_id",),
    badge="result",
    tone=lambda r, _t: "green" if r.result == TrainingResult.PASSED else "orange",
    dates=("trained_on",),
    lines=("hours", "score"),
)

actor = guard(Module.TRAINING)
st.title(tr("page.my_training"))
if need_person(actor):
    with st.container(border=True):
        page_link(actor, "pages/training_study.py", label=tr("my_training.to_study"))
        page_link(actor, "pages/training_exam.py", label=tr("my_training.to_exam"))
    with session_scope() as session:
        st.subheader(tr("my_training.assignments"))
        assignment_cards(session, actor)
        st.subheader(tr("my_training.exams"))
        show_cards(session, actor, EXAMS, "my_training.exams_empty")
        st.subheader(tr("my_training.records"))
        show_cards(session, actor, RECORDS, "my_training.records_empty")
