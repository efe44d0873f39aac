"""错题本与练习: the wrong-answer book and practice, one question at a time."""

import streamlit as st

from core.db import session_scope
from core.ui.context import tr
from core.ui.my_cards import need_person
from core.ui.nav import guard
from core.ui.training.practice import render_practice
from models.enums import Module

actor = guard(Module.TRAINING)
st.title(tr("page.training_practice"))
if need_person(actor):
    with session_scope() as session:
        render_practice(session, actor)
