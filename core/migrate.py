"""Schema migrations without an alembic.ini: the configuration is built here in code.

``upgrade()`` runs at every start of the app and the detector, so it must be cheap when the
schema is current and safe when two processes start at once: on SQLite the migration runs in
one ``BEGIN IMMEDIATE`` transaction (DDL included), on PostgreSQL under an advisory lock
taken in ``core/migrations/env.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from core.config import Settings, get_settings
from core.db import make_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_MIGRATION_BUSY_MS = 30_000


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at ``core/migrations``; ``connection`` is used by env.py."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str | None:
    """The newest revision shipped with this code."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def known_revisions() -> set[str]:
    """Every revision id this code can migrate from (used to vet restored backups)."""
    script = ScriptDirectory.from_config(alembic_config())
    return {rev.revision for rev in script.walk_revisions()}


def _sqlite_autocommit_driver(dbapi_conn: Any, _record: Any) -> None:
    # pysqlite would otherwise commit implicitly before DDL, so a failed migration could
    # leave half a schema behind; we issue BEGIN ourselves in _sqlite_begin_immediate.
    dbapi_conn.isolation_level = None
    dbapi_conn.execute(f"PRAGMA busy_timeout={SQLITE_MIGRATION_BUSY_MS}")
    # Batch mode rebuilds a table by copy, drop and rename; with foreign keys enforced SQLite
    # refuses to drop a table others point at. SQLite's own recipe: switch them off for the
    # migration, then prove nothing dangles (foreign_key_check in ``upgrade``).
    dbapi_conn.execute("PRAGMA foreign_keys=OFF")


def _sqlite_begin_immediate(conn: Connection) -> None:
    # Take the write lock up front so a second upgrader waits, then sees the new revision.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _migration_engine(url: str) -> Engine:
    """A private engine so migrations never share pooled connections with the app."""
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_autocommit_driver)
        event.listen(engine, "begin", _sqlite_begin_immediate)
    return engine


def upgrade(settings: Settings | None = None) -> None:
    """Bring the configured database to the newest revision; a no-op when already there."""
    engine = _migration_engine((settings or get_settings()).db_url)
    try:
        with engine.connect() as conn:
            before = MigrationContext.configure(conn).get_current_revision()
            command.upgrade(alembic_config(conn), "head")
            ran = MigrationContext.configure(conn).get_current_revision() != before
            if ran and engine.dialect.name == "sqlite":
                dangling = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if dangling:
                    conn.rollback()
                    raise RuntimeError(f"migration left dangling references: {dangling[:5]}")
            if conn.in_transaction():
                conn.commit()
    finally:
        engine.dispose()


def current_revision(engine: Engine) -> str | None:
    """The revision stamped in the database, or None for an unmigrated one."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
