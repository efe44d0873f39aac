"""Session state in one place: who is logged in, their language, when they were last seen.

A tab is logged in by its session state; what makes the log-in outlast the tab (a reload, a
new tab, a pasted link) is the server-side session of ``core.sessions``, whose token the
browser keeps in an HttpOnly cookie and sends with the page's websocket. A tab without a
user logs in from that cookie; a tab with one checks its session on every run, so a log-out
elsewhere, a password change or a lock ends it at the next click.
"""

from __future__ import annotations

import json
from datetime import datetime

import streamlit as st

from core import auth, sessions
from core.config import get_settings
from core.db import session_scope, utcnow
from core.i18n import LANGUAGES, Translatable, t
from core.rbac import Actor
from models.accounts import User


class Keys:
    USER_ID = "user_id"
    LANG = "lang"
    LAST_SEEN = "last_seen"
    FLASH = "flash"
    #: The tab's server-side session (``user_session.id``); absent for a tab logged in by
    #: session state alone (AppTest), which keeps the idle clock in LAST_SEEN.
    SESSION = "browser_session"
    #: An address the browser is sent to at the next run (clearing the cookie).
    GO_TO = "go_to"
    #: An address the browser requests in the background at the next run (setting it).
    FETCH = "fetch_cookie"


def lang() -> str:
    """The tab's language, else the one this browser last used (a log-out reloads the page
    and must not switch an English user's log-in form back to Chinese), else the site's."""
    chosen = st.session_state.get(Keys.LANG)
    if chosen is None:
        try:
            kept = st.context.cookies.get(sessions.LANG_COOKIE)
        except Exception:  # no browser behind this run
            kept = None
        chosen = kept if kept in LANGUAGES else None
    return chosen or get_settings().default_language


def tr(key: str, **params: object) -> str:
    return t(key, lang(), **params)


def flash(kind: str, message: str) -> None:
    """Show a message after the next rerun (a rerun clears what is on screen)."""
    st.session_state[Keys.FLASH] = (kind, message)


def show_flash() -> None:
    """Always one container, so the elements below keep their identity (tabs keep their tab)."""
    box = st.container()
    kind, message = st.session_state.pop(Keys.FLASH, (None, None))
    if kind:
        getattr(box, kind)(message)


def show_error(exc: Translatable) -> None:
    st.error(exc.message(lang()))


def has_browser() -> bool:
    """A real browser tab; AppTest's runs have a stand-in context and no cookies."""
    try:
        return isinstance(st.context.headers.get("Host"), str)
    except Exception:
        return False


def send_browser(path: str, message_key: str) -> None:
    """Load ``path`` in the whole tab at the next run (only an HTTP response can clear the
    cookie); until the browser has left, that run shows ``message_key`` only, so nothing on
    the page can be pressed in vain."""
    st.session_state[Keys.GO_TO] = (path, message_key)


def _follow_send_browser() -> None:
    pending = st.session_state.pop(Keys.GO_TO, None)
    if not pending:
        return
    target, message_key = pending
    script = f"<script>window.location.replace({json.dumps(target)});</script>"
    st.html(script, unsafe_allow_javascript=True)
    st.info(tr(message_key))
    st.stop()


def fetch_cookie(path: str) -> None:
    """Have the browser request ``path`` in the background at the next run: the response
    sets the cookie while the tab, logged in already, draws the workbench (loading the whole
    page again for it cost every log-in a second)."""
    st.session_state[Keys.FETCH] = path


def _follow_fetch_cookie() -> None:
    path = st.session_state.pop(Keys.FETCH, None)
    if path:
        options = "{credentials: 'same-origin', cache: 'no-store'}"
        script = f"<script>fetch({json.dumps(path)}, {options});</script>"
        st.html(script, unsafe_allow_javascript=True)


def _cookie_token() -> str | None:
    try:
        token = st.context.cookies.get(sessions.COOKIE)
    except Exception:  # no browser behind this run (a script run without a server)
        return None
    return token if isinstance(token, str) else None  # AppTest's context is a stand-in


def browser_info() -> tuple[str, str | None]:
    """The browser's User-Agent and address, noted on its session (who was logged in where)."""
    try:
        agent, ip = st.context.headers.get("User-Agent"), st.context.ip_address
    except Exception:  # no browser behind this run
        return "", None
    return (agent if isinstance(agent, str) else ""), (ip if isinstance(ip, str) else None)


def _login_from_cookie() -> int | None:
    """A fresh tab (a reload, a new tab, a pasted link) of a browser that is logged in."""
    token = _cookie_token()
    if not token:
        return None
    with session_scope() as session:
        found = sessions.resolve(session, token, get_settings())
        user = auth.logged_in_user(session, found.user_id) if found is not None else None
        if found is None or user is None:
            return None
        login(user, session_id=found.id)
    return user.id


def current_actor() -> Actor | None:
    """The logged-in user as an Actor, reloaded each run so permission edits apply at once."""
    _follow_send_browser()
    _follow_fetch_cookie()
    user_id = st.session_state.get(Keys.USER_ID)
    if user_id is None:
        user_id = _login_from_cookie()
    if user_id is None:
        return None
    with session_scope() as session:
        actor = auth.active_actor(session, user_id)
    if actor is None:
        logout()
    return actor


def current_user() -> User | None:
    user_id = st.session_state.get(Keys.USER_ID)
    if user_id is None:
        return None
    with session_scope() as session:
        return auth.logged_in_user(session, user_id)


def login(user: User, session_id: int | None = None) -> None:
    st.session_state[Keys.USER_ID] = user.id
    st.session_state[Keys.LANG] = user.language
    st.session_state[Keys.LAST_SEEN] = utcnow()
    if session_id is not None:
        st.session_state[Keys.SESSION] = session_id


def logout() -> None:
    keep_lang = lang()
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    st.session_state[Keys.LANG] = keep_lang


def end_session() -> None:
    """The log-out button: the browser session ends in the database (every tab of this
    browser logs out at its next run), the tab forgets its user, and the browser is sent to
    the address that clears the cookie."""
    session_id = st.session_state.get(Keys.SESSION)
    if session_id is not None:
        with session_scope() as session:
            sessions.revoke(session, session_id)
    logout()
    if has_browser():
        send_browser(f"{sessions.LOGOUT_PATH}?lang={lang()}", "login.leaving")


def expired() -> bool:
    """End a session that was revoked, ran out or sat idle; otherwise note this interaction."""
    session_id = st.session_state.get(Keys.SESSION)
    if session_id is not None:
        with session_scope() as session:
            live = sessions.check(session, session_id, get_settings())
        if live != st.session_state.get(Keys.USER_ID):
            logout()
            return True
        return False
    last: datetime | None = st.session_state.get(Keys.LAST_SEEN)
    if auth.session_expired(last, get_settings()):
        logout()
        return True
    st.session_state[Keys.LAST_SEEN] = utcnow()
    return False
