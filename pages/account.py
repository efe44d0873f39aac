"""The user's own settings: password (language is in the sidebar)."""

import streamlit as st

from core.ui.context import current_user, tr
from core.ui.login import change_password_form

st.title(tr("page.account"))
user = current_user()
if user is not None:
    st.subheader(tr("account.change_password"))
    change_password_form(user.id)
