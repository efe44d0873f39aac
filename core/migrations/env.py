"""Alembic environment, driven from ``core.migrate`` (there is no alembic.ini).

``core.migrate`` hands over an open connection in ``config.attributes["connection"]``; when
run any other way the URL comes from SafeLoop's settings. Both routes compare types and use
batch mode so later revisions can alter SQLite tables.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import models  # noqa: F401  (registers every table in SQLModel.metadata)

# Any fixed 64-bit key; serialises concurrent upgraders (app + detector) on PostgreSQL.
PG_LOCK_KEY = 0x5AFE_100B

target_metadata = SQLModel.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )


def _run(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PG_LOCK_KEY})")
        context.run_migrations()


def run_migrations_offline() -> None:
    """Emit SQL for review (``alembic upgrade --sql``) instead of touching a database."""
    from core.config import get_settings

    context.configure(
        url=get_settings().db_url,
        target_metadata=target_metadata,
        literal_binds=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from core.config import get_settings
    from core.db import make_engine

    engine = make_engine(get_settings().db_url)
    try:
        with engine.connect() as conn:
            _run(conn)
            conn.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
