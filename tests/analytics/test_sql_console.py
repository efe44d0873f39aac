"""The SQL console cannot write, read files or reach beyond the actor's modules and scope;
row and time limits hold; every attempt is audited; saved queries are private or shared."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from analytics.sql_console import Limits, Refused, run_query, schema
from core.i18n import LANGUAGES
from core.rbac import Actor
from core.reporting.saved_queries import InvalidQuery, delete_query, save_query, visible_queries
from models.org import Person
from models.system import AuditEntry
from tests.factories import Org, Users

LEAK = Path("/tmp/safeloop-sql-console-leak.csv")
NAMES = "SELECT name FROM person ORDER BY name"
SLOW = "SELECT count(*) FROM range(1000000000000)"


def _analyst(actor: Actor) -> Actor:
    """The same user and scope, with the analytics module granted."""
    return replace(actor, grants=actor.grants | {("analytics", "view")})


def _counts(engine: Engine) -> tuple[int, int]:
    with Session(engine) as s:
        people = s.exec(select(func.count()).select_from(Person)).one()
        audits = s.exec(select(func.count()).select_from(AuditEntry)).one()
    return people, audits


def _last_audit(engine: Engine) -> AuditEntry:
    with Session(engine) as s:
        return s.exec(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("INSERT INTO person (name) VALUES ('x')", "not_select"),
        ("UPDATE person SET name = 'x'", "not_select"),
        ("DELETE FROM person", "not_select"),
        ("DROP TABLE person", "not_select"),
        ("CREATE TABLE x AS SELECT * FROM person", "not_select"),
        ("ATTACH '/tmp/safeloop-other.db' AS other", "not_select"),
        (f"COPY (SELECT * FROM person) TO '{LEAK}'", "not_select"),
        ("INSTALL httpfs", "not_select"),
        ("LOAD httpfs", "not_select"),
        ("PRAGMA database_list", "not_select"),
        ("SET enable_external_access = true", "not_select"),
        ("EXPLAIN SELECT 1", "not_select"),
        ("SELECT 1; DROP TABLE person", "several"),
        ("SELECT * FROM person; SELECT 1", "several"),
        ("SELECT * FROM read_csv('/etc/passwd')", "failed"),
        ("SELECT * FROM read_text('/etc/passwd')", "failed"),
        ("SELECT * FROM read_parquet('/tmp/x.parquet')", "failed"),
        ("SELECT * FROM '/etc/passwd'", "failed"),
        ("SELECT * FROM ops.main.person", "failed"),
        ("SELECT * FROM audit_entry", "table"),
        ("SELECT * FROM role_permission", "table"),
        ("", "empty"),
        ("SELEC 1", "syntax"),
    ],
)
def test_writes_files_and_other_statements_are_refused_and_change_nothing(
    engine: Engine, users: Users, sql: str, reason: str
) -> None:
    people, audits = _counts(engine)
    with pytest.raises(Refused) as caught:
        run_query(engine, users.admin, sql)
    assert caught.value.key.endswith(f".{reason}"), caught.value.key
    for lang in LANGUAGES:
        assert "⟦" not in caught.value.message(lang)
    assert _counts(engine) == (people, audits + 1)
    assert not LEAK.exists()
    entry = _last_audit(engine)
    assert entry.action == "sql_query" and entry.detail["refused"] is True
    assert entry.detail["sql"] == sql and entry.actor_id == users.admin.user_id


def test_the_sandbox_never_sees_the_database_file_or_python_objects(
    engine: Engine, users: Users
) -> None:
    """The query runs on a connection that never loaded the scanner extension: the scanners'
    own table functions cannot read the file (and its password hashes) around the copy."""
    target = engine.url.database
    secret_frame = pl.DataFrame({"x": [1]})  # noqa: F841  (a replacement scan would find it)
    for sql in (
        f"SELECT * FROM sqlite_scan('{target}', 'user')",
        f"SELECT * FROM postgres_scan('dbname={target}', 'public', 'user')",
        "SELECT * FROM secret_frame",
        "SELECT * FROM duckdb_databases() WHERE database_name = 'ops'",
    ):
        try:
            frame = run_query(engine, users.admin, sql).frame
        except Refused as exc:
            assert exc.key == "sql_console.error.failed", sql
        else:
            assert frame.is_empty(), sql


def test_a_select_reads_and_is_audited(engine: Engine, users: Users) -> None:
    result = run_query(engine, users.admin, NAMES)
    assert {"张伟", "李娜", "王强", "赵敏"} <= set(result.frame["name"])
    assert not result.truncated and result.tables == ("person",)
    entry = _last_audit(engine)
    assert entry.detail["refused"] is False and entry.detail["rows"] == result.frame.height
    assert entry.detail["ms"] >= 0 and entry.detail["sql"] == NAMES


def test_ctes_comments_and_joins_are_fine(engine: Engine, users: Users) -> None:
    sql = """-- people per department
    WITH p AS (SELECT * FROM person)
    SELECT d.name, count(*) AS n FROM p JOIN department d ON d.id = p.department_id
    GROUP BY 1 ORDER BY 1;"""
    result = run_query(engine, users.admin, sql)
    assert result.frame.columns == ["name", "n"] and result.frame["n"].sum() >= 4
    assert set(result.tables) == {"person", "department"}


def test_secrets_and_deleted_rows_never_leave(engine: Engine, users: Users) -> None:
    frame = run_query(engine, users.admin, 'SELECT * FROM "user"').frame
    assert "username" in frame.columns
    assert "password_hash" not in frame.columns and "failed_logins" not in frame.columns
    with pytest.raises(Refused, match="failed"):
        run_query(engine, users.admin, 'SELECT password_hash FROM "user"')


def test_tables_outside_the_actors_modules_are_refused(engine: Engine, users: Users) -> None:
    # An analyst granted analytics and hazards, not the organisation module.
    analyst = replace(
        users.employee_a, grants=frozenset({("analytics", "view"), ("hazard", "view")})
    )
    with pytest.raises(Refused) as caught:
        run_query(engine, analyst, "SELECT count(*) FROM person")
    assert caught.value.key == "sql_console.refused.table"
    assert "person" not in {t.name for t in schema(analyst, "en")}
    assert "hazard" in {t.name for t in schema(analyst, "en")}


def test_without_analytics_nothing_runs(engine: Engine, users: Users) -> None:
    with pytest.raises(Refused) as caught:
        run_query(engine, users.inspector_a, "SELECT 1")
    assert caught.value.key == "sql_console.refused.module"


def test_department_scope_filters_the_same_query(engine: Engine, users: Users) -> None:
    everyone = set(run_query(engine, users.admin, NAMES).frame["name"])
    dept_a = set(run_query(engine, _analyst(users.inspector_a), NAMES).frame["name"])
    assert {"张伟", "李娜"} <= dept_a
    assert not dept_a & {"王强", "赵敏"}
    assert dept_a < everyone


def test_row_limit_cuts_and_says_so(engine: Engine, users: Users) -> None:
    cut = run_query(engine, users.admin, "SELECT * FROM range(50)", Limits(rows=10))
    assert cut.frame.height == 10 and cut.truncated
    whole = run_query(engine, users.admin, "SELECT * FROM range(10)", Limits(rows=10))
    assert whole.frame.height == 10 and not whole.truncated
    with pytest.raises(ValueError):
        Limits(rows=10_000_000)


def test_a_slow_query_is_cancelled_at_the_time_limit(engine: Engine, users: Users) -> None:
    start = time.perf_counter()
    with pytest.raises(Refused) as caught:
        run_query(
            engine, users.admin, "SELECT count(*) FROM range(1000000000000)", Limits(seconds=1)
        )
    assert caught.value.key == "sql_console.refused.timeout"
    assert time.perf_counter() - start < 10
    assert _last_audit(engine).detail["reason"] == "sql_console.refused.timeout"
    # the next query on a fresh connection is unaffected
    assert run_query(engine, users.admin, "SELECT 42 AS x").frame["x"][0] == 42


def test_schema_has_labels_and_types(users: Users) -> None:
    tables = {t.name: t for t in schema(users.admin, "zh-CN")}
    assert "audit_entry" not in tables and "saved_query" not in tables
    person = {c.name: c for c in tables["person"].columns}
    assert person["name"].type == "VARCHAR" and person["name"].label
    assert "password_hash" not in {c.name for c in tables["user"].columns}


def test_saved_queries_private_and_shared(engine: Engine, users: Users, org: Org) -> None:
    head = users.safety_head
    with Session(engine) as s:
        mine = save_query(s, head, name="私有", sql="SELECT 1")
        shared = save_query(s, head, name="共享", sql="SELECT 2", shared=True)
        again = save_query(s, head, name="私有", sql="SELECT 3")  # same name: replaced
        s.commit()
        assert again.id == mine.id and again.sql == "SELECT 3"
        with pytest.raises(InvalidQuery):
            save_query(s, head, name=" ", sql="SELECT 1")
        with pytest.raises(InvalidQuery):
            delete_query(s, users.park_supervisor, shared.id)

        own = {q.name for q in visible_queries(s, head)}
        colleague = {q.name for q in visible_queries(s, users.display)}  # same enterprise
        park = {q.name for q in visible_queries(s, users.park_supervisor)}
        other_ent = replace(users.inspector_b, enterprise_id=org.ent2, department_id=org.dept_e2)
        elsewhere = {q.name for q in visible_queries(s, other_ent)}
        assert {"私有", "共享"} <= own
        assert "共享" in colleague and "私有" not in colleague
        assert "共享" in park and "私有" not in park
        assert not elsewhere & {"私有", "共享"}

        delete_query(s, head, mine.id)
        s.commit()
        assert "私有" not in {q.name for q in visible_queries(s, head)}


def test_exports_round_trip(engine: Engine, users: Users) -> None:
    import io

    from openpyxl import load_workbook

    from analytics.sql_console import export

    sql = "SELECT name, created_at, [1, 2] AS xs FROM person ORDER BY name"
    frame = run_query(engine, users.admin, sql).frame
    assert pl.read_parquet(io.BytesIO(export(frame, "parquet"))).equals(frame)
    csv = export(frame, "csv").decode("utf-8-sig")
    assert csv.splitlines()[0] == "name,created_at,xs" and "张伟" in csv
    sheet = load_workbook(io.BytesIO(export(frame, "xlsx"))).active
    assert [c.value for c in sheet[1]] == ["name", "created_at", "xs"]
    assert sheet.max_row == frame.height + 1 and sheet["C2"].value == "[1, 2]"
