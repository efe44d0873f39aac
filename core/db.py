"""Engine factory and session helper.

SQLite gets WAL, a busy timeout and foreign keys on every connection so the app and the
detector can write the same file without "database is locked" errors (FIELD-NOTES).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from core.config import Settings, get_settings


def utcnow() -> datetime:
    """The one clock of the data layer: aware UTC (SQLModel rejects naive datetimes)."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored one is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


#: How long a SQLite writer waits for the write lock before it fails. A whole workshop starting
#: its exam at 8:00 queues dozens of short writes behind one lock on a busy 2-core server
#: (5 s failed a third of 50 starts in ``bench/bench_exam_load.py``); a wait is better than a
#: refused start.
SQLITE_BUSY_SECONDS = 30


def upsert_insert(session: Session, model: Any) -> Any:
    """``INSERT`` for ``model`` in the session's dialect, which offers ``on_conflict_do_nothing``
    / ``on_conflict_do_update`` (PostgreSQL and SQLite spell them alike): one statement that a
    retry, a second tab or a race can repeat without a second row."""
    dialect = session.get_bind().dialect.name
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(model)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_begin_before_savepoint(conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
    """pysqlite opens a transaction only before INSERT/UPDATE/DELETE; a SAVEPOINT sent
    outside one starts its own, and RELEASE then *commits* it — so a workflow step fired
    first in a transaction was committed alone and a later rollback (or a kill) could not
    undo it. Begin the transaction first; IMMEDIATE because a savepoint wraps a write, so
    the write lock is waited for (busy timeout) instead of failing on a stale snapshot."""
    if statement.startswith("SAVEPOINT") and not conn.connection.dbapi_connection.in_transaction:
        cursor.execute("BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    """Create an engine for ``url`` with the per-backend settings SafeLoop relies on."""
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_SECONDS}
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "before_cursor_execute", _sqlite_begin_before_savepoint)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


_engines: dict[str, Engine] = {}


def get_engine(settings: Settings | None = None) -> Engine:
    """The shared engine for the configured database (one per URL per process)."""
    url = (settings or get_settings()).db_url
    if url not in _engines:
        _engines[url] = make_engine(url)
    return _engines[url]


def reset_engines() -> None:
    """Dispose every cached engine (after a restore, or between tests)."""
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()


def refresh_statistics(engine: Engine) -> None:
    """``ANALYZE`` after a bulk load, so the planner knows e.g. that ``deleted_at`` is nearly
    always NULL and picks the (state, deadline) index for the overdue list instead (SQLite keeps
    no statistics until asked; PostgreSQL's autovacuum would get there later on its own)."""
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error, always close."""
    session = Session(engine or get_engine(), expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
