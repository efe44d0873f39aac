"""在线学习 / Online learning: my courses, their materials and the time the server counted."""

import streamlit as st

from core.db import session_scope
from core.ui.context import tr
from core.ui.my_cards import need_person
from core.ui.nav import guard
from core.ui.training.study import render_study
from models.enums import Module

actor = guard(Module.TRAINING)
st.title(tr("page.training_study"))
if need_person(actor):
    with session_scope() as session:
        render_study(session, actor)
