"""Home: greeting, the workbench buttons, unread messages, the to-do list and "Mine"."""

import streamlit as st

from core.ui.context import current_actor, current_user, show_flash, tr
from core.ui.home import inbox, mine, todo_list, workbench_buttons

actor = current_actor()
user = current_user()
if actor is None or user is None:
    st.stop()
st.title(tr("home.welcome", name=user.display_name))
st.caption(tr("app.tagline"))
show_flash()
st.caption(tr("home.scope", scope=tr(f"enum.Scope.{actor.scope}")))
workbench_buttons(actor)
inbox(actor)
todo_list(actor)
mine(actor)
