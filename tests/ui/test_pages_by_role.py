"""Every page in each role's navigation renders for a user of that role, and the pages a role
cannot see are neither served to it nor, opened on their own, shown without a refusal.

One shared world: the test organisation, one account per role and one row in every table
(so registers, details and charts draw something). One AppTest per role walks through its
navigation with ``switch_page`` + ``run`` (0.05–0.15 s a page, a fresh AppTest per page
would add its first run each time), so the ~900 renders take about a minute.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from core.config import Settings, get_settings
from core.crud.registry import all_specs
from core.db import get_engine, session_scope, utcnow
from core.i18n import t
from core.rbac import Actor, actor_for
from core.ui.nav import all_pages, visible_pages
from models.accounts import User
from models.enums import Module, Role
from tests.demo_cache import DB_FILE, copy_database
from tests.factories import Org, Users, user
from tests.test_every_table import SPECS, _existing
from tests.ui.conftest import APP, REPO, using_data_dir

#: Failures in files owned by other engineers right now: ``(role, page) -> what fails``. The
#: role's walk skips them and ``test_known_failures`` expects them to fail (strict xfail), so
#: a fix shows up as XPASS: then delete the line.
KNOWN_FAILURES: dict[tuple[str, str], str] = {}

#: The roles whose hidden pages are tried (the narrowest reach, and the wall screen's).
OUTSIDERS = (Role.EMPLOYEE, Role.CONTRACTOR, Role.DISPLAY)
CJK = re.compile(r"[\u4e00-\u9fff]")
REGISTERS = sorted({s.page for s in all_specs() if s.page})


def _extra_accounts(session: Session, settings: Settings, org: Org) -> list[User]:
    """Accounts for the roles ``build_users`` has none of, placed like the demo's."""
    places = {
        Role.SAFETY_MANAGER: {"enterprise_id": org.ent1},
        Role.DEPT_HEAD: {"enterprise_id": org.ent1, "department_id": org.dept_a},
        Role.CONTRACTOR: {"enterprise_id": org.ent1},
    }
    return [
        user(session, settings, role.value, role, park_id=org.park, **place)
        for role, place in places.items()
    ]


def _one_row_each(session: Session) -> None:
    """A sample row in every table (created by the system, in the first enterprise and
    department), so no register is empty."""
    for spec in SPECS:
        _existing(session, spec, 1)  # small numbers stay inside every field's bounds


@pytest.fixture(scope="module")
def role_users(
    ui_template: tuple[Path, Org, Users], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, int]]:
    """Role → the user id of one account holding only that role, in the seeded world."""
    template, org, users = ui_template
    path = tmp_path_factory.mktemp("by_role")
    copy_database(template, path / DB_FILE)
    with using_data_dir(path) as settings:
        with session_scope(get_engine(settings)) as session:
            extra = _extra_accounts(session, settings, org)
            session.flush()
            _one_row_each(session)
            actors = [
                *(getattr(users, name) for name in Users.__dataclass_fields__),
                *(actor_for(session, u) for u in extra),
            ]
        by_role: dict[str, int] = {}
        for actor in actors:
            (role,) = actor.roles
            by_role.setdefault(role, actor.user_id)
        assert set(by_role) == set(Role), "a role has no account"
        yield by_role


def _actor(user_id: int) -> Actor:
    with session_scope() as session:
        return actor_for(session, session.get(User, user_id))


def _logged_in(script: str, user_id: int, lang: str) -> AppTest:
    at = AppTest.from_file(script, default_timeout=30)
    at.session_state["user_id"] = user_id
    at.session_state["last_seen"] = utcnow()
    at.session_state["lang"] = lang  # re-applied on every run
    return at


def _denied(lang: str) -> str:
    """The start of the permission message, without the module and action."""
    return t("error.permission_denied", lang, module="", action="").split("·")[0].strip()


def _problem(at: AppTest, lang: str) -> str | None:
    """What a user would see as broken on the page just run, or None."""
    denied = _denied(lang)
    if at.exception:
        return f"exception: {at.exception[0].message}"
    for e in at.error:
        if denied in e.value or "Traceback" in e.value:
            return f"error box: {e.value}"
    headings = [h.value for h in (*at.title, *at.header)]
    if not headings:
        return "no title or heading"
    if lang == "en" and CJK.search(headings[0]):
        return f"a Chinese heading in the English UI: {headings[0]}"
    return None


def _report(who: str, problems: list[str], pages: int) -> None:
    assert not problems, f"{who}: {len(problems)} of {pages} pages\n" + "\n".join(problems)


@contextmanager
def _default_language(lang: str) -> Iterator[None]:
    """AppTest calls a widget's ``format_func`` between runs, outside the script, where
    ``tr`` falls back to the default language: an English radio then reads back a Chinese
    label and the next run fails inside AppTest (a browser sends the option it showed)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SAFELOOP_DEFAULT_LANGUAGE", lang)
        get_settings.cache_clear()
        yield
    get_settings.cache_clear()


def _walk(role_users: dict[str, int], role: str, lang: str) -> None:
    with _default_language(lang):
        _walk_pages(role_users, role, lang)


def _walk_pages(role_users: dict[str, int], role: str, lang: str) -> None:
    user_id = role_users[role]
    pages = [p.path for p in visible_pages(_actor(user_id))]
    assert pages, f"{role} has no pages"
    at = _logged_in(APP, user_id, lang).run()
    assert not at.exception, at.exception
    problems = []
    for page in pages:
        if (role, page) in KNOWN_FAILURES:
            continue
        at.switch_page(page).run()
        if (problem := _problem(at, lang)) is not None:
            problems.append(f"{page}: {problem}")
    _report(f"{role} ({lang})", problems, len(pages))


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_every_page_in_the_navigation_renders(role_users: dict[str, int], role: str) -> None:
    _walk(role_users, role, "zh-CN")


def test_every_page_renders_in_english(role_users: dict[str, int]) -> None:
    """The English UI for one non-admin role (tests/test_i18n.py checks that every key has
    both languages; this catches texts that bypass the catalogue or fail to format)."""
    _walk(role_users, Role.INSPECTOR, "en")


@pytest.mark.parametrize("role", [r.value for r in OUTSIDERS])
def test_pages_outside_the_navigation_refuse_when_opened(
    role_users: dict[str, int], role: str
) -> None:
    """A page outside the user's navigation is not served by the app (an address typed for
    it opens the default page: home, or the wall for a display), and a page of a module the
    user lacks refuses even when run on its own: the permission message, never a traceback
    or the data."""
    user_id = role_users[role]
    actor = _actor(user_id)
    shown = {p.path for p in visible_pages(actor)}
    hidden = [p for p in all_pages() if p.path not in shown]
    assert {p.path for p in hidden} & set(REGISTERS), f"{role} sees every register"
    app = _logged_in(APP, user_id, "zh-CN").run()
    assert not app.exception, app.exception
    if actor.screen_only:
        assert app.title[0].value == t("page.analytics_screen"), "a display opens on the wall"
    denied, problems = _denied("zh-CN"), []
    for p in hidden:
        try:
            app.switch_page(p.path)
            problems.append(f"{p.path}: in the navigation although hidden")
        except ValueError:
            pass  # not registered: Streamlit answers its address with the default page
        if p.module not in set(Module) or actor.can(p.module, p.action):
            continue  # hidden by another rule (own scope, screen-only) the page needn't repeat
        at = _logged_in(str(REPO / p.path), user_id, "zh-CN").run()
        errors = [e.value for e in at.error]
        if at.exception:
            problems.append(f"{p.path}: exception: {at.exception[0].message}")
        elif not any(denied in e for e in errors):
            problems.append(f"{p.path}: no permission message ({errors})")
        elif at.dataframe:
            problems.append(f"{p.path}: a grid next to the refusal")
    _report(role, problems, len(hidden))


@pytest.mark.parametrize(
    ("role", "page"),
    [
        pytest.param(role, page, marks=pytest.mark.xfail(strict=True, reason=reason))
        for (role, page), reason in KNOWN_FAILURES.items()
    ]
    or [pytest.param("", "", marks=pytest.mark.skip(reason="no known failures"))],
)
def test_known_failures(role_users: dict[str, int], role: str, page: str) -> None:
    at = _logged_in(APP, role_users[role], "zh-CN").run()
    at.switch_page(page).run()
    problem = _problem(at, "zh-CN")
    assert problem is None, f"{role} {page}: {problem}"
