"""The page list, filtered by what the user may see (the data layer checks again)."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

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


PAGES: tuple[PageDef, ...] = (
    PageDef("pages/home.py", "page.home", "nav.workbench"),
    PageDef("pages/org_park.py", "table.park", "nav.org", Module.ORG),
    PageDef("pages/org_enterprise.py", "table.enterprise", "nav.org", Module.ORG),
    PageDef("pages/org_department.py", "table.department", "nav.org", Module.ORG),
    PageDef("pages/org_area.py", "table.area", "nav.org", Module.ORG),
    PageDef("pages/org_post.py", "table.post", "nav.org", Module.ORG),
    PageDef("pages/org_person.py", "table.person", "nav.org", Module.ORG),
    PageDef("pages/org_certificate.py", "table.certificate", "nav.org", Module.ORG),
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
    PageDef("pages/account.py", "page.account", "nav.me"),
)


def visible_pages(actor: Actor) -> list[PageDef]:
    return [p for p in PAGES if p.module is None or actor.can(p.module, p.action)]


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
