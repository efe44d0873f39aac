"""What every logged-in page shares: the gate, the sidebar and the navigation."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from core import audit, auth
from core.db import session_scope
from core.rbac import Actor
from core.ui.context import current_actor, current_user, end_session, expired, flash, tr
from core.ui.login import change_password_form, language_switch, login_page
from core.ui.menu import menu, router
from core.ui.nav import HOME, visible_pages
from models.enums import Action, Module

SCREEN_PAGE = "pages/analytics_screen.py"
PAGES_DIR = Path(__file__).resolve().parents[2] / "pages"


def sidebar(actor: Actor, display_name: str, *, with_menu: bool = True) -> None:
    with st.sidebar:
        st.markdown("### SafeLoop")
        st.caption(tr("common.signed_in_as", name=display_name))
        if with_menu:
            menu(actor)
        st.caption(
            tr("home.roles", roles="、".join(tr(f"enum.Role.{r}") for r in sorted(actor.roles)))
        )
        chosen = language_switch()
        if chosen and actor.user_id is not None:
            with session_scope() as session:
                auth.set_language(session, actor.user_id, chosen)
            st.rerun()
        if st.button(tr("common.logout"), key="logout"):
            with session_scope() as session:
                audit.record(session, actor, "logout", table_name="user", row_id=actor.user_id)
            end_session()  # every tab of this browser, and the cookie
            # Back to the start page: the next log-in should not reopen where this one left.
            st.query_params.clear()
            st.switch_page(HOME.path)


def login_pages() -> list[st.Page]:
    """The log-in form under every page's address: a link opened in a new tab (a cockpit
    drill-down, a bookmarked filtered list) asks for the log-in and, once logged in, the same
    address with its query opens the page it names (if the user may see it)."""
    title = tr("page.login")
    pages = [st.Page(login_page, title=title, default=True)]
    for path in sorted(PAGES_DIR.glob("*.py")):
        pages.append(st.Page(login_page, title=title, url_path=path.stem))
    return pages


def screen_mode(actor: Actor) -> bool:
    """The wall: ``?screen=1``, or always for a screen-only account (it has nothing else).
    Only for users who may open the large screen at all."""
    wanted = st.query_params.get("screen") == "1" or actor.screen_only
    return wanted and actor.can(Module.ANALYTICS, Action.DISPLAY)


def run_app() -> None:
    """Gate, then the role-filtered navigation; logged-out users only ever see the log-in."""
    if st.session_state.get("user_id") is not None and expired():
        flash("warning", tr("login.expired"))
    actor = current_actor()
    if actor is None:
        st.navigation(login_pages(), position="hidden").run()
        return
    user = current_user()
    screen = screen_mode(actor) and not (user is not None and user.must_change_password)
    name = user.display_name if user else actor.username
    if user is not None and user.must_change_password:
        sidebar(actor, name, with_menu=False)
        st.warning(tr("login.must_change"))
        if change_password_form(user.id, key="forced_pw"):
            st.rerun()
        st.navigation([st.Page(lambda: None, title=tr("page.account"))], position="hidden")
        return
    if actor.screen_only:
        st.session_state.setdefault("display_mode", True)
    if screen:  # no chrome; the large screen opens first, the other pages keep their URLs
        pages = [
            st.Page(p.path, title=tr(p.title), default=p.path == SCREEN_PAGE)
            for p in visible_pages(actor)
        ]
        st.navigation(pages, position="hidden").run()
        return
    page = router(actor)  # before the menu: its links need the pages registered
    sidebar(actor, name)
    page.run()
