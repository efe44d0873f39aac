"""The page list, filtered by what the user may see (the data layer checks again)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.crud.registry import all_specs
from core.rbac import Actor, default_matrix, default_scope
from core.ui.context import current_actor, tr
from core.ui.pagedef import ANY, PageDef
from core.ui.workbench import WORKBENCH_PAGES
from models.enums import Action, Module

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
    PageDef("pages/training_exam.py", "page.training_exam", "module.training", Module.TRAINING),
    PageDef(
        "pages/training_grading.py",
        "page.training_grading",
        "module.training",
        Module.TRAINING,
        Action.APPROVE,
    ),
    PageDef("pages/training_study.py", "page.training_study", "module.training", Module.TRAINING),
    PageDef(
        "pages/training_practice.py", "page.training_practice", "module.training", Module.TRAINING
    ),
    PageDef("pages/training_points.py", "page.training_points", "module.training", Module.TRAINING),
    PageDef(
        "pages/training_archive.py", "page.training_archive", "module.training", Module.TRAINING
    ),
    PageDef(
        "pages/training_coverage.py",
        "page.training_coverage",
        "module.training",
        Module.TRAINING,
        Action.EXPORT,
    ),
    PageDef(
        "pages/training_offline.py",
        "page.training_offline",
        "module.training",
        Module.TRAINING,
        Action.EDIT,
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
)


#: Modules with a home page, in menu order: one top-level entry each opens the module's
#: figures, what needs attention and its registers (``core.ui.module_home``).
HOME_MODULES: tuple[Module, ...] = (
    Module.RISK,
    Module.HAZARD,
    Module.PERMIT,
    Module.VIDEO,
    Module.CONTRACTOR,
    Module.TRAINING,
    Module.EMERGENCY,
    Module.INCIDENT,
    Module.HEALTH,
    Module.DUTY,
    Module.COMPLIANCE,
    Module.ORG,
)
MODULE_HOMES: tuple[PageDef, ...] = tuple(
    PageDef(f"pages/{m}_home.py", f"module.{m}", "nav.modules", m, own_scope=m != Module.ORG)
    for m in HOME_MODULES
)
ANALYTICS_ENTRIES: tuple[PageDef, ...] = (
    PageDef(
        "pages/analytics_cockpit.py", "page.analytics_cockpit", "nav.analytics", Module.ANALYTICS
    ),
    PageDef("pages/analytics_home.py", "page.analytics_home", "nav.analytics", Module.ANALYTICS),
    PageDef(
        "pages/analytics_screen.py",
        "page.analytics_screen",
        "nav.analytics",
        Module.ANALYTICS,
        Action.DISPLAY,
    ),
)
SETTINGS_ENTRIES: tuple[PageDef, ...] = (
    PageDef("pages/settings_home.py", "page.settings_home", "nav.settings", ANY, Action.CONFIGURE),
    PageDef("pages/sys_users.py", "page.users", "nav.settings", Module.USERS),
    PageDef("pages/sys_audit.py", "page.audit", "nav.settings", Module.AUDIT),
)
ACCOUNT = PageDef("pages/account.py", "page.account", "nav.me")
#: The sidebar's groups, in order.
GROUPS = ("nav.workbench", "nav.modules", "nav.analytics", "nav.settings")


def top_level() -> list[PageDef]:
    """Every sidebar entry, in order (each role sees those open to it)."""
    return [HOME, *WORKBENCH_PAGES, *MODULE_HOMES, *ANALYTICS_ENTRIES, *SETTINGS_ENTRIES]


def all_pages() -> list[PageDef]:
    """Every page with an address: the sidebar's entries, then each module's screens and
    registers (in Module order), the reference lists and the system pages. Addresses are
    the file names, so they never change with the menu."""
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
    pages: dict[str, PageDef] = {}
    for p in [*top_level(), *(r[3] for r in ranked), *SYSTEM_PAGES, ACCOUNT]:
        pages.setdefault(p.path, p)
    return list(pages.values())


def visible_pages(actor: Actor) -> list[PageDef]:
    """The pages ``actor`` may open; a screen-only account gets the wall screen alone."""
    if actor.screen_only:
        return [p for p in all_pages() if p.module and actor.can(p.module, p.action)]
    return [p for p in all_pages() if p.open_to(actor)]


def role_actor(role: str) -> Actor:
    """A user holding only ``role`` with the default permission matrix (the user guide's and
    the tests' view of a role; a site's edited matrix is read through real accounts)."""
    grants = default_matrix()[role]["grants"]
    pairs = {
        (m, a)
        for module, actions in grants.items()
        for m in ([x.value for x in Module] if module == "*" else [module])
        for a in actions
    }
    return Actor(
        user_id=None,
        username=role,
        roles=frozenset({role}),
        scope=default_scope(role),
        grants=frozenset(pairs),
    )


def top_level_entries(who: str | Actor) -> list[PageDef]:
    """The sidebar entries of a role (default matrix) or of an actor, in menu order."""
    actor = role_actor(who) if isinstance(who, str) else who
    if actor.screen_only:
        return [p for p in ANALYTICS_ENTRIES if p.action == Action.DISPLAY]
    unlinked = actor.user_id is not None and actor.person_id is None
    return [p for p in top_level() if p.open_to(actor) and not (p.needs_person and unlinked)]


def page_link(actor: Actor, page: str, **options: Any) -> None:
    """``st.page_link`` to ``page`` when ``actor`` may open it, else nothing: Streamlit fails
    with a traceback (``StreamlitPageNotFoundError``) on a page outside the user's
    navigation, and a door the user cannot use is no help either."""
    if any(p.path == page for p in visible_pages(actor)):
        st.page_link(page, **options)


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
