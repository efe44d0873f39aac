"""The home page widgets: the workbench buttons, the to-do list, the unread messages and
"Mine". On a phone (390 px) the buttons stack full width and every line wraps: a page link's
label is one line that the browser cuts with an ellipsis, so the to-dos were unreadable."""

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
from core.ui.nav import top_level_entries
from core.ui.workbench import HOME_BUTTONS
from models.enums import Action

PER_KIND = 5
ICONS = {"error": ":red[●]", "warning": ":orange[●]", "info": ":blue[●]"}
BUTTONS_KEY = "home_buttons"
# The workbench links look like big buttons (page links wrap on every page: core.ui.menu).
# The style lives only while the home page is shown.
CSS = f"""
<style>
.st-key-{BUTTONS_KEY} [data-testid="stPageLink"] a {{
  justify-content: center; min-height: 3.4rem; padding: .8rem 1rem;
  border: 1px solid rgba(49, 51, 63, .2); border-radius: .6rem;
  background: rgba(151, 166, 195, .15);
}}
.st-key-{BUTTONS_KEY} [data-testid="stPageLink"] a p {{ font-size: 1.1rem; font-weight: 600; }}
</style>
"""


def workbench_buttons(actor: Actor) -> None:
    """The day's doors as big buttons (quick report, my rounds, my exams, my permits): side
    by side on a desktop, stacked full width on a phone; only the pages this user may open."""
    st.markdown(CSS, unsafe_allow_html=True)
    titles = {p.path: p.title for p in top_level_entries(actor)}
    shown = [path for path in HOME_BUTTONS if path in titles]
    if not shown:
        return
    with st.container(key=BUTTONS_KEY):
        for column, path in zip(st.columns(len(shown)), shown, strict=True):
            column.page_link(path, label=tr(titles[path]), width="stretch")


def record_page(actor: Actor, table: str | None) -> str | None:
    """Where a message about a record of ``table`` opens it, if this user may open it."""
    try:
        spec = get_spec(table or "")
    except KeyError:
        return None
    return spec.page if spec.page and actor.can(spec.module, Action.VIEW) else None


def todo_line(item: TodoItem) -> None:
    """One to-do: its severity dot and words, a link to its record where it has a page."""
    line = f"{ICONS[item.severity]} {t_keys(item.key, lang(), item.params)}"
    if item.page:
        link = {"id": str(item.row_id)} if item.row_id is not None else None
        st.page_link(item.page, label=line, query_params=link)
    else:
        st.markdown(line)


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
            todo_line(item)
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
        page = record_page(actor, n.table_name)
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
