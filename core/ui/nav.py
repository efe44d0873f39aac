"""The page list, filtered by what the user may see (the data layer checks again)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from core.crud.registry import all_specs
from core.rbac import Actor
from core.ui.context import current_actor, tr
from models.enums import Action, Module


@dataclass(frozen=True)
class PageDef:
    path: str
    title: str
    group: str
    module: str | None = None
    action: str = Action.VIEW


HOME = PageDef("pages/home.py", "page.home", "nav.workbench")
#: Module screens that are more than a table (maps, task lists, analysis), shown at the top of
#: their module's group. One line per page; keep them in module order.
MODULE_PAGES: tuple[PageDef, ...] = (
    PageDef(
        "pages/hazard_report.py",
        "page.hazard_report",
        "module.hazard",
        Module.HAZARD,
        Action.CREATE,
    ),
    PageDef("pages/risk_map.py", "page.risk_map", "module.risk", Module.RISK),
    PageDef("pages/hazard_analysis.py", "page.hazard_analysis", "module.hazard", Module.HAZARD),
    PageDef("pages/risk_my_tasks.py", "page.risk_my_tasks", "module.risk", Module.RISK),
    PageDef(
        "pages/risk_control_list.py",
        "page.risk_control_list",
        "module.risk",
        Module.RISK,
        Action.EXPORT,
    ),
    PageDef(
        "pages/permit_apply.py",
        "page.permit_apply",
        "module.permit",
        Module.PERMIT,
        Action.CREATE,
    ),
    PageDef("pages/permit_work.py", "page.permit_work", "module.permit", Module.PERMIT),
    PageDef("pages/permit_map.py", "page.permit_map", "module.permit", Module.PERMIT),
    PageDef("pages/permit_stats.py", "page.permit_stats", "module.permit", Module.PERMIT),
    PageDef(
        "pages/permit_template_editor.py",
        "page.permit_template_editor",
        "module.permit",
        Module.PERMIT,
        Action.CONFIGURE,
    ),
    PageDef("pages/video_feed.py", "page.video_feed", "module.video", Module.VIDEO),
    PageDef("pages/video_stats.py", "page.video_stats", "module.video", Module.VIDEO),
    PageDef("pages/video_cameras.py", "page.video_cameras", "module.video", Module.VIDEO),
    PageDef("pages/video_setup.py", "page.video_setup", "module.video", Module.VIDEO),
    PageDef("pages/video_models.py", "page.video_models", "module.video", Module.VIDEO),
    PageDef("pages/analytics_sql.py", "page.analytics_sql", "module.analytics", Module.ANALYTICS),
    PageDef(
        "pages/analytics_trends.py", "page.analytics_trends", "module.analytics", Module.ANALYTICS
    ),
    PageDef(
        "pages/analytics_cockpit.py", "page.analytics_cockpit", "module.analytics", Module.ANALYTICS
    ),
    PageDef(
        "pages/analytics_dashboards.py",
        "page.analytics_dashboards",
        "module.analytics",
        Module.ANALYTICS,
    ),
    PageDef(
        "pages/analytics_screen.py",
        "page.analytics_screen",
        "module.analytics",
        Module.ANALYTICS,
        Action.DISPLAY,
    ),
    PageDef(
        "pages/analytics_reports.py",
        "page.analytics_reports",
        "module.analytics",
        Module.ANALYTICS,
        Action.EXPORT,
    ),
    # end of module pages
)
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
    PageDef("pages/sys_delivery.py", "page.delivery_log", "nav.system", Module.AUDIT),
    PageDef("pages/sys_backup.py", "page.backup", "nav.system", Module.SYSTEM, Action.CONFIGURE),
    PageDef("pages/account.py", "page.account", "nav.me"),
)


def all_pages() -> list[PageDef]:
    """Home, every module's screens then its tables (in Module order), the reference lists,
    then the system pages."""
    order = {m.value: i for i, m in enumerate(Module)}
    ranked = [(False, order[str(p.module)], 0, p) for p in MODULE_PAGES]
    ranked += [
        (
            s.nav_group is not None,
            order[str(s.module)],
            1,
            PageDef(s.page, s.label_key, s.nav_group or f"module.{s.module}", s.module),
        )
        for s in all_specs()
        if s.page
    ]
    ranked.sort(key=lambda r: r[:3])
    return [HOME, *(r[3] for r in ranked), *SYSTEM_PAGES]


def visible_pages(actor: Actor) -> list[PageDef]:
    """The pages ``actor`` may open; a screen-only account gets the wall screen alone."""
    if actor.screen_only:
        return [p for p in all_pages() if p.module and actor.can(p.module, p.action)]
    return [p for p in all_pages() if p.module is None or actor.can(p.module, p.action)]


def page_link(actor: Actor, page: str, **options: Any) -> None:
    """``st.page_link`` to ``page`` when ``actor`` may open it, else nothing: Streamlit fails
    with a traceback (``StreamlitPageNotFoundError``) on a page outside the user's
    navigation, and a door the user cannot use is no help either."""
    if any(p.path == page for p in visible_pages(actor)):
        st.page_link(page, **options)


def navigation(actor: Actor) -> dict[str, list[st.Page]]:
    """Groups of st.Page for st.navigation; no icons (material icons load from a CDN)."""
    groups: dict[str, list[st.Page]] = {}
    for p in visible_pages(actor):
        page = st.Page(p.path, title=tr(p.title), default=p.path == "pages/home.py")
        groups.setdefault(tr(p.group), []).append(page)
    return groups


def guard(module: str, action: str = Action.VIEW) -> Actor:
    """Top of every page: the user, or a clear refusal and stop."""

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
