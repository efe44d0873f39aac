"""Shared fixtures: settings in a temp data dir, and a database on every backend we support.

Database tests take ``engine`` (or ``session``), which is parametrized over SQLite (a temp file)
and PostgreSQL (a throw-away database from ``tests/pg.py``; skipped with the reason when no server
answers). The schema, the permission matrix, the organisation (``org``) and the accounts
(``users``) are built once per module and backend, because argon2 hashing makes accounts slow to
create. Each test then gets a ``session`` inside a transaction that is rolled back afterwards, so
tests cannot see each other's writes even though they share one database. Code under test may
call ``session.commit()``: it only releases a savepoint.
"""

from __future__ import annotations

import atexit
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel
from streamlit.components.v2 import manifest_scanner

import models  # noqa: F401  (registers every table)
from core import db
from core.config import Settings, get_settings, load_settings
from core.rbac import seed_permissions
from tests import factories, pg
from tests.factories import Org, Users
from tests.pg import pg_available, temp_pg_database

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session", autouse=True)
def _scan_components_once() -> Iterator[None]:
    """Each new AppTest scans every installed distribution for Streamlit components (~0.27 s,
    most of opening a simple page); the installed set does not change during a run."""
    with pytest.MonkeyPatch.context() as mp:
        cached = cache(manifest_scanner.scan_component_manifests)
        mp.setattr(manifest_scanner, "scan_component_manifests", cached)
        yield


BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


#: Files that run for a minute or more: started first, so that with ``--dist loadfile`` the
#: two workers share them and no worker is left alone with a long file at the end of the run.
LONG_FIRST = (
    "tests/browser/test_permit_loop.py",
    "tests/browser/test_big_screen.py",
    "tests/browser/test_hazard_loop.py",
    "tests/browser/test_video_feed.py",
    "tests/browser/",
    "tests/detectors/test_service.py",
    "tests/test_cli.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Long files first (a stable sort: the order inside each group is kept)."""

    def rank(item: pytest.Item) -> int:
        path = Path(str(item.path)).resolve().relative_to(ROOT).as_posix()
        return next((i for i, p in enumerate(LONG_FIRST) if path.startswith(p)), len(LONG_FIRST))

    items.sort(key=rank)


@pytest.fixture(scope="session")
def run_root(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """This run's temp root, shared by its xdist workers (the demo cache lives there)."""
    base = tmp_path_factory.getbasetemp()
    return base if worker_id == "master" else base.parent


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Settings whose data dir (SQLite file, uploads, backups) is this test's temp dir."""
    for name in ("SAFELOOP_CONFIG", "DATABASE_URL", "SAFELOOP_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SAFELOOP_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield load_settings(data_dir=tmp_path)
    get_settings.cache_clear()
    db.reset_engines()


def _savepoint_friendly(engine: Engine) -> None:
    """Let pysqlite honour SAVEPOINT inside an outer transaction (SQLAlchemy's documented recipe).

    Without it pysqlite never sends BEGIN for the outer transaction, so releasing the first
    savepoint would commit for real and the per-test rollback would undo nothing.
    """

    @event.listens_for(engine, "connect")
    def _no_implicit_transactions(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None

    @event.listens_for(engine, "begin")
    def _explicit_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")


@cache
def _pg_schema() -> str:
    """This process's PostgreSQL template: an empty database with every table. Copying it
    (``CREATE DATABASE … TEMPLATE``) is quicker than creating ~100 tables for each module;
    dropped when the process ends."""
    name = pg.create_database()
    atexit.register(pg.drop_database, name)
    engine = db.make_engine(pg.database_url(name))
    SQLModel.metadata.create_all(engine)
    engine.dispose()  # a template must have no connections when it is copied
    return name


@contextmanager
def backend_engine(
    backend: str, directory: Path, *, rollback_tests: bool = True
) -> Iterator[Engine]:
    """An engine on an empty database with every table, for ``backend``; skips when unusable."""
    if backend == "sqlite":
        engine = db.make_engine(f"sqlite:///{directory / 'test.db'}")
        if rollback_tests:
            _savepoint_friendly(engine)
        SQLModel.metadata.create_all(engine)
        try:
            yield engine
        finally:
            engine.dispose()
        return
    ok, reason = pg_available()
    if not ok:
        print(f"\n{reason}")
        pytest.skip(reason)
    with temp_pg_database(template=_pg_schema()) as url:
        engine = db.make_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


@pytest.fixture(scope="module", params=BACKENDS)
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """One database per module and backend, with the default permission matrix."""
    with backend_engine(request.param, tmp_path_factory.mktemp(request.param)) as eng:
        with Session(eng) as s:
            seed_permissions(s)
            s.commit()
        yield eng


@pytest.fixture(params=BACKENDS)
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A fresh database configured exactly as in production, for tests that really commit."""
    with backend_engine(request.param, tmp_path, rollback_tests=False) as eng:
        with Session(eng) as s:
            seed_permissions(s)
            s.commit()
        yield eng


@pytest.fixture
def backend(engine: Engine) -> str:
    return engine.dialect.name


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose every write is rolled back when the test ends."""
    conn = engine.connect()
    outer = conn.begin()
    s = Session(bind=conn, join_transaction_mode="create_savepoint")
    try:
        yield s
    finally:
        s.close()
        outer.rollback()
        conn.close()


@pytest.fixture(scope="module")
def module_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings for fixtures built once per module (they only need the password policy)."""
    return Settings(data_dir=tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="module")
def world(engine: Engine, module_settings: Settings) -> tuple[Org, Users]:
    with Session(engine) as s:
        org = factories.build_org(s)
        users = factories.build_users(s, module_settings, org)
        s.commit()
    return org, users


@pytest.fixture(scope="module")
def org(world: tuple[Org, Users]) -> Org:
    """Park 高新园区 → enterprise 1 (机修车间 A, 铸造车间 B) and enterprise 2, with people."""
    return world[0]


@pytest.fixture(scope="module")
def users(world: tuple[Org, Users]) -> Users:
    """admin, safety_head (enterprise 1), inspector_a / inspector_b (departments A / B),
    employee_a (own), park_supervisor (park), display."""
    return world[1]
