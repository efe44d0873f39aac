"""The home page widgets: the to-do list, the unread messages and "Mine"."""

from __future__ import annotations

import streamlit as st

from core import notify
from core.clock import site_today
from core.crud.registry import get_spec
from core.db import session_scope
from core.i18n import t_keys
from core.inbox import TodoItem, todo_for
from core.mine import mine_for
from core.rbac import Actor
from core.ui.context import lang, tr
from models.enums import Action

PER_KIND = 5
ICONS = {"error": ":red[●]", "warning": ":orange[●]", "info": ":blue[●]"}


def _page(actor: Actor, table: str | None) -> str | None:
    """Where a message about a record of ``table`` opens it, if this user may open it."""
    try:
        spec = get_spec(table or "")
    except KeyError:
        return None
    return spec.page if spec.page and actor.can(spec.module, Action.VIEW) else None


def todo_list(actor: Actor) -> None:
    """Most urgent first, at most ``PER_KIND`` lines of each kind, so fifty overdue items of
    one kind never hide the one new report waiting for confirmation."""
    with session_scope() as session:
        items = todo_for(session, actor, site_today())
    st.subheader(f"{tr('home.todo')} ({len(items)})")
    if not items:
        st.success(tr("home.todo_empty"))
        return
    kinds: dict[tuple[str, object], list[TodoItem]] = {}
    for item in items:
        kinds.setdefault((item.key, item.params.get("what")), []).append(item)
    for group in kinds.values():
        for item in group[:PER_KIND]:
            line = f"{ICONS[item.severity]} {t_keys(item.key, lang(), item.params)}"
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
    for n in items:
        line = f"{ICONS.get(n.severity, '')} {t_keys(n.key, lang(), n.params)}"
        page = _page(actor, n.table_name)
        if page and n.row_id is not None:
            st.page_link(page, label=line, query_params={"id": str(n.row_id)})
        else:
            st.markdown(line)
    if st.button(tr("notify.mark_read"), key="inbox_read"):
        with session_scope() as session:
            notify.mark_read(session, actor, [n.id for n in items])
        st.rerun()


def mine(actor: Actor) -> None:
    """我的 / Mine: what is about this person or assigned to them, one line per module table
    with its count (opening the list narrowed to them) and the latest few records."""
    with session_scope() as session:
        groups = mine_for(session, actor, lang())
    if not groups:
        return
    st.subheader(tr("home.mine"))
    for group in groups:
        st.page_link(
            group.page,
            label=tr("home.mine_group", table=tr(group.label), count=group.count),
            query_params={"f.mine": "1"},
        )
        for row_id, text in group.latest:
            st.page_link(group.page, label=f"· {text or row_id}", query_params={"id": str(row_id)})
