"""AppTest fixtures: a migrated SQLite database with the test organisation, and a way to
open any page as any of its users (logged in through session state, as the app does)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.config import Settings, get_settings
from core.db import get_engine, reset_engines, session_scope, utcnow
from core.migrate import upgrade
from core.rbac import seed_permissions
from tests.demo_cache import DB_FILE, copy_database
from tests.factories import Org, Users, build_org, build_users

REPO = Path(__file__).resolve().parents[2]
APP = str(REPO / "streamlit_app.py")


@contextmanager
def using_data_dir(path: Path) -> Iterator[Settings]:
    """The app's settings and engines pointed at ``path`` while the block runs."""
    mp = pytest.MonkeyPatch()
    mp.setenv("SAFELOOP_DATA_DIR", str(path))
    mp.delenv("DATABASE_URL", raising=False)
    get_settings.cache_clear()
    reset_engines()
    try:
        yield get_settings()
    finally:
        reset_engines()
        get_settings.cache_clear()
        mp.undo()


@pytest.fixture(scope="session")
def ui_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Org, Users]:
    """A migrated database with the test organisation and its accounts, built once per
    worker (migrating costs seconds); each module works on its own copy."""
    path = tmp_path_factory.mktemp("ui_template")
    with using_data_dir(path) as settings:
        upgrade(settings)
        with session_scope(get_engine(settings)) as session:
            seed_permissions(session)
            org = build_org(session)
            users = build_users(session, settings, org)
    return path / DB_FILE, org, users


@pytest.fixture(scope="module")
def ui_world(
    ui_template: tuple[Path, Org, Users], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Org, Users]]:
    template, org, users = ui_template
    path = tmp_path_factory.mktemp("ui")
    copy_database(template, path / DB_FILE)
    with using_data_dir(path):
        yield org, users


OpenPage = Callable[..., AppTest]


@pytest.fixture
def open_page(ui_world: tuple[Org, Users]) -> OpenPage:
    """``open_page("pages/org_person.py", as_user="inspector_a", lang="en")``."""

    def _open(
        path: str | None = None, *, as_user: str | None = "admin", lang: str = "zh-CN"
    ) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=30)
        if as_user is not None:
            at.session_state["user_id"] = getattr(ui_world[1], as_user).user_id
            at.session_state["last_seen"] = utcnow()
        if lang is not None:  # values set here are re-applied on every run of the AppTest
            at.session_state["lang"] = lang
        at.run()
        if path is not None:
            at.switch_page(path)
            at.run()
        return at

    return _open
