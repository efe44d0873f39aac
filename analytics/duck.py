"""DuckDB over the operational database, read in place and read-only.

The operational database (SQLite file or PostgreSQL) stays the source of truth; DuckDB attaches
it read-only as ``ops`` through the scanner extension that ships as a PyPI wheel (pinned with
DuckDB itself: nothing is downloaded at run time, FIELD-NOTES.md) and aggregates it there.
Analytical functions take such a connection and an :class:`~core.rbac.Actor` and return Polars
frames; the actor's scope enters every query through :func:`scoped` — the same WHERE clause the
CRUD engine uses, compiled to SQL — so a dashboard can never count rows its viewer may not see.

Example:
    >>> con = connect(get_settings().db_url)  # doctest: +SKIP
    >>> con.sql(f"SELECT count(*) FROM {scoped('hazard', actor)}").fetchone()  # doctest: +SKIP
    (4213,)
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
from sqlalchemy import Alias, BindParameter, ColumnClause, DateTime, literal_column
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import make_url
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import replacement_traverse

from analytics.duck_process import RemoteConnection
from core.crud.lookup import visible
from core.crud.registry import get_spec
from core.local_time import utc_midnight
from core.rbac import Actor

OPS = "ops"  # the attached operational database
#: What :func:`connect` returns: in process (PostgreSQL) or in a helper process (SQLite).
Connection = duckdb.DuckDBPyConnection | RemoteConnection
# No silent downloads: an extension not shipped as a wheel must fail, not be fetched.
CONFIG = {"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"}


def extension_file(name: str) -> Path:
    """The ``.duckdb_extension`` inside its PyPI wheel (``sqlite_scanner``, ``postgres_scanner``)
    for the installed DuckDB version."""
    package = importlib.import_module(f"duckdb_extension_{name}")
    version = duckdb.__version__
    path = Path(package.__file__).parent / "extensions" / f"v{version}" / f"{name}.duckdb_extension"
    if not path.is_file():
        raise RuntimeError(f"{name} for DuckDB {version} is not installed ({path})")
    return path


def attach_target(url: str) -> tuple[str, str]:
    """``(extension, ATTACH target)`` for a SQLAlchemy database URL."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise ValueError("DuckDB needs a SQLite file, not an in-memory database")
        return "sqlite_scanner", str(Path(parsed.database).resolve())
    if parsed.get_backend_name() == "postgresql":
        parts = {
            "host": parsed.host,
            "port": parsed.port,
            "dbname": parsed.database,
            "user": parsed.username,
            "password": parsed.password,
        }
        return "postgres_scanner", " ".join(f"{k}={v}" for k, v in parts.items() if v)
    raise ValueError(f"DuckDB cannot read {parsed.get_backend_name()} databases")


def attach_statements(url: str) -> list[str]:
    """What attaches the database at ``url`` read-only as ``ops``, the default catalog (run
    here, in the helper process, or in the SQL console's worker)."""
    extension, target = attach_target(url)
    kind = "sqlite" if extension == "sqlite_scanner" else "postgres"
    return [
        f"LOAD '{extension_file(extension)}'",
        f"ATTACH {_quote(target)} AS {OPS} (TYPE {kind}, READ_ONLY)",
        f"USE {OPS}",
    ]


def connect(url: str) -> Connection:
    """A new in-memory DuckDB with the database at ``url`` attached read-only as ``ops`` and
    set as the default catalog (unqualified table names are the operational tables).

    On SQLite it runs in a helper process (:mod:`analytics.duck_process`): the scanner's own
    SQLite must never share a process with the app's, or their file locks break each other.
    """
    statements = attach_statements(url)
    if attach_target(url)[0] == "sqlite_scanner":
        return RemoteConnection(CONFIG, statements)
    con = duckdb.connect(":memory:", config=CONFIG)
    for statement in statements:
        con.execute(statement)
    return con


@contextmanager
def locked_connection(url: str) -> Iterator[Connection]:
    """A :func:`connect` under :func:`lock_down` for one page run's own queries; closed after
    (the pages' fixed SQL needs no files, network or settings)."""
    con = connect(url)
    try:
        lock_down(con)
        yield con
    finally:
        con.close()


def scoped(table: str, actor: Actor, *, include_deleted: bool = False) -> str:
    """``(SELECT … FROM table WHERE <actor's scope> AND deleted_at IS NULL)`` as a DuckDB
    subquery: what the CRUD engine's ``visible`` would return, for use in a FROM clause."""
    stmt = visible(get_spec(table), actor, include_deleted=include_deleted)
    sql = stmt.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
    return f"({sql})"


def lock_down(con: Connection) -> None:
    """No more files, network, ATTACH, COPY … TO or INSTALL on this connection, and no
    setting that could undo it. Only for a connection that never loaded a scanner: the
    scanners' table functions (``sqlite_scan``, ``postgres_scan``) ignore this setting, so
    untrusted SQL runs in a separate sandbox fed by :func:`connect` (``analytics.sql_console``)."""
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


# --- SQL fragments shared by the analytical queries ----------------------------------------


def enum_names(*members: object) -> str:
    """Enum members as SQL literals: both backends store enum *names* (``'CLOSED'``)."""
    return ", ".join(f"'{m.name}'" for m in members)  # type: ignore[attr-defined]


def as_ts(column: str) -> str:
    return f"CAST({column} AS TIMESTAMP)"


def local_ts(column: str, zone: str) -> str:
    """A naive-UTC timestamp column as a naive local timestamp (DuckDB's ICU zones)."""
    return f"timezone('{zone}', timezone('UTC', {as_ts(column)}))"


def local_day_sql(column: str, zone: str) -> str:
    """The local calendar day of a naive-UTC timestamp column."""
    return f"CAST({local_ts(column, zone)} AS DATE)"


def utc_instant(day: date, zone: str) -> str:
    """The UTC instant local ``day`` starts, as a DuckDB literal."""
    return f"TIMESTAMP '{utc_midnight(day, zone).replace(tzinfo=None)}'"


def condition(clause: ColumnElement[bool]) -> str:
    """A SQLAlchemy condition over a table alias (``Hazard.__table__.alias("r")``) as DuckDB
    SQL, so a domain rule (``core.hazard.overdue``) is written once and counted here too.

    Literals are inlined; timestamps are compared as naive UTC, as :func:`as_ts` reads them
    (SQLite keeps text, PostgreSQL ``timestamptz``)."""

    def duck(element: Any) -> Any:
        if (
            isinstance(element, ColumnClause)
            and isinstance(element.table, Alias)
            and element.type._type_affinity is DateTime
        ):
            return literal_column(as_ts(f"{element.table.name}.{element.name}"))
        if isinstance(element, BindParameter) and isinstance(element.value, datetime):
            moment = element.value
            naive = moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
            return literal_column(f"TIMESTAMP '{naive.isoformat(sep=' ')}'")
        return None

    swapped = replacement_traverse(clause, {}, duck)
    compiled = swapped.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
    return str(compiled)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
