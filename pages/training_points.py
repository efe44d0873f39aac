"""学习积分: my points by reason and the department and enterprise leaderboards."""

import streamlit as st

from core.db import session_scope
from core.ui.context import tr
from core.ui.my_cards import need_person
from core.ui.nav import guard
from core.ui.training.points import render_points
from models.enums import Module

actor = guard(Module.TRAINING)
st.title(tr("page.training_points"))
if need_person(actor):
    with session_scope() as session:
        render_points(session, actor)
