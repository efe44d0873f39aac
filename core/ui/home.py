"""The home page widgets: the to-do list and the unread messages."""

from __future__ import annotations

import streamlit as st

from core import notify
from core.clock import site_today
from core.db import session_scope
from core.inbox import TodoItem, todo_for
from core.rbac import Actor
from core.ui.context import tr

PER_KIND = 5
#: Where a message about a record of this table opens it.
PAGES = {"hazard": "pages/hazard_hazard.py"}


def todo_list(actor: Actor) -> None:
    """Most urgent first, at most ``PER_KIND`` lines of each kind, so fifty overdue items of
    one kind never hide the one new report waiting for confirmation."""
    with session_scope() as session:
        items = todo_for(session, actor, site_today())
    st.subheader(f"{tr('home.todo')} ({len(items)})")
    if not items:
        st.success(tr("home.todo_empty"))
        return
    kinds: dict[str, list[TodoItem]] = {}
    for item in items:
        kinds.setdefault(item.key, []).append(item)
    icons = {"error": ":red[●]", "warning": ":orange[●]", "info": ":blue[●]"}
    for group in kinds.values():
        for item in group[:PER_KIND]:
            line = f"{icons[item.severity]} {tr(item.key, **item.params)}"
            if item.page:
                link = {"id": str(item.row_id)} if item.row_id is not None else None
                st.page_link(item.page, label=line, query_params=link)
            else:
                st.markdown(line)
        if len(group) > PER_KIND:
            st.caption(tr("todo.more", count=len(group) - PER_KIND))


def inbox(actor: Actor) -> None:
    """Unread notices (major hazards, escalations); hidden when there are none."""
    with session_scope() as session:
        items = notify.unread(session, actor)
    if not items:
        return
    st.subheader(f"{tr('notify.title')} ({len(items)})")
    icons = {"error": ":red[●]", "warning": ":orange[●]", "info": ":blue[●]"}
    for n in items:
        line = f"{icons.get(n.severity, '')} {tr(n.key, **n.params)}"
        page = PAGES.get(n.table_name or "")
        if page and n.row_id is not None:
            st.page_link(page, label=line, query_params={"id": str(n.row_id)})
        else:
            st.markdown(line)
    if st.button(tr("notify.mark_read"), key="inbox_read"):
        with session_scope() as session:
            notify.mark_read(session, actor, [n.id for n in items])
        st.rerun()
