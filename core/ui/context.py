"""Session state in one place: who is logged in, their language, when they were last seen."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from core import auth
from core.config import get_settings
from core.db import session_scope, utcnow
from core.i18n import Translatable, t
from core.rbac import Actor
from models.accounts import User


class Keys:
    USER_ID = "user_id"
    LANG = "lang"
    LAST_SEEN = "last_seen"
    FLASH = "flash"


def lang() -> str:
    return st.session_state.get(Keys.LANG) or get_settings().default_language


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


def current_actor() -> Actor | None:
    """The logged-in user as an Actor, reloaded each run so permission edits apply at once."""
    user_id = st.session_state.get(Keys.USER_ID)
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


def login(user: User) -> None:
    st.session_state[Keys.USER_ID] = user.id
    st.session_state[Keys.LANG] = user.language
    st.session_state[Keys.LAST_SEEN] = utcnow()


def logout() -> None:
    keep_lang = lang()
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    st.session_state[Keys.LANG] = keep_lang


def expired() -> bool:
    """End an idle session; otherwise note this interaction."""
    last: datetime | None = st.session_state.get(Keys.LAST_SEEN)
    if auth.session_expired(last, get_settings()):
        logout()
        return True
    st.session_state[Keys.LAST_SEEN] = utcnow()
    return False
