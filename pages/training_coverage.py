"""部门培训台账: a department's training coverage, who is overdue, and its Excel export."""

import streamlit as st

from core.db import session_scope
from core.ui.context import tr
from core.ui.nav import guard
from core.ui.training.coverage import render_coverage
from models.enums import Action, Module

actor = guard(Module.TRAINING, Action.EXPORT)
st.title(tr("page.training_coverage"))
with session_scope() as session:
    render_coverage(session, actor)
