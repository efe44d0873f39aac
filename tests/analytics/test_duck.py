"""DuckDB over the operational database (SQLite file and PostgreSQL): attached read-only from the
wheel-shipped scanner, each actor sees through ``scoped`` exactly what the CRUD engine shows
them, writes are refused, and a locked-down sandbox refuses files, ATTACH, COPY … TO and
INSTALL."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from analytics.duck import CONFIG, Connection, attach_target, connect, lock_down, scoped
from core.crud.lookup import visible
from core.crud.registry import get_spec
from core.rbac import Actor
from tests.factories import Org, Users

ACTORS = ("admin", "safety_head", "inspector_a", "inspector_b", "park_supervisor", "employee_a")


@pytest.fixture(scope="module")
def duck(engine: Engine, world: tuple[Org, Users]) -> Iterator[Connection]:
    """The module's database (organisation and accounts committed) read by DuckDB."""
    con = connect(engine.url.render_as_string(hide_password=False))
    yield con
    con.close()


@pytest.mark.parametrize("name", ACTORS)
def test_each_actor_counts_what_the_crud_engine_shows(
    duck: Connection, engine: Engine, users: Users, name: str
) -> None:
    actor: Actor = getattr(users, name)
    for table in ("person", "department", "certificate", "user"):
        with Session(engine) as session:
            expected = session.exec(
                select(func.count()).select_from(visible(get_spec(table), actor).subquery())
            ).one()
        (got,) = duck.sql(f"SELECT count(*) FROM {scoped(table, actor)}").fetchone()
        assert got == expected, (table, name)


def test_scope_really_narrows(duck: Connection, users: Users, org: Org) -> None:
    ents = duck.sql(
        f"SELECT DISTINCT enterprise_id FROM {scoped('person', users.inspector_a)}"
    ).fetchall()
    assert ents == [(org.ent1,)]
    (everyone,) = duck.sql(f"SELECT count(*) FROM {scoped('person', users.admin)}").fetchone()
    (dept_a,) = duck.sql(f"SELECT count(*) FROM {scoped('person', users.inspector_a)}").fetchone()
    assert 0 < dept_a < everyone


@pytest.mark.parametrize(
    "statement",
    [
        "ATTACH '/tmp/safeloop-other.db' AS other",
        "COPY (SELECT 1) TO '/tmp/safeloop-leak.csv'",
        "INSTALL httpfs",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SET enable_external_access = true",
    ],
)
def test_a_locked_sandbox_refuses_files_and_extensions(statement: str) -> None:
    con = duckdb.connect(":memory:", config=CONFIG)
    lock_down(con)
    with pytest.raises(duckdb.Error):
        con.execute(statement)
    assert con.sql("SELECT 42").fetchone() == (42,)  # plain SQL still works
    con.close()


@pytest.mark.parametrize(
    "statement",
    ["INSERT INTO person (name) VALUES ('x')", "UPDATE person SET name = 'x'", "DROP TABLE person"],
)
def test_the_attached_database_is_read_only(duck: Connection, statement: str) -> None:
    with pytest.raises(duckdb.Error):
        duck.execute(statement)


def test_attach_targets() -> None:
    assert attach_target("sqlite:////srv/safeloop/safeloop.db") == (
        "sqlite_scanner",
        "/srv/safeloop/safeloop.db",
    )
    assert attach_target("postgresql+psycopg://sl:pw@db:5433/safeloop") == (
        "postgres_scanner",
        "host=db port=5433 dbname=safeloop user=sl password=pw",
    )
    with pytest.raises(ValueError):
        attach_target("sqlite://")
