"""The user's own settings: password and how reminders reach them outside the app (language
is in the sidebar)."""

import streamlit as st

from core.ui.context import current_actor, current_user, show_flash, tr
from core.ui.login import change_password_form
from core.ui.system.delivery import notify_prefs_form

st.title(tr("page.account"))
show_flash()
user = current_user()
actor = current_actor()
if user is not None and actor is not None:
    notify_prefs_form(actor, user)
    st.subheader(tr("account.change_password"))
    change_password_form(user.id)
