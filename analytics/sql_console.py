"""The analysts' SQL console: read-only by construction, scoped, limited and audited.

Only one SELECT is accepted. The business tables it names are checked against the actor's
modules, read through :func:`analytics.duck.scoped` (the CRUD engine's scope; deleted rows,
secret columns and columns the actor may not read, such as an exam's answer key, left out) on a
connection to the operational database, and handed as Arrow to a second, fresh in-memory
DuckDB: the sandbox. The sandbox never attached the database nor loaded
its scanner extension, has Python replacement scans off, and is locked down (no files, ATTACH,
COPY, INSTALL, LOAD or settings) before the query runs, so the query can only see, and change,
a private scoped copy that is thrown away. The row limit is applied by wrapping it. Every
attempt, refused or not, is appended to the audit chain.

This module decides (statement, tables, scope, limits); the copy and the query run in a worker
process (:mod:`analytics.console_worker`, pooled by :mod:`analytics.console_pool`) with a memory
cap enforced by the OS and a wall-clock kill, so no query can take the app's memory or time.
The copy has the site's limit (``console_copy_seconds``), the query the user's.

Cost at demo scale (S, ~186,000 business rows): attaching the database and copying what a
query names takes 0.15-0.25 s (10,200 hazards or 35,000 permit signatures alike: attaching
dominates), the query itself a few ms; a query that names no table (``SELECT 1``) ~25 ms.

Example:
    >>> sql = "SELECT level, count(*) FROM hazard GROUP BY 1"
    >>> result = run_query(engine, actor, sql)  # doctest: +SKIP
    >>> result.frame.shape, result.truncated  # doctest: +SKIP
    ((4, 2), False)
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import time
from dataclasses import dataclass
from typing import Any

import duckdb
import polars as pl
from openpyxl import Workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from analytics.console_pool import Pool, PoolConfig, Refused, shared
from analytics.console_worker import Job
from analytics.duck import CONFIG, attach_statements, lock_down, scoped
from core.audit import record
from core.config import get_settings
from core.crud.cells import safe_cell
from core.crud.readers import unreadable
from core.crud.registry import TableSpec, all_specs
from core.crud.secrets import MASKED_PASSWORD, PASSWORD_IN_URI
from core.i18n import has, t
from core.rbac import Actor
from models.enums import Action, Module

ROW_LIMIT = (1, 1000, 100_000)  # min, default, max
TIME_LIMIT_S = (1, 10, 120)
#: First words of a statement that only reads (PRAGMA is rewritten to a SELECT by the parser,
#: so the statement type alone would let it through).
READ_WORDS = frozenset(
    {"select", "with", "from", "values", "table", "describe", "show", "summarize"}
)
_COMMENTS = re.compile(r"\s*(--[^\n]*(\n|$)|/\*.*?\*/)", re.DOTALL)
_CJK = re.compile(r"[\u4e00-\u9fff]")
AUDIT_ACTION = "sql_query"
_AUDIT_SQL_CHARS = 10_000


@dataclass(frozen=True)
class Limits:
    rows: int = ROW_LIMIT[1]
    seconds: float = TIME_LIMIT_S[1]

    def __post_init__(self) -> None:
        if not ROW_LIMIT[0] <= self.rows <= ROW_LIMIT[2]:
            raise ValueError(f"row limit {self.rows} outside {ROW_LIMIT[0]}..{ROW_LIMIT[2]}")
        if not TIME_LIMIT_S[0] <= self.seconds <= TIME_LIMIT_S[2]:
            low, high = TIME_LIMIT_S[0], TIME_LIMIT_S[2]
            raise ValueError(f"time limit {self.seconds} outside {low}..{high}")


@dataclass(frozen=True)
class QueryResult:
    frame: pl.DataFrame
    truncated: bool  # more rows than the limit existed; ``frame`` holds the first ``limit``
    tables: tuple[str, ...]
    copy_ms: int  # copying the scoped tables in
    query_ms: int  # the query itself


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    label: str
    description: str


@dataclass(frozen=True)
class Table:
    name: str
    label: str
    columns: tuple[Column, ...]


def allowed_tables(actor: Actor) -> dict[str, TableSpec]:
    """Database table name → spec, for every business table the actor may view. Platform
    tables (audit chain, sessions, permissions, notifications) have no spec and never appear."""
    return {
        s.model.__tablename__: s
        for s in all_specs()
        if actor.can(s.module, Action.VIEW)  # type: ignore[attr-defined]
    }


def _columns(spec: TableSpec, actor: Actor) -> list[str]:
    """The table's columns but its declared secrets, which never leave the database, and
    those the actor may not read (an exam's answer key), which stay out of their copy."""
    left_out = {*spec.secret, *unreadable(spec, actor)}
    return [c.name for c in spec.model.__table__.columns if c.name not in left_out]  # type: ignore[attr-defined]


def _copied(spec: TableSpec, actor: Actor) -> str:
    """The select list that copies the table into the sandbox, masked columns masked."""
    return ", ".join(
        f"regexp_replace(\"{c}\", '{PASSWORD_IN_URI}', '{MASKED_PASSWORD}') AS \"{c}\""
        if c in spec.masked
        else f'"{c}"'
        for c in _columns(spec, actor)
    )


#: SQLAlchemy column types as DuckDB names them after the copy.
_TYPES = {
    "Integer": "INTEGER",
    "Float": "DOUBLE",
    "Boolean": "BOOLEAN",
    "AutoString": "VARCHAR",
    "Text": "VARCHAR",
    "Enum": "VARCHAR",
    "Date": "DATE",
    "UTCDateTime": "TIMESTAMP",
    "DateTime": "TIMESTAMP",
    "JSON": "JSON",
}


def _type_name(model: type[SQLModel], name: str) -> str:
    kind = type(model.__table__.columns[name].type).__name__  # type: ignore[attr-defined]
    return _TYPES.get(kind, kind.upper())


def schema(actor: Actor, lang: str) -> list[Table]:
    """What the schema browser shows: each allowed table with its columns, their types and
    labels in ``lang`` (model descriptions are Chinese, so English readers get the label)."""
    tables = []
    for name, spec in sorted(allowed_tables(actor).items()):
        fields = {f.name: f for f in spec.fields}
        columns = []
        for col in _columns(spec, actor):
            if col in fields:
                label = fields[col].label_in(lang)
            else:
                label = t(f"field.{col}", lang) if has(f"field.{col}", lang) else ""
            info = spec.model.model_fields.get(col)
            text = (info.description or "") if info else ""
            if lang != "zh-CN" and _CJK.search(text):
                text = ""
            columns.append(Column(col, _type_name(spec.model, col), label, text))
        tables.append(Table(name, t(spec.label_key, lang), tuple(columns)))
    return tables


def check_statement(sql: str) -> str:
    """The text of the single read-only statement in ``sql``, or :class:`Refused`."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise Refused("sql_console.error.syntax", error=str(exc)) from exc
    if not statements:
        raise Refused("sql_console.refused.empty")
    if len(statements) > 1:
        raise Refused("sql_console.refused.several")
    (statement,) = statements
    # The user's own first word: the parser rewrites some statements (PRAGMA) into SELECTs.
    first = _COMMENTS.sub(" ", " " + sql).lstrip("( \t\r\n").split(None, 1)
    word = first[0].lower() if first else ""
    if statement.type != duckdb.StatementType.SELECT or word not in READ_WORDS:
        raise Refused("sql_console.refused.not_select", kind=word.upper() or "?")
    return statement.query.strip().rstrip(";")


def referenced_tables(con: duckdb.DuckDBPyConnection, query: str, actor: Actor) -> list[str]:
    """The allowed tables ``query`` reads; a table of the operational database outside the
    actor's reach is refused. Other names (CTEs, typos) are left to fail on their own."""
    allowed = allowed_tables(actor)
    known = set(SQLModel.metadata.tables)
    names = sorted({n.lower() for n in con.get_table_names(query)})
    for name in names:
        if name not in allowed and name in known:
            raise Refused("sql_console.refused.table", table=name)
    return [n for n in names if n in allowed]


def _job(url: str, actor: Actor, query: str, limits: Limits) -> tuple[Job, list[str]]:
    """Everything the worker needs, decided here: the tables (checked against the actor's
    modules), their scoped copy statements, the wrapped query and the limits."""
    config = {**CONFIG, "python_enable_replacements": False}
    with contextlib.closing(duckdb.connect(":memory:", config=config)) as parser:
        lock_down(parser)  # naming a table function binds it: no file may be looked at here
        try:
            tables = referenced_tables(parser, query, actor)
        except duckdb.Error as exc:
            raise Refused("sql_console.error.failed", error=str(exc).split("\n")[0]) from exc
    specs = allowed_tables(actor)
    copies = [
        (name, f"SELECT {_copied(specs[name], actor)} FROM {scoped(specs[name].name, actor)}")
        for name in tables
    ]
    wrapped = f"SELECT * FROM (\n{query}\n) AS console_query LIMIT {limits.rows + 1}"
    check_statement(wrapped)
    settings = get_settings()
    job = Job(
        attach=attach_statements(url) if tables else [],  # ``SELECT 1`` needs no database
        copies=copies,
        query=wrapped,
        copy_seconds=copy_seconds(),
        query_seconds=limits.seconds,
        memory_mb=settings.console_memory_mb,
        result_bytes=settings.console_result_mb << 20,
    )
    return job, tables


def copy_seconds() -> float:
    """The site's limit for copying a query's tables in (the user's limit is the query's)."""
    return get_settings().console_copy_seconds


def _pool() -> Pool:
    settings = get_settings()
    config = PoolConfig(
        settings.console_workers, settings.console_memory_mb, settings.console_queue_seconds
    )
    return shared(config)


def _execute(
    url: str, actor: Actor, query: str, limits: Limits
) -> tuple[pl.DataFrame, list[str], int, int]:
    """Run in a worker process: the frame (limit + 1 rows at most), tables, copy and query ms."""
    job, tables = _job(url, actor, query, limits)
    user = f"user:{actor.user_id}" if actor.user_id is not None else f"name:{actor.username}"
    outcome = _pool().run(user, job)
    frame = pl.read_ipc_stream(io.BytesIO(outcome.arrow))
    return frame, tables, outcome.copy_ms, outcome.query_ms


def run_query(engine: Engine, actor: Actor, sql: str, limits: Limits | None = None) -> QueryResult:
    """Run an analyst's query under ``actor``'s modules and scope; raises :class:`Refused`.

    The audit entry (SQL text, rows, duration, outcome) is committed before returning or
    raising, so a refused query is on record too.
    """
    limits = limits or Limits()
    start = time.perf_counter()
    detail: dict[str, Any] = {"sql": sql[:_AUDIT_SQL_CHARS], "refused": False}
    try:
        if not actor.can(Module.ANALYTICS, Action.VIEW):
            raise Refused("sql_console.refused.module")
        query = check_statement(sql)
        url = engine.url.render_as_string(hide_password=False)
        frame, tables, copy_ms, query_ms = _execute(url, actor, query, limits)
        truncated = frame.height > limits.rows
        result = QueryResult(frame.head(limits.rows), truncated, tuple(tables), copy_ms, query_ms)
        detail |= {"rows": result.frame.height, "truncated": truncated, "tables": tables}
        detail |= {"copy_ms": copy_ms}
        return result
    except Refused as exc:
        detail |= {"refused": True, "reason": exc.key}
        raise
    finally:
        detail["ms"] = round((time.perf_counter() - start) * 1000)
        with Session(engine) as session:
            record(session, actor, AUDIT_ACTION, enterprise_id=actor.enterprise_id, detail=detail)
            session.commit()


EXPORT_FORMATS = ("csv", "xlsx", "parquet")
EXPORT_MIME = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
}


def _plain(value: Any) -> Any:
    """A cell value Excel accepts: nested values as JSON text, no time zones."""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    if getattr(value, "tzinfo", None) is not None:
        return value.replace(tzinfo=None)
    return value


def export(frame: pl.DataFrame, fmt: str) -> bytes:
    """A query result as CSV (UTF-8 with BOM, so Excel reads Chinese), Excel or Parquet;
    text a spreadsheet would run as a formula is quoted (Parquet is data, not a sheet)."""
    buffer = io.BytesIO()
    if fmt == "csv":
        texts = [c for c, d in frame.schema.items() if d.is_nested() or d == pl.String]
        flat = frame.with_columns(
            pl.Series(c, [safe_cell(_plain(v)) for v in frame[c].to_list()], dtype=pl.String)
            for c in texts
        )
        buffer.write("\ufeff".encode())
        flat.rename({c: safe_cell(c) for c in flat.columns}).write_csv(buffer)
    elif fmt == "parquet":
        frame.write_parquet(buffer)
    elif fmt == "xlsx":
        book = Workbook(write_only=True)
        sheet = book.create_sheet("query")
        sheet.append([safe_cell(c) for c in frame.columns])
        for row in frame.iter_rows():
            sheet.append([safe_cell(_plain(v)) for v in row])
        book.save(buffer)
    else:
        raise ValueError(f"unknown export format {fmt!r}")
    return buffer.getvalue()
