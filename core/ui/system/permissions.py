"""The permission matrix editor: one role at a time, modules × actions as tick boxes."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import audit
from core.db import session_scope
from core.rbac import Actor, grants_for, seed_permissions, set_grant
from core.ui.context import show_flash, tr
from core.ui.forms import submit
from models.enums import Action, Module, Role


def permission_editor(actor: Actor) -> None:
    st.title(tr("page.permissions"))
    show_flash()
    st.caption(tr("perm.intro"))
    roles = [r.value for r in Role if r != Role.ADMIN]
    role = st.selectbox(
        tr("perm.role"), roles, format_func=lambda r: tr(f"enum.Role.{r}"), key="perm_role"
    )
    with session_scope() as session:
        granted = grants_for(session, frozenset({role}))
    modules = [m.value for m in Module]
    actions = [a.value for a in Action]
    frame = pd.DataFrame(
        [[(m, a) in granted for a in actions] for m in modules],
        index=[tr(f"module.{m}") for m in modules],
        columns=[tr(f"action.{a}") for a in actions],
    )
    edited = st.data_editor(
        frame, width="stretch", height=36 * (len(modules) + 1) + 3, key=f"perm_grid_{role}"
    )
    c1, c2 = st.columns([1, 1])
    if c1.button(tr("common.save"), type="primary", key="perm_save"):
        changes = [
            (m, a, bool(edited.iat[i, j]))
            for i, m in enumerate(modules)
            for j, a in enumerate(actions)
            if bool(edited.iat[i, j]) != ((m, a) in granted)
        ]

        def save(session) -> None:
            for module, action, on in changes:
                set_grant(session, actor, role, module, action, on)
            if changes:
                audit.record(
                    session,
                    actor,
                    "permission_change",
                    table_name="role_permission",
                    detail={"role": role, "changes": [list(c) for c in changes]},
                )

        if submit("perm", save, tr("perm.saved", count=len(changes))):
            st.rerun()
    if c2.button(tr("perm.reset"), key="perm_reset"):

        def reset(session) -> None:
            actor.require(Module.SYSTEM, Action.CONFIGURE)
            seed_permissions(session, replace=True)
            audit.record(
                session,
                actor,
                "permission_change",
                table_name="role_permission",
                detail={"reset": True},
            )

        if submit("perm", reset, tr("perm.saved", count="∗")):
            st.rerun()
