"""The page list, filtered by what the user may see (the data layer checks again)."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from core.crud.registry import all_specs
from core.rbac import Actor
from core.ui.context import tr
from models.enums import Action, Module


@dataclass(frozen=True)
class PageDef:
    path: str
    title: str
    group: str
    module: str | None = None
    action: str = Action.VIEW


HOME = PageDef("pages/home.py", "page.home", "nav.workbench")
SYSTEM_PAGES: tuple[PageDef, ...] = (
    PageDef("pages/sys_users.py", "page.users", "nav.system", Module.USERS),
    PageDef(
        "pages/sys_permissions.py",
        "page.permissions",
        "nav.system",
        Module.SYSTEM,
        Action.CONFIGURE,
    ),
    PageDef(
        "pages/sys_custom_fields.py",
        "page.custom_fields",
        "nav.system",
        Module.SYSTEM,
        Action.CONFIGURE,
    ),
    PageDef("pages/sys_audit.py", "page.audit", "nav.system", Module.AUDIT),
    PageDef("pages/sys_backup.py", "page.backup", "nav.system", Module.SYSTEM, Action.CONFIGURE),
    PageDef("pages/account.py", "page.account", "nav.me"),
)


def all_pages() -> list[PageDef]:
    """Home, every table page grouped by module (in Module order), the reference lists, then
    the system pages."""
    order = {m.value: i for i, m in enumerate(Module)}
    specs = sorted(
        (s for s in all_specs() if s.page),
        key=lambda s: (s.nav_group is not None, order[str(s.module)]),
    )
    tables = [
        PageDef(s.page, s.label_key, s.nav_group or f"module.{s.module}", s.module) for s in specs
    ]
    return [HOME, *tables, *SYSTEM_PAGES]


def visible_pages(actor: Actor) -> list[PageDef]:
    return [p for p in all_pages() if p.module is None or actor.can(p.module, p.action)]


def navigation(actor: Actor) -> dict[str, list[st.Page]]:
    """Groups of st.Page for st.navigation; no icons (material icons load from a CDN)."""
    groups: dict[str, list[st.Page]] = {}
    for p in visible_pages(actor):
        page = st.Page(p.path, title=tr(p.title), default=p.path == "pages/home.py")
        groups.setdefault(tr(p.group), []).append(page)
    return groups


def guard(module: str, action: str = Action.VIEW) -> Actor:
    """Top of every page: the user, or a clear refusal and stop."""
    from core.ui.context import current_actor

    actor = current_actor()
    if actor is None:
        st.stop()
    if not actor.can(module, action):
        st.error(
            tr(
                "error.permission_denied",
                module=tr(f"module.{module}"),
                action=tr(f"action.{action}"),
            )
        )
        st.stop()
    return actor
