"""User administration pieces the generic CRUD page does not know: passwords and locks."""

from __future__ import annotations

import streamlit as st
from sqlmodel import Session

from core import auth
from core.clock import shown
from core.config import get_settings
from core.crud.registry import get_spec
from core.db import session_scope
from core.rbac import Actor
from core.system.accounts import open_account
from core.ui.context import tr
from core.ui.forms import form_inputs, submit
from models.accounts import User
from models.enums import Action, Module

_ACCOUNT_FIELDS = ("roles", "scope", "park_id", "enterprise_id", "department_id", "person_id")


def new_user_form(actor: Actor) -> None:
    spec = get_spec("user")
    key = "user_new"
    with session_scope() as session, st.form(key):
        specs = tuple(
            f for f in spec.fields if f.name in ("username", "display_name", *_ACCOUNT_FIELDS)
        )
        raw = form_inputs(session, actor, specs, None, key)
        password = st.text_input(tr("users.initial_password"), type="password", key=f"{key}_pw")
        pressed = st.form_submit_button(tr("users.new"), type="primary")
    if not pressed:
        return

    def create(session: Session) -> None:
        open_account(
            session,
            actor,
            get_settings(),
            username=raw["username"] or "",
            display_name=raw["display_name"] or "",
            password=password,
            roles=list(raw["roles"] or []),
            scope=raw["scope"],
            **{k: raw[k] for k in _ACCOUNT_FIELDS[2:]},
        )

    if submit(key, create, tr("common.created", title=raw["username"])):
        st.rerun()


def user_actions(session: Session, actor: Actor, user: User) -> None:
    """Reset password and unlock, for whoever may edit users."""
    if not actor.can(Module.USERS, Action.EDIT):
        return
    if user.locked_until is not None:
        st.warning(tr("users.locked_badge", until=shown(user.locked_until, "%H:%M")))
        if st.button(tr("users.unlock"), key=f"unlock_{user.id}") and submit(
            "unlock", lambda s: auth.unlock(s, actor, user.id), tr("users.unlocked")
        ):
            st.rerun()
    with st.expander(tr("users.reset_password")), st.form(f"reset_{user.id}", clear_on_submit=True):
        password = st.text_input(tr("users.initial_password"), type="password")
        if st.form_submit_button(tr("users.reset_password")) and submit(
            "reset",
            lambda s: auth.reset_password(s, actor, user.id, password, get_settings()),
            tr("users.reset_done"),
        ):
            st.rerun()
