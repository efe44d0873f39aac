"""阅卷: short answers of submitted exams waiting for a manager's marks."""

import streamlit as st

from core.db import session_scope
from core.ui.context import tr
from core.ui.nav import guard
from core.ui.training.grading import render_grading
from models.enums import Module

actor = guard(Module.TRAINING)
st.title(tr("page.training_grading"))
with session_scope() as session:
    render_grading(session, actor)
