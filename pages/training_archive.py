"""个人培训档案: one person's courses, hours, exams and certificates, and their documents."""

import streamlit as st

from core.db import session_scope
from core.ui.context import tr
from core.ui.nav import guard
from core.ui.training.archive import render_archive
from models.enums import Module

actor = guard(Module.TRAINING)
st.title(tr("page.training_archive"))
with session_scope() as session:
    render_archive(session, actor)
