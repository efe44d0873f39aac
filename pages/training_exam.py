"""在线考试: the papers an examinee may sit, the paper with its countdown, and the result."""

import streamlit as st

from core.db import session_scope
from core.ui.context import tr
from core.ui.my_cards import need_person
from core.ui.nav import guard
from core.ui.training.exam import render_exam
from models.enums import Module

actor = guard(Module.TRAINING)
st.title(tr("page.training_exam"))
if need_person(actor):
    with session_scope() as session:
        render_exam(session, actor)
