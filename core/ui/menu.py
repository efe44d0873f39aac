"""The sidebar menu by job (workbench, modules, analytics, settings) and the page router
behind it: every page keeps its address; a page the user may not open answers with a
refusal in their language instead of Streamlit's English "page not found"."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from core.rbac import Actor
from core.ui.context import tr
from core.ui.nav import ACCOUNT, GROUPS, HOME, all_pages, top_level_entries, visible_pages

#: A page link's label is one line the browser cuts with "…": a to-do or an attention line
#: on a phone was unreadable. Every page's links wrap instead.
WRAP_LINKS = """
<style>
[data-testid="stPageLink"] a { height: auto; max-width: 100%; }
[data-testid="stPageLink"] a * {
  white-space: normal !important; overflow: visible !important;
  text-overflow: clip !important; overflow-wrap: anywhere;
}
</style>
"""


def _refused() -> None:
    st.title(tr("nav.refused_title"))
    st.info(tr("nav.refused"))
    st.page_link(HOME.path, label=tr("nav.back_home"))


def router(actor: Actor) -> st.navigation:
    """``st.navigation`` over every address, drawn by :func:`menu` rather than Streamlit."""
    open_paths = {p.path for p in visible_pages(actor)}
    pages = []
    for p in all_pages():
        if p.path in open_paths:
            pages.append(st.Page(p.path, title=tr(p.title), default=p.path == HOME.path))
        else:
            pages.append(st.Page(_refused, title=tr(p.title), url_path=Path(p.path).stem))
    return st.navigation(pages, position="hidden")


def menu(actor: Actor) -> None:
    """The top-level entries in their groups; registers are one click further, on their
    module's home page; detail registers are opened from their parent record."""
    st.markdown(WRAP_LINKS, unsafe_allow_html=True)
    entries = top_level_entries(actor)
    for group in GROUPS:
        items = [p for p in entries if p.group == group]
        if not items:
            continue
        st.caption(tr(group))
        for p in items:
            st.page_link(p.path, label=tr(p.title))
    st.divider()
    st.page_link(ACCOUNT.path, label=tr(ACCOUNT.title))
