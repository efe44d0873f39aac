"""配置 / Settings: reference lists, templates and administration, in one place (they left
the main menu so that it shows what people do every day)."""

from __future__ import annotations

import streamlit as st

from core.crud.registry import all_specs
from core.rbac import Actor
from core.ui.context import current_actor, tr
from core.ui.nav import MODULE_PAGES, SYSTEM_PAGES
from models.enums import Action, Module


def _reference(actor: Actor) -> None:
    by_module: dict[str, list[tuple[str, str]]] = {}
    for spec in all_specs():
        if spec.nav_group and spec.page and actor.can(spec.module, Action.VIEW):
            by_module.setdefault(spec.module, []).append((spec.page, tr(spec.label_key)))
    if not by_module:
        return
    st.subheader(tr("nav.reference"))
    order = [m.value for m in Module]
    modules = sorted(by_module, key=order.index)
    for col, module in zip(st.columns(3) * len(modules), modules, strict=False):
        with col.container(border=True):
            st.markdown(f"**{tr(f'module.{module}')}**")
            for page, label in by_module[module]:
                st.page_link(page, label=label)


def render_settings_home() -> None:
    actor = current_actor()
    if actor is None:
        st.stop()
    st.title(tr("page.settings_home"))
    admin = [p for p in SYSTEM_PAGES if p.open_to(actor)]
    templates = [p for p in MODULE_PAGES if p.action == Action.CONFIGURE and p.open_to(actor)]
    if admin or templates:
        st.subheader(tr("nav.system"))
        for p in [*admin, *templates]:
            st.page_link(p.path, label=tr(p.title))
    _reference(actor)
