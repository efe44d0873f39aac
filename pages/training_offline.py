"""线下考试: print a paper and its key for an exam sat on paper, and import its scores."""

import streamlit as st

from core.ui.context import tr
from core.ui.nav import guard
from core.ui.training.offline import render_offline
from models.enums import Action, Module

actor = guard(Module.TRAINING, Action.EDIT)
st.title(tr("page.training_offline"))
render_offline(actor)
