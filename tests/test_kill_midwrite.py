"""SIGKILL in the middle of a write leaves nothing half-done: the database opens, SQLite's
integrity check passes, an import, a bulk step and a detector hit are each all there or not
there at all, no archive named like a backup is a broken one, and the audit chain verifies.

The suite kills each kind of write twice at random moments (seeded) and once a CLI import on
PostgreSQL; ``bench/bench_kill.py`` does it 20 times each and prints the table.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from random import Random

import pytest
from sqlalchemy import text
from sqlmodel import Session

from core import db
from core.config import Settings, get_settings, load_settings
from tests import kill_driver
from tests.pg import pg_available, temp_pg_database

RUNS_PER_KIND = 2


def _use(monkeypatch: pytest.MonkeyPatch, data_dir: Path, url: str = "") -> Settings:
    """Make ``data_dir`` (and ``url``) this process's settings, as the children's are."""
    monkeypatch.delenv("SAFELOOP_CONFIG", raising=False)
    monkeypatch.setenv("SAFELOOP_DATA_DIR", str(data_dir))
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    db.reset_engines()
    return load_settings(data_dir=data_dir, database_url=url)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One prepared SQLite data dir; each run works on a copy of it."""
    folder = tmp_path_factory.mktemp("kill-template")
    with pytest.MonkeyPatch.context() as mp:
        kill_driver.prepare(_use(mp, folder))
    get_settings.cache_clear()
    yield folder


@pytest.mark.parametrize("run", range(RUNS_PER_KIND))
@pytest.mark.parametrize("kind", kill_driver.KINDS)
def test_a_killed_write_leaves_nothing_half_done(
    kind: str, run: int, template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(template, data_dir)
    settings = _use(monkeypatch, data_dir)
    rng = Random(f"{kind}-{run}")
    kill_driver.run_and_kill(settings, kind, kill_driver.WINDOW_S[kind], rng)

    found = kill_driver.check(settings)
    assert found.integrity_ok
    assert found.partial == []
    assert found.chain_ok, found.chain_reason


def test_a_step_fired_first_in_a_transaction_is_undone_with_it(tmp_path: Path) -> None:
    """pysqlite committed a savepoint opened before the transaction's first write on its
    RELEASE: a workflow step (``fire`` runs in a savepoint) fired first then survived the
    rollback, and a bulk step killed half-way stayed half-done."""
    engine = db.make_engine(f"sqlite:///{tmp_path / 'app.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE step (n INTEGER)")
    with Session(engine) as s:
        s.execute(text("SELECT 1"))
        with s.begin_nested():
            s.execute(text("INSERT INTO step VALUES (1)"))
        s.rollback()
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM step").scalar() == 0
    engine.dispose()


@pytest.mark.postgres
def test_a_killed_import_on_postgres_leaves_nothing_half_done(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok, reason = pg_available()
    if not ok:
        pytest.skip(reason)
    with temp_pg_database() as url:
        settings = _use(monkeypatch, tmp_path, url)
        try:
            kill_driver.prepare(settings)
            kill_driver.run_and_kill(settings, "import", kill_driver.WINDOW_S["import"], Random(7))
            found = kill_driver.check(settings)
        finally:
            db.reset_engines()
    assert found.partial == []
    assert found.chain_ok, found.chain_reason
