"""The to-do list widget."""

from __future__ import annotations

import streamlit as st

from core.db import session_scope
from core.rbac import Actor
from core.todo import todo_for
from core.ui.context import tr

SHOWN = 30


def todo_list(actor: Actor) -> None:
    with session_scope() as session:
        items = todo_for(session, actor)
    st.subheader(f"{tr('home.todo')} ({len(items)})")
    if not items:
        st.success(tr("home.todo_empty"))
        return
    icons = {"error": ":red[●]", "warning": ":orange[●]", "info": ":blue[●]"}
    for item in items[:SHOWN]:
        line = f"{icons[item.severity]} {tr(item.key, **item.params)}"
        if item.page:
            st.page_link(item.page, label=line)
        else:
            st.markdown(line)
    if len(items) > SHOWN:
        st.caption(tr("todo.more", count=len(items) - SHOWN))
