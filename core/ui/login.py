"""Log-in screen, first-run administrator creation and the forced password change."""

from __future__ import annotations

import streamlit as st

from core import auth, sessions
from core.config import get_settings
from core.db import session_scope
from core.i18n import Translatable
from core.ui.context import (
    Keys,
    browser_info,
    fetch_cookie,
    has_browser,
    lang,
    login,
    show_error,
    show_flash,
    tr,
)


def language_switch(key: str = "lang_switch") -> str | None:
    """zh-CN / en toggle; returns the newly chosen language, if it changed."""
    current = lang()
    choice = st.radio(
        tr("common.language"),
        ["zh-CN", "en"],
        index=["zh-CN", "en"].index(current),
        key=key,
        horizontal=True,
        format_func=lambda c: "中文" if c == "zh-CN" else "English",
    )
    if choice and choice != current:
        st.session_state[Keys.LANG] = choice
        return choice
    return None


def login_page() -> None:
    if language_switch("login_lang"):
        st.rerun()
    st.title(tr("login.title"))
    st.caption(tr("app.tagline"))
    show_flash()
    with session_scope() as session:
        first_run = not auth.has_users(session)
    if first_run:
        _first_admin()
        return
    with st.form("login"):
        username = st.text_input(tr("login.username"), key="login_user")
        password = st.text_input(tr("login.password"), type="password", key="login_pw")
        pressed = st.form_submit_button(tr("login.submit"), type="primary")
    if pressed:
        _log_in(username, password)


def _log_in(username: str, password: str) -> None:
    """Check the password, open a server-side session and have the browser fetch its cookie
    in the background; the tab is logged in at once (the cookie is for reloads, new tabs and
    pasted links)."""
    failure: Translatable | None = None
    with session_scope() as session:  # a wrong password's count and lock must be kept
        try:
            user = auth.authenticate(session, username, password, get_settings())
        except Translatable as exc:
            failure = exc
        else:
            agent, ip = browser_info()
            issued = sessions.create(session, user.id or 0, get_settings(), user_agent=agent, ip=ip)
    if failure is not None:
        show_error(failure)
        return
    login(user, session_id=issued.session_id)
    if has_browser():
        fetch_cookie(sessions.cookie_url(issued.ticket))
    st.rerun()


def _first_admin() -> None:
    """Shown only while the database has no user: there is no default password to guess."""
    st.info(tr("login.first_run"))
    with st.form("first_admin"):
        username = st.text_input(tr("login.username"), value="admin")
        name = st.text_input(tr("login.display_name"))
        password = st.text_input(tr("login.password"), type="password")
        repeat = st.text_input(tr("login.password_repeat"), type="password")
        pressed = st.form_submit_button(tr("login.create_admin"), type="primary")
    if not pressed:
        return
    if password != repeat:
        st.error(tr("login.passwords_differ"))
        return
    try:
        with session_scope() as session:
            if auth.has_users(session):
                return
            auth.create_user(
                session,
                None,
                get_settings(),
                username=username,
                display_name=name,
                password=password,
                roles=["admin"],
                must_change_password=False,
            )
    except Translatable as exc:
        show_error(exc)
        return
    st.session_state[Keys.FLASH] = ("success", tr("login.admin_created"))
    st.rerun()


def change_password_form(user_id: int, key: str = "pw") -> bool:
    """Old + new password; returns True once changed. The account's other browser sessions
    end; this tab's stays."""
    with st.form(key, clear_on_submit=True):
        old = st.text_input(tr("account.old_password"), type="password")
        new = st.text_input(tr("account.new_password"), type="password")
        repeat = st.text_input(tr("login.password_repeat"), type="password")
        pressed = st.form_submit_button(tr("account.change_password"), type="primary")
    if not pressed:
        return False
    if new != repeat:
        st.error(tr("login.passwords_differ"))
        return False
    try:
        with session_scope() as session:
            auth.change_password(
                session,
                user_id,
                old,
                new,
                get_settings(),
                keep_session=st.session_state.get(Keys.SESSION),
            )
    except Translatable as exc:
        show_error(exc)
        return False
    st.success(tr("account.password_changed"))
    return True
