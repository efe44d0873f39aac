"""PostgreSQL helpers for tests: every PG test runs in its own throw-away database.

The server URL defaults to a local trust-auth ``postgres`` superuser and can be overridden
with ``SAFELOOP_TEST_PG_URL``; tests skip (with the reason) when it cannot be reached, so
the suite stays green on machines without PostgreSQL.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL, make_url

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
CONNECT_TIMEOUT_S = 3


def pg_url() -> str:
    """The admin URL tests use to create and drop their databases."""
    return os.environ.get("SAFELOOP_TEST_PG_URL") or DEFAULT_PG_URL


def _libpq(url: URL) -> str:
    """SQLAlchemy URL → libpq URI (psycopg does not understand the ``+psycopg`` suffix)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _admin_connect(url: str) -> psycopg.Connection:
    return psycopg.connect(
        _libpq(make_url(url)), autocommit=True, connect_timeout=CONNECT_TIMEOUT_S
    )


@cache
def _probe(url: str) -> tuple[bool, str]:
    try:
        with _admin_connect(url) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # any failure means "not usable here"
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return False, reason
    return True, ""


def pg_available() -> tuple[bool, str]:
    """(True, "") when the test server answers, else (False, "PostgreSQL not reachable ...")."""
    url = pg_url()
    ok, reason = _probe(url)
    if ok:
        return True, ""
    shown = make_url(url).render_as_string(hide_password=True)
    return False, f"PostgreSQL not reachable at {shown}: {reason}"


def create_database(template: str | None = None) -> str:
    """Create a uniquely named database (a copy of ``template`` if given); returns its name."""
    name = f"safeloop_test_{uuid.uuid4().hex[:12]}"
    statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template is not None:
        statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
    with _admin_connect(pg_url()) as conn:
        conn.execute(statement)
    return name


def database_url(name: str) -> str:
    return make_url(pg_url()).set(database=name).render_as_string(hide_password=False)


def drop_database(name: str) -> None:
    """Drop ``name``; ``WITH (FORCE)`` so a pooled connection a test forgot to dispose cannot
    leave the database behind."""
    with _admin_connect(pg_url()) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@contextmanager
def temp_pg_database(template: str | None = None) -> Iterator[str]:
    """A new database (a copy of ``template`` if given) for the block; yields its URL."""
    name = create_database(template)
    try:
        yield database_url(name)
    finally:
        drop_database(name)
