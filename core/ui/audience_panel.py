"""Under a published document: who it is for, and (for its editors) a form to change that."""

from __future__ import annotations

from typing import Any

import streamlit as st
from sqlmodel import Session

from core.audience import AudienceList, audience_choices, audience_of, set_audience
from core.crud.registry import TableSpec
from core.i18n import Translatable
from core.rbac import Actor
from core.ui.context import tr
from core.ui.forms import submit


def render_audience(session: Session, actor: Actor, record: Any, *, spec: TableSpec) -> None:
    current = audience_of(session, spec, actor, record.id)
    st.markdown(f"#### {tr('audience.title')}")
    if current.everyone:
        st.markdown(tr("audience.everyone"))
    else:
        parts = [
            ", ".join(current.names.get("departments", [])),
            ", ".join(current.names.get("posts", [])),
            ", ".join(tr(f"enum.Role.{r}") for r in current.roles),
        ]
        labels = ("audience.departments", "audience.posts", "audience.roles")
        for label, text in zip(labels, parts, strict=True):
            if text:
                st.markdown(f"**{tr(label)}**: {text}")
    editors = spec.scope.audience.editors if spec.scope.audience else None
    if editors is None or not actor.can(spec.module, editors) or record.deleted_at is not None:
        return
    _form(session, actor, record, spec, current)


def _form(
    session: Session, actor: Actor, record: Any, spec: TableSpec, current: AudienceList
) -> None:
    try:
        choices = audience_choices(session, spec, actor, record.id)
    except Translatable:
        return
    key = f"aud_{spec.name}_{record.id}"
    with st.expander(tr("audience.edit")), st.form(key):
        st.caption(tr("audience.help"))
        picked = {}
        for name, chosen in (
            ("departments", current.departments),
            ("posts", current.posts),
            ("roles", current.roles),
        ):
            options = choices[name]
            label = dict(options)
            picked[name] = st.multiselect(
                tr(f"audience.{name}"),
                [value for value, _ in options],
                default=[v for v in chosen if v in label],
                format_func=lambda v, label=label, name=name: (
                    tr(label[v]) if name == "roles" else str(label[v])
                ),
                key=f"{key}_{name}",
                placeholder=tr("audience.placeholder"),
            )
        pressed = st.form_submit_button(tr("common.save"), type="primary")
    if pressed:
        wanted = AudienceList(
            tuple(picked["departments"]), tuple(picked["posts"]), tuple(picked["roles"])
        )
        if submit(
            key, lambda s: set_audience(s, spec, actor, record.id, wanted), tr("audience.saved")
        ):
            st.rerun()
